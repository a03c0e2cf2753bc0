#!/usr/bin/env node
/**
 * `npm run bench:parallel [-- --quick]`: a Graph backfill (`--state --since <30 days>`) against the
 * in-process simulator with 300 ms per answer (a real API's round trip) and Graph's documented
 * quota enforced (150 requests a minute per app and tenant), read with `--window auto` (the
 * default) at `--parallel` 1, 4 and 16, and in fixed 1-hour windows at `--parallel` 4. Every run
 * must deliver the same lines in the same order (sha256 of stdout). Each run gets a simulator of
 * its own, with the same alerts (the same seed and start time), so no run inherits the quota
 * another one spent. Reports; gates nothing. Runs the built CLI (dist/): `npm run build` first.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { machine } from './lib/machine.js';
import { DIST } from './lib/dist.js';

/** @type {typeof import('../simulator/server.js')} */
const { startSimulator } = await import(`${DIST}simulator/server.js`);

const CLI = fileURLToPath(new URL('../bin/defender-alerts.js', import.meta.url));
const quick = process.argv.includes('--quick');
const DAYS = quick ? 3 : 30;
/** Simulator records; Graph merges them by AlertId into about 0.71 as many alerts. */
const RECORDS = quick ? 28_000 : 280_000;
const LATENCY_MS = 300;
const GRAPH_PER_MINUTE = 150;
const PAGE = 1000;
/** The quota's ceiling in alerts: every request a full page. */
const CEILING = (GRAPH_PER_MINUTE * PAGE) / 60;
const RUNS = quick
  ? [
      { window: 'auto', k: 1 },
      { window: 'auto', k: 4 },
      { window: '1h', k: 4 },
    ]
  : [
      { window: 'auto', k: 1 },
      { window: 'auto', k: 4 },
      { window: 'auto', k: 16 },
      { window: '1h', k: 4 },
    ];

// Every run's simulator starts its clock here, so every run sees the same alerts at the same times.
const ORIGIN = Date.now();
const since = new Date(ORIGIN - DAYS * 86_400_000).toISOString();
const until = new Date(ORIGIN).toISOString();
const dir = mkdtempSync(join(tmpdir(), 'defender-bench-parallel-'));

/**
 * One backfill against a simulator of its own: exit code, lines and their sha256, wall time, and the
 * simulator's count of alert requests (and of those it answered 429).
 * @param {{ window: string, k: number }} run
 */
async function run({ window, k }) {
  const t0 = Date.now();
  const sim = await startSimulator({
    https: false,
    seed: 4,
    alerts: RECORDS,
    windowHours: DAYS * 24,
    latencyMs: LATENCY_MS,
    includeExamples: false,
    graphCallsPerMinute: GRAPH_PER_MINUTE,
    now: () => new Date(ORIGIN + (Date.now() - t0)),
  });
  const env = {
    PATH: process.env['PATH'],
    AZURE_TENANT_ID: sim.credentials.tenantId,
    AZURE_CLIENT_ID: sim.credentials.clientId,
    AZURE_CLIENT_SECRET: sim.credentials.clientSecret,
    DEFENDER_BASE_URL: sim.url,
    AZURE_AUTHORITY_HOST: sim.url,
    DEFENDER_LOG_LEVEL: 'warn',
  };
  const args = ['--', CLI, 'pull', '--api', 'graph', '--since', since, '--until', until, '--window', window, '--format', 'ndjson'];
  /** @type {{ code: number | null, lines: number, digest: string, wallMs: number }} */
  const result = await new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, [...args, '--state', join(dir, `${window}-${k}.json`), '--parallel', String(k)], {
      env,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const hash = createHash('sha256');
    let lines = 0;
    child.stdout.on('data', (chunk) => {
      hash.update(chunk);
      for (const byte of chunk) if (byte === 10) lines++;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, lines, digest: hash.digest('hex'), wallMs: performance.now() - started }));
  });
  const requests = sim.stats.count('alerts');
  const throttled = sim.stats.of('alerts').filter((r) => r.status === 429).length;
  await sim.close();
  return { window, k, ...result, requests, throttled };
}

const m = machine();
process.stderr.write(`bench: ${m.cpus} CPUs, ${m.cpu}, Node ${m.node}, load ${m.load}\n`);
/** @typedef {Awaited<ReturnType<typeof run>>} Row */
/** @type {Row[]} */
const rows = [];
for (const r of RUNS) {
  const row = await run(r);
  if (row.code !== 0) throw new Error(`--window ${r.window} --parallel ${r.k} exited ${row.code}`);
  rows.push(row);
  process.stderr.write(
    `bench: --window ${r.window} --parallel ${r.k}: ${(row.wallMs / 1000).toFixed(2)} s, ${row.lines} alerts, ${row.requests} requests (${row.throttled} answered 429)\n`,
  );
}
// A row for each of RUNS, which is not empty.
const [base] = /** @type {[Row, ...Row[]]} */ (rows);
const identical = rows.every((r) => r.digest === base.digest && r.lines === base.lines);
console.log(
  `${DAYS}-day Graph backfill, ${base.lines} alerts, ${LATENCY_MS} ms per answer, quota ${GRAPH_PER_MINUTE} requests a minute (ceiling ${CEILING} alerts/s)`,
);
console.log('');
console.log('| `--window` | `--parallel` | wall | requests (429s) | alerts a request | alerts/s | of the ceiling | vs auto at k = 1 |');
console.log('|---|---|---|---|---|---|---|---|');
for (const r of rows) {
  const rate = (r.lines * 1000) / r.wallMs;
  console.log(
    `| ${r.window} | ${r.k} | ${(r.wallMs / 1000).toFixed(2)} s | ${r.requests} (${r.throttled}) | ${Math.round(r.lines / r.requests)} | ${Math.round(rate)} | ${Math.round((rate * 100) / CEILING)} % | ${(base.wallMs / r.wallMs).toFixed(2)}× |`,
  );
}
console.log('');
console.log(`Outputs identical for every run (sha256 of stdout): ${identical ? 'yes' : 'NO'}`);
rmSync(dir, { recursive: true, force: true });
if (!identical) process.exitCode = 1;
