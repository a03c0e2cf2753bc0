#!/usr/bin/env node
/**
 * `npm run bench:siem [-- --quick] [-- --runs N]` (also the first part of `npm run bench`): measures `defender-alerts pull` against the curl + jq
 * pipeline users would otherwise write, on one in-process simulator over HTTPS, and prints a
 * Markdown table for BENCHMARKS.md. It reports; it does not gate anything.
 *
 * Runs the built CLI (dist/): `npm run build` first.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compareNdjson } from './lib/compare.js';
import { startForwarder } from './lib/forwarder.js';
import { generatorCost, sampleAnswer, splitterThroughput, validationThroughput } from './lib/micro.js';
import { HAVE_GNU_TIME, measure } from './lib/proc.js';
import { pipelineScript, rawCurlScript, runScript } from './lib/shell.js';
import { machine, versionOf } from './lib/machine.js';
import { formatMs, formatRatio, formatRss, median } from './lib/stats.js';
import { getToken } from './lib/token.js';
import { DIST } from './lib/dist.js';

/** @type {typeof import('../simulator/server.js')} */
const { startSimulator } = await import(`${DIST}simulator/server.js`);
/** @typedef {import('../simulator/server.js').Simulator} Simulator */

const CLI = fileURLToPath(new URL('../bin/defender-alerts.js', import.meta.url));
const args = process.argv.slice(2);
const quick = args.includes('--quick');
const runsArg = args.indexOf('--runs');
const RUNS = runsArg >= 0 ? Number(args[runsArg + 1]) : quick ? 3 : 5;
const SIZES = quick ? { wall: 20_000, small: 1_000, large: 100_000 } : { wall: 100_000, small: 10_000, large: 1_000_000 };
const STARTUP_RUNS = quick ? 5 : 11;
const SINCE = '2000-01-01T00:00:00.000Z';

const log = (/** @type {string} */ line) => process.stderr.write(`bench: ${line}\n`);

/**
 * The environment of a user pointing the CLI at `sim` (or at `baseUrl`, a forwarder in front of it).
 * @param {Simulator} sim
 * @param {string} [baseUrl]
 */
function cliEnv(sim, baseUrl = sim.url) {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? '/tmp',
    AZURE_TENANT_ID: sim.credentials.tenantId,
    AZURE_CLIENT_ID: sim.credentials.clientId,
    AZURE_CLIENT_SECRET: sim.credentials.clientSecret,
    DEFENDER_BASE_URL: baseUrl,
    AZURE_AUTHORITY_HOST: baseUrl,
    NODE_EXTRA_CA_CERTS: sim.caCertPath,
    DEFENDER_LOG_LEVEL: 'warn',
  };
}

const PULL_ARGS = ['pull', '--format', 'ndjson', '--since', SINCE];

/**
 * @param {Simulator} sim
 * @param {import('./lib/proc.js').MeasureOptions} [options]
 */
async function pull(sim, options = {}) {
  const result = await measure(process.execPath, [CLI, ...PULL_ARGS], { env: cliEnv(sim), ...options });
  if (result.code !== 0) throw new Error(`pull exited ${result.code}: ${result.stderr}`);
  return result;
}

/**
 * Spawns the CLI with stdout piped here: when did the first alert appear, and when did the answer's last byte pass?
 * @param {Simulator} sim
 */
async function firstAlert(sim) {
  const forwarder = await startForwarder(sim.url);
  try {
    const started = performance.now();
    const child = spawn(process.execPath, [CLI, ...PULL_ARGS], { env: cliEnv(sim, forwarder.url), stdio: ['ignore', 'pipe', 'inherit'] });
    /** @type {number | undefined} */
    let firstAt;
    child.stdout.on('data', () => (firstAt ??= performance.now()));
    /** @type {number | null} */
    const code = await new Promise((resolve) => child.on('close', resolve));
    if (code !== 0) throw new Error(`pull (first alert) exited ${code}`);
    // No output at all (it exits 0 only with alerts written) would show as NaN.
    return { firstMs: (firstAt ?? NaN) - started, lastByteMs: forwarder.lastServerByteAt - started };
  } finally {
    await forwarder.close();
  }
}

async function startup() {
  /** @type {number[]} */
  const cli = [];
  /** @type {number[]} */
  const bare = [];
  for (let i = 0; i < STARTUP_RUNS; i++) {
    bare.push((await measure(process.execPath, ['-e', '0'], { rss: false })).wallMs);
    cli.push((await measure(process.execPath, [CLI, '--version'], { rss: false })).wallMs);
  }
  return { cliMs: median(cli), nodeMs: median(bare) };
}

