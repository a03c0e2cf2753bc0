/**
 * In-process measurements of the pieces: the simulator's alert generation, the array splitter
 * against a maintained streaming parser, and validation alone. Each returns plain numbers.
 */
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { DIST } from './dist.js';
/** @type {typeof import('../../simulator/store.js')} */
const { AlertStore } = await import(`${DIST}simulator/store.js`);
/** @type {typeof import('../../simulator/alert-stream.js')} */
const alertStream = await import(`${DIST}simulator/alert-stream.js`); // a destructured unique symbol widens to `symbol`
/** @type {typeof import('../../src/json/array-splitter.js')} */
const { JsonArraySplitter } = await import(`${DIST}src/json/array-splitter.js`);
/** @type {typeof import('../../src/alert/siem-schema.js')} */
const { SiemAlertSchema } = await import(`${DIST}src/alert/siem-schema.js`);
/** @type {typeof import('../../src/alert/validate.js')} */
const { validateAlert } = await import(`${DIST}src/alert/validate.js`);

const NOW = new Date('2026-03-01T12:00:00Z');
const EVERYTHING = { sinceTimeUtc: '2000-01-01T00:00:00Z' };

/**
 * The store's alerts also offer their JSON texts (simulator/store.ts), which its type does not say.
 * @param {InstanceType<typeof AlertStore>} store
 * @returns {Iterable<string>}
 */
const alertTexts = (store) =>
  /** @type {import('../../simulator/alert-stream.js').SerialisableAlerts} */ (store.query(EVERYTHING, NOW).alerts)[
    alertStream.ALERT_JSON_TEXTS
  ]();

/**
 * Best of `rounds` timings of `fn`, in ms (the least disturbed by other load).
 * @param {number} rounds
 * @param {() => unknown} fn
 */
function best(rounds, fn) {
  let min = Infinity;
  for (let r = 0; r < rounds; r++) {
    const t = performance.now();
    fn();
    min = Math.min(min, performance.now() - t);
  }
  return min;
}

/**
 * µs per alert to generate `count` alerts: as objects + JSON.stringify, and as direct JSON texts.
 * @param {number} count
 */
export function generatorCost(count) {
  const store = new AlertStore({ now: NOW, initial: count });
  const objects = best(3, () => {
    for (const alert of store.query(EVERYTHING, NOW).alerts) JSON.stringify(alert);
  });
  const texts = best(3, () => {
    let n = 0;
    for (const text of alertTexts(store)) n += text.length;
    return n;
  });
  return { objectsUsPerAlert: (objects * 1000) / count, textsUsPerAlert: (texts * 1000) / count };
}

/**
 * The simulator's answer for `count` alerts as 64 KiB network-sized chunks, and the alerts' bytes.
 * @param {number} count
 */
export function sampleAnswer(count) {
  const store = new AlertStore({ now: NOW, initial: count });
  const texts = [...alertTexts(store)];
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

/**
 * MB/s of splitting the answer into alert bytes: our splitter, and jsonparse emitting parsed alerts.
 * @param {{ chunks: readonly Buffer[], bytes: number }} answer
 */
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
  const mbps = (/** @type {number} */ ms) => bytes / 1e6 / (ms / 1000);
  return {
    splitterMBps: mbps(ours),
    splitterPlusParseMBps: mbps(oursWithParse),
    jsonparseMBps: jsonparse === undefined ? undefined : mbps(jsonparse),
  };
}

/**
 * Alerts/s of JSON.parse alone, of the zod schema alone, and of validateAlert (both).
 * @param {{ alerts: readonly Buffer[] }} answer
 */
export function validationThroughput({ alerts }) {
  const rate = (/** @type {number} */ ms) => alerts.length / (ms / 1000);
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
  /** @type {typeof import('../../src/http/redact.js')} */
  const { SecretMatcher } = await import(`${DIST}src/http/redact.js`);
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
