/**
 * In-process measurements of the pieces: the simulator's alert generation, the array splitter
 * against a maintained streaming parser, and validation alone. Each returns plain numbers.
 */
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { AlertStore } from '../../dist/simulator/store.js';
import { ALERT_JSON_TEXTS } from '../../dist/simulator/alert-stream.js';
import { JsonArraySplitter } from '../../dist/src/json/array-splitter.js';
import { SiemAlertSchema } from '../../dist/src/alert/siem-schema.js';
import { validateAlert } from '../../dist/src/alert/validate.js';

const NOW = new Date('2026-03-01T12:00:00Z');
const EVERYTHING = { sinceTimeUtc: '2000-01-01T00:00:00Z' };

/** Best of `rounds` timings of `fn`, in ms (the least disturbed by other load). */
function best(rounds, fn) {
  let min = Infinity;
  for (let r = 0; r < rounds; r++) {
    const t = performance.now();
    fn();
    min = Math.min(min, performance.now() - t);
  }
  return min;
}

/** µs per alert to generate `count` alerts: as objects + JSON.stringify, and as direct JSON texts. */
export function generatorCost(count) {
  const store = new AlertStore({ now: NOW, initial: count });
  const objects = best(3, () => {
    for (const alert of store.query(EVERYTHING, NOW).alerts) JSON.stringify(alert);
  });
  const texts = best(3, () => {
    let n = 0;
    for (const text of store.query(EVERYTHING, NOW).alerts[ALERT_JSON_TEXTS]()) n += text.length;
    return n;
  });
  return { objectsUsPerAlert: (objects * 1000) / count, textsUsPerAlert: (texts * 1000) / count };
}

/** The simulator's answer for `count` alerts as 64 KiB network-sized chunks, and the alerts' bytes. */
export function sampleAnswer(count) {
  const store = new AlertStore({ now: NOW, initial: count });
  const texts = [...store.query(EVERYTHING, NOW).alerts[ALERT_JSON_TEXTS]()];
  const body = Buffer.from(`[\n${texts.join(',\n')}\n]\n`);
  const chunks = [];
  for (let i = 0; i < body.length; i += 64 * 1024) chunks.push(body.subarray(i, i + 64 * 1024));
  return { chunks, bytes: body.length, alerts: texts.map((t) => Buffer.from(t)) };
}

/** npm's own copy of `jsonparse` (a maintained streaming parser), if this machine has one. */
function loadJsonparse() {
  const path = '/usr/lib/node_modules/npm/node_modules/jsonparse/jsonparse.js';
  if (!existsSync(path)) return undefined;
  return createRequire(import.meta.url)(path);
}

/** MB/s of splitting the answer into alert bytes: our splitter, and jsonparse emitting parsed alerts. */
export function splitterThroughput({ chunks, bytes }) {
  const ours = best(3, () => {
    const splitter = new JsonArraySplitter();
    for (const chunk of chunks) splitter.push(chunk);
    splitter.end();
  });
  const oursWithParse = best(3, () => {
    const splitter = new JsonArraySplitter();
    for (const chunk of chunks) for (const raw of splitter.push(chunk)) JSON.parse(raw.toString('utf8'));
    splitter.end();
  });
  const Parser = loadJsonparse();
  let jsonparse;
  if (Parser !== undefined) {
    jsonparse = best(2, () => {
      const parser = new Parser();
      let n = 0;
      parser.onValue = function onValue() {
        if (this.stack.length === 1) n++; // an element of the top-level array
      };
      for (const chunk of chunks) parser.write(chunk);
      return n;
    });
  }
  const mbps = (ms) => (ms === undefined ? undefined : bytes / 1e6 / (ms / 1000));
  return { splitterMBps: mbps(ours), splitterPlusParseMBps: mbps(oursWithParse), jsonparseMBps: mbps(jsonparse) };
}

/** Alerts/s of JSON.parse alone, of the zod schema alone, and of validateAlert (both). */
export function validationThroughput({ alerts }) {
  const rate = (ms) => alerts.length / (ms / 1000);
  const parsed = alerts.map((raw) => JSON.parse(raw.toString('utf8')));
  return {
    parseOnly: rate(best(3, () => alerts.forEach((raw) => JSON.parse(raw.toString('utf8'))))),
    zodOnly: rate(best(3, () => parsed.forEach((value) => SiemAlertSchema.safeParse(value)))),
    validateAlert: rate(best(3, () => alerts.forEach((raw) => validateAlert(SiemAlertSchema, raw)))),
  };
}

/**
 * µs to scrub one log line of secrets, with `counts` live secrets (JWT-shaped: they share their
 * first characters, the matcher's worst case), the way every log line of the CLI is scrubbed.
 * Flat in the count is the point: a service holds one or two tokens a tenant, whatever its age.
 */
export async function scrubCost(counts = [10, 300, 6000]) {
  const { SecretMatcher } = await import('../../dist/src/http/redact.js');
  const { randomBytes } = await import('node:crypto');
  const line = JSON.stringify({
    level: 30,
    time: Date.now(),
    pid: 1234,
    tenant: '00000000-0000-4000-8001-000000000007',
    msg: 'cycle complete',
    alerts: 12,
    windows: 1,
  });
  const result = [];
  for (const count of counts) {
    const matcher = new SecretMatcher();
    for (let i = 0; i < count; i++) {
      matcher.add(
        `eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.${randomBytes(600).toString('base64url')}.${randomBytes(256).toString('base64url')}`,
      );
    }
    const lines = 2000;
    const ms = best(5, () => {
      for (let i = 0; i < lines; i++) matcher.scrub(line);
    });
    result.push({ secrets: count, usPerLine: (ms * 1000) / lines });
  }
  return result;
}
