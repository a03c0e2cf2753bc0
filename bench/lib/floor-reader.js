#!/usr/bin/env node
/**
 * The floor of `pull` for bench/odata.js: the least a Node reader built from the CLI's own parts
 * can do over the same pages. It GETs each page with the CLI's undici modules, cuts the alerts out
 * with the CLI's splitter and byte check (one pass, as `pull` does), and writes each alert's bytes
 * and a newline to stdout in 64 KiB batches, under the CLI's V8 flags — and nothing else: no
 * configuration, logger, retries, paging decisions, validation fallback, duplicate memory or sink.
 * `pull` minus this is what those layers cost; this minus raw curl is what Node, TLS, splitting
 * and checking cost.
 *
 * Environment: URLS (a JSON file: the page URLs, in order), T (bearer token), CA (PEM path), API
 * (mde, graph or siem). Prints the number of alerts written to stderr. Runs the built CLI (dist/).
 */
import { readFileSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { DIST } from './dist.js';

// The V8 flags the CLI runs with (src/main.ts sets them for flat memory, at ~5 % of CPU): the floor
// is measured under the same engine settings, so the modules are imported only after them.
setFlagsFromString('--liftoff-only');
setFlagsFromString('--optimize-for-size');
/** @type {typeof import('../../src/http/undici.js')} */
const { Pool, request } = await import(`${DIST}src/http/undici.js`);
/** @type {typeof import('../../src/json/array-splitter.js')} */
const { JsonArraySplitter } = await import(`${DIST}src/json/array-splitter.js`);
/** @type {typeof import('../../src/json/odata-page.js')} */
const { ODataPageSplitter } = await import(`${DIST}src/json/odata-page.js`);
/** @type {typeof import('../../src/alert/graph-schema.js')} */
const { GRAPH_BYTE_CHECK } = await import(`${DIST}src/alert/graph-schema.js`);
/** @type {typeof import('../../src/alert/mde-schema.js')} */
const { MDE_BYTE_CHECK } = await import(`${DIST}src/alert/mde-schema.js`);
/** @type {typeof import('../../src/alert/siem-schema.js')} */
const { SIEM_BYTE_CHECK } = await import(`${DIST}src/alert/siem-schema.js`);

const { URLS, T, CA, API } = process.env;
const check = API === 'mde' ? MDE_BYTE_CHECK : API === 'graph' ? GRAPH_BYTE_CHECK : API === 'siem' ? SIEM_BYTE_CHECK : undefined;
if (check === undefined || !URLS || !T || !CA) throw new Error('floor-reader: set URLS, T, CA and API (mde, graph, siem)');
/** @type {string[]} */
const urls = JSON.parse(readFileSync(URLS, 'utf8'));
// Every page of a run comes from one origin (the cache's).
const dispatcher = new Pool(new URL(urls[0] ?? '').origin, { connect: { ca: readFileSync(CA, 'utf8') } });
const NEWLINE = Buffer.from('\n');
const BATCH_BYTES = 64 * 1024;
/** @type {Buffer[]} */
let batch = [];
let batchBytes = 0;
let written = 0;

async function flush() {
  const data = Buffer.concat(batch, batchBytes);
  batch = [];
  batchBytes = 0;
  if (!process.stdout.write(data)) await new Promise((resolve) => process.stdout.once('drain', resolve));
}

for (const url of urls) {
  const res = await request(new URL(url), {
    method: 'GET',
    dispatcher,
    headers: { authorization: `Bearer ${T}`, accept: 'application/json' },
  });
  if (res.statusCode !== 200) throw new Error(`floor-reader: HTTP ${res.statusCode} for ${url}`);
  const splitter = API === 'siem' ? new JsonArraySplitter({ check }) : new ODataPageSplitter({ check });
  /** @type {(import('../../src/alert/byte-check.js').CheckedFields | undefined)[]} */
  const checked = [];
  for await (const chunk of res.body) {
    checked.length = 0;
    const alerts = splitter.push(chunk, checked);
    for (let i = 0; i < alerts.length; i++) {
      const raw = /** @type {Buffer} */ (alerts[i]);
      // What the CLI's gate would do with an alert the one pass did not decide.
      if (checked[i] === undefined && check(raw) === undefined) throw new Error('floor-reader: an alert the byte check does not accept');
      batch.push(raw, NEWLINE);
      batchBytes += raw.length + 1;
      written++;
    }
    if (batchBytes >= BATCH_BYTES) await flush();
  }
  splitter.end();
}
if (batchBytes > 0) await flush();
await dispatcher.close();
process.stderr.write(`${written}\n`);