/**
 * Runs `fn` against a fresh HTTPS simulator serving `alerts` alerts, and closes it after.
 * @template T
 * @param {number} alerts
 * @param {(sim: Simulator) => Promise<T>} fn
 * @returns {Promise<T>}
 */
async function withSimulator(alerts, fn) {
  const sim = await startSimulator({ alerts, https: true, seed: 1 });
  try {
    return await fn(sim);
  } finally {
    await sim.close();
  }
}

async function main() {
  if (!existsSync(new URL('../dist/src/main.js', import.meta.url))) throw new Error('dist/ is missing: run `npm run build` first');
  const info = machine();
  const [curlVersion, jqVersion] = await Promise.all([versionOf('curl'), versionOf('jq')]);
  if (curlVersion === undefined || jqVersion === undefined) throw new Error('curl and jq are needed for the comparison');
  log(`${info.cpus} CPUs (${info.cpu}), Node ${info.node}, load ${info.load}; ${quick ? 'quick' : 'full'} run, ${RUNS} rounds`);
  if (!HAVE_GNU_TIME) log('/usr/bin/time not found: peak RSS will not be reported');
  /** @type {{ measureName: string, value: string, target: string, note: string }[]} */
  const rows = [];
  /**
   * @param {string} measureName
   * @param {string} value
   * @param {string} target
   * @param {string} [note]
   */
  const row = (measureName, value, target, note = '') => {
    rows.push({ measureName, value, target, note });
    log(`${measureName}: ${value}${note ? ` (${note})` : ''}`);
  };

  // --- pieces, in process ---------------------------------------------------------------
  const gen = generatorCost(quick ? 10_000 : 50_000);
  row(
    'simulator: generate + serialise one alert',
    `${gen.textsUsPerAlert.toFixed(2)} µs`,
    '—',
    `objects + JSON.stringify: ${gen.objectsUsPerAlert.toFixed(2)} µs`,
  );
  const sample = sampleAnswer(quick ? 5_000 : 20_000);
  const split = splitterThroughput(sample);
  row(
    'array splitter alone',
    `${Math.round(split.splitterMBps)} MB/s`,
    '—',
    `splitter + JSON.parse: ${Math.round(split.splitterPlusParseMBps)} MB/s; jsonparse (npm's copy): ${split.jsonparseMBps === undefined ? 'not installed' : `${Math.round(split.jsonparseMBps)} MB/s`}`,
  );
  const val = validationThroughput(sample);
  row(
    'validation alone (JSON.parse + schema)',
    `${Math.round(val.validateAlert / 1000)}k alerts/s`,
    '—',
    `JSON.parse only ${Math.round(val.parseOnly / 1000)}k/s, zod safeParse only ${Math.round(val.zodOnly / 1000)}k/s`,
  );

  // --- start-up ------------------------------------------------------------------------
  const boot = await startup();
  row(
    '`--version` wall vs `node -e 0`',
    `${formatMs(boot.cliMs)} vs ${formatMs(boot.nodeMs)} = ${formatRatio(boot.cliMs / boot.nodeMs)}`,
    '≤ 1.5×',
  );

  await withSimulator(20, async (sim) => {
    /** @type {number[]} */
    const times = [];
    for (let i = 0; i < STARTUP_RUNS; i++) times.push((await pull(sim, { rss: false })).wallMs);
    row('`pull` of 20 alerts, end to end incl. token', formatMs(median(times)), '≤ 300 ms', `median of ${STARTUP_RUNS}`);
  });

  // --- the comparison ------------------------------------------------------------------
  await withSimulator(SIZES.wall, async (sim) => {
    const token = await getToken(sim);
    // An HTTPS simulator (withSimulator's) always has a certificate.
    const shell = { url: `${sim.url}/api/alerts?sinceTimeUtc=${SINCE}`, token, caPath: /** @type {string} */ (sim.caCertPath) };
    const scratch = mkdtempSync(join(tmpdir(), 'defender-alerts-bench-'));
    try {
      const ours = join(scratch, 'cli.ndjson');
      const theirs = join(scratch, 'jq.ndjson');
      await pull(sim, { stdoutPath: ours, rss: false });
      await runScript(pipelineScript(), { ...shell, out: theirs });
      const same = await compareNdjson(ours, theirs);
      if (!same.equal || same.count !== SIZES.wall) {
        throw new Error(
          `the CLI's output differs from curl | jq's (${same.count} alerts compared): ${same.firstDifference ?? `expected ${SIZES.wall} alerts`}`,
        );
      }
      row(
        "output equals `curl | jq -c '.[]'`",
        `yes, ${same.count} alerts`,
        'same alerts, same values',
        `${same.identicalBytes} lines byte-identical`,
      );
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }

    const first = await firstAlert(sim);
    row(
      `time to first alert on stdout (${SIZES.wall} alerts)`,
      `${formatMs(first.firstMs)} (answer's last byte: ${formatMs(first.lastByteMs)})`,
      'before the last byte',
    );

    /** @type {import('./lib/proc.js').Measured[]} */
    const cli = [];
    /** @type {Awaited<ReturnType<typeof runScript>>[]} */
    const jq = [];
    /** @type {Awaited<ReturnType<typeof runScript>>[]} */
    const raw = [];
    for (let round = 1; round <= RUNS; round++) {
      cli.push(await pull(sim));
      jq.push(await runScript(pipelineScript(), shell));
      raw.push(await runScript(rawCurlScript(), shell));
      log(
        `round ${round}/${RUNS}: pull ${formatMs(cli.at(-1)?.wallMs ?? NaN)}, curl | jq ${formatMs(jq.at(-1)?.wallMs ?? NaN)}, curl ${formatMs(raw.at(-1)?.wallMs ?? NaN)}`,
      );
    }
    const m = {
      cli: median(cli.map((r) => r.wallMs)),
      jq: median(jq.map((r) => r.wallMs)),
      raw: median(raw.map((r) => r.wallMs)),
    };
    /**
     * The largest `key` of `list`, or undefined when any run lacks it (no GNU time).
     * @template {string} K
     * @param {readonly Record<K, number | undefined>[]} list
     * @param {K} key
     */
    const maxOf = (list, key) =>
      list.some((r) => r[key] === undefined) ? undefined : Math.max(.../** @type {number[]} */ (list.map((r) => r[key])));
    row(
      `wall, ${SIZES.wall} alerts: \`pull --format ndjson\``,
      `${formatMs(m.cli)} (${Math.round(SIZES.wall / (m.cli / 1000) / 1000)}k alerts/s)`,
      '—',
      `peak RSS ${formatRss(maxOf(cli, 'rssKib'))}`,
    );
    row(
      `wall, ${SIZES.wall} alerts: \`curl | jq -c '.[]'\``,
      formatMs(m.jq),
      '—',
      `peak RSS jq ${formatRss(maxOf(jq, 'jqRssKib'))}, curl ${formatRss(maxOf(jq, 'curlRssKib'))}`,
    );
    row(`wall, ${SIZES.wall} alerts: raw \`curl\``, formatMs(m.raw), '—', `peak RSS ${formatRss(maxOf(raw, 'curlRssKib'))}`);
    row('pull ÷ curl | jq', formatRatio(m.cli / m.jq), '≤ 0.3×', `medians of ${RUNS} alternating rounds`);
    row('pull ÷ raw curl', formatRatio(m.cli / m.raw), '≤ 1.2×');
  });

  // --- memory --------------------------------------------------------------------------
  /** @type {Record<number, number | undefined>} */
  const rss = {};
  for (const size of [SIZES.small, SIZES.large]) {
    await withSimulator(size, async (sim) => {
      const r = await pull(sim);
      rss[size] = r.rssKib;
      row(
        `peak RSS of pull, ${size} alerts`,
        formatRss(r.rssKib),
        size === SIZES.large ? '≤ 120 MB' : '—',
        `wall ${formatMs(r.wallMs)}, ${Math.round(size / (r.wallMs / 1000) / 1000)}k alerts/s`,
      );
    });
  }
  // Checked here, but TypeScript narrows no element access through a property key (SIZES.small).
  if (rss[SIZES.small] !== undefined && rss[SIZES.large] !== undefined) {
    row(
      `RSS growth ${SIZES.small} → ${SIZES.large} alerts`,
      formatRss(/** @type {number} */ (rss[SIZES.large]) - /** @type {number} */ (rss[SIZES.small])),
      '< 30 MB',
    );
  }

  const end = machine();
  process.stdout.write(
    [
      `Machine: ${info.cpus} CPUs, ${info.cpu}; Node ${info.node}; ${curlVersion}; ${jqVersion}`,
      `Load average (1, 5, 15 min): ${info.load} at start, ${end.load} at end. ${quick ? 'Quick run (--quick).' : ''}`,
      '',
      '| measure | result | target | notes |',
      '|---|---|---|---|',
      ...rows.map((r) => `| ${[r.measureName, r.value, r.target, r.note].map((cell) => cell.replaceAll('|', '\\|')).join(' | ')} |`),
      '',
    ].join('\n'),
  );
}

main().catch((error) => {
  process.stderr.write(`bench: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exitCode = 1;
});
