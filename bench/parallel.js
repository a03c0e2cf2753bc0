#!/usr/bin/env node
/**
 * `npm run bench:parallel [-- --quick]`: a Graph backfill read in 1-hour windows at --parallel 1, 2,
 * 4, 8 and 16 against the in-process simulator with 300 ms per answer (a real API's round trip),
 * and a check that every k delivers the same lines in the same order. Reports; gates nothing.
 * Runs the built CLI (dist/): `npm run build` first.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startSimulator } from '../dist/simulator/server.js';
import { machine } from './lib/machine.js';

const CLI = fileURLToPath(new URL('../bin/defender-alerts.js', import.meta.url));
const quick = process.argv.includes('--quick');
const DAYS = quick ? 3 : 31;
const RECORDS = quick ? 2_000 : 20_000;
const LATENCY_MS = 300;
const KS = quick ? [1, 4, 16] : [1, 2, 4, 8, 16];

const sim = await startSimulator({
  https: false,
  seed: 4,
  alerts: RECORDS,
  windowHours: DAYS * 24,
  latencyMs: LATENCY_MS,
  includeExamples: false,
  // Graph's documented quota (150 requests a minute per app and tenant), enforced: it, not k, is the
  // ceiling of a long backfill, and the CLI's pacer should keep under it.
  graphCallsPerMinute: 150,
});
const dir = mkdtempSync(join(tmpdir(), 'defender-bench-parallel-'));
const env = {
  PATH: process.env['PATH'],
  AZURE_TENANT_ID: sim.credentials.tenantId,
  AZURE_CLIENT_ID: sim.credentials.clientId,
  AZURE_CLIENT_SECRET: sim.credentials.clientSecret,
  DEFENDER_BASE_URL: sim.url,
  AZURE_AUTHORITY_HOST: sim.url,
  DEFENDER_LOG_LEVEL: 'warn',
};
const until = new Date().toISOString();

function run(k) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const args = ['--', CLI, 'pull', '--api', 'graph', '--since', `${DAYS}d`, '--until', until, '--window', '1h', '--format', 'ndjson'];
    const child = spawn(process.execPath, [...args, '--state', join(dir, `k${k}.json`), '--parallel', String(k)], {
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
}

const m = machine();
process.stderr.write(`bench: ${m.cpus} CPUs, ${m.cpu}, Node ${m.node}, load ${m.load}\n`);
const rows = [];
for (const k of KS) {
  const r = await run(k);
  if (r.code !== 0) throw new Error(`--parallel ${k} exited ${r.code}`);
  rows.push({ k, ...r });
  process.stderr.write(`bench: --parallel ${k}: ${(r.wallMs / 1000).toFixed(2)} s, ${r.lines} alerts\n`);
}
const [base] = rows;
const identical = rows.every((r) => r.digest === base.digest && r.lines === base.lines);
console.log(`${DAYS}-day Graph backfill, ${base.lines} alerts in ${DAYS * 24} one-hour windows, ${LATENCY_MS} ms per answer`);
console.log('');
console.log('| `--parallel` | wall | alerts/s | speed-up vs 1 |');
console.log('|---|---|---|---|');
for (const r of rows) {
  console.log(
    `| ${r.k} | ${(r.wallMs / 1000).toFixed(2)} s | ${Math.round((r.lines * 1000) / r.wallMs)} | ${(base.wallMs / r.wallMs).toFixed(2)}× |`,
  );
}
console.log('');
console.log(`Outputs identical for every k (sha256 of stdout): ${identical ? 'yes' : 'NO'}`);
await sim.close();
rmSync(dir, { recursive: true, force: true });
if (!identical) process.exitCode = 1;
