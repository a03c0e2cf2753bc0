#!/usr/bin/env node
/**
 * `npm run bench [-- --quick]`: every benchmark in turn, with the same arguments — the SIEM
 * answer against curl and curl | jq (bench/run.js), the mde and graph pages the same way
 * (bench/odata.js), and a Graph backfill under Graph's quota (bench/parallel.js). Each checks its
 * output byte for byte against its reference and prints Markdown for BENCHMARKS.md. Reports; gates
 * nothing (exits 1 only when a benchmark does). Runs the built CLI: `npm run build` first.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const args = process.argv.slice(2);
for (const script of ['run.js', 'odata.js', 'parallel.js']) {
  process.stderr.write(`bench: ${script} ${args.join(' ')}\n`);
  const result = spawnSync(process.execPath, [fileURLToPath(new URL(script, import.meta.url)), ...args], { stdio: 'inherit' });
  if (result.status !== 0) {
    process.stderr.write(`bench: ${script} exited ${result.status ?? result.signal}\n`);
    process.exit(1);
  }
}
