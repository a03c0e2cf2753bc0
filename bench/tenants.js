#!/usr/bin/env node
/**
 * `npm run bench:tenants [-- --quick] [-- --runs N]`: measures `pull --tenants <file>`, many tenants
 * in one run, against one in-process simulator over plain HTTP serving a fleet of tenants, each
 * answer delayed as a real API's would be. For each `--concurrency` it reports wall time, speed-up
 * over one tenant at a time, and peak RSS; then peak RSS at 1000 tenants (and 250, to show it is
 * flat in the tenant count), and the cost of `--state-dir`. Prints Markdown for BENCHMARKS.md. It
 * reports; it does not gate anything (it exits 1 only when a pull fails or its output is wrong).
 *
 * Runs the built CLI (dist/): `npm run build` first.
 */
import { spawn } from 'node:child_process';
import { createReadStream, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { machine } from './lib/machine.js';
import { GNU_TIME, HAVE_GNU_TIME, measure, rssFile } from './lib/proc.js';
import { formatMs, formatRatio, formatRss } from './lib/stats.js';
import { DIST } from './lib/dist.js';

/** @type {typeof import('../simulator/credentials.js')} */
const { fleetTenantId } = await import(`${DIST}simulator/credentials.js`);
/** @type {typeof import('../simulator/server.js')} */
const { startSimulator } = await import(`${DIST}simulator/server.js`);
/** @typedef {import('../simulator/server.js').Simulator} Simulator */
/** @typedef {import('./lib/proc.js').Measured} Measured */

const CLI = fileURLToPath(new URL('../bin/defender-alerts.js', import.meta.url));
const args = process.argv.slice(2);
const quick = args.includes('--quick');
const runsArg = args.indexOf('--runs');
const RUNS = runsArg >= 0 ? Number(args[runsArg + 1]) : quick ? 1 : 2;
/** The main fleet: `tenants` tenants of `alerts` alert records each, every answer `latencyMs` late. */
const FLEET = { tenants: quick ? 32 : 200, alerts: 500, latencyMs: 150 };
/** Memory at scale: many small tenants, at one concurrency; two tenant counts, both well above it. */
const MEMORY = { tenants: quick ? [200, 50] : [1000, 250], alerts: 50, latencyMs: 20, concurrency: 16 };
const CONCURRENCIES = [1, 4, 8, 16, 32, 64];
/** Rounds of the state-file comparison: its difference is small beside this machine's noise. */
const STATE_RUNS = quick ? 1 : RUNS + 1;
/** The knee: the smallest concurrency whose wall is within this factor of the best. */
const KNEE_FACTOR = 1.1;
const EVERYTHING = '2000-01-01T00:00:00Z';

const log = (/** @type {string} */ line) => process.stderr.write(`bench:tenants: ${line}\n`);
/** @type {string[]} */
const problems = [];
/**
 * What successful runs wrote on stderr, each distinct text (process ids blanked) once, with a count.
 * @type {Map<string, { first: string, count: number }>}
 */
const stderrSeen = new Map();

/**
 * Runs `fn` against a fresh fleet of `tenants` tenants, and closes it after.
 * @template T
 * @param {{ tenants: number, alerts: number, latencyMs: number }} size
 * @param {(fleet: Fleet) => Promise<T>} fn
 * @returns {Promise<T>}
 */
async function withFleet({ tenants, alerts, latencyMs }, fn) {
  const sim = await startSimulator({
    https: false,
    seed: 1,
    tenants,
    alerts,
    latencyMs,
    windowHours: 2,
    // So that neither API's quota decides (each tenant has its own anyway).
    mdeCallsPerMinute: 1_000_000,
    mdeCallsPerHour: 1_000_000,
    graphCallsPerMinute: 1_000_000,
  });
  const scratch = mkdtempSync(join(tmpdir(), 'defender-alerts-bench-tenants-'));
  try {
    const ids = Array.from({ length: tenants }, (_, i) => fleetTenantId(i + 1));
    const tenantsFile = join(scratch, 'tenants.txt');
    writeFileSync(tenantsFile, `${ids.join('\n')}\n`);
    // Graph answers one alert per AlertId (the SIEM API one record per alert part).
    /** @type {Fleet['expected']} */
    const expected = new Map();
    for (const id of ids) {
      /** @type {Set<import('../simulator/alert-types.js').SiemAlertValue | undefined>} */
      const distinct = new Set();
      const store = sim.storeOf(id);
      if (store === undefined) throw new Error(`the simulator serves no tenant ${id}`);
      for (const a of store.query({ sinceTimeUtc: EVERYTHING }, new Date()).alerts) distinct.add(a.AlertId);
      expected.set(id, distinct);
    }
    const total = [...expected.values()].reduce((sum, s) => sum + s.size, 0);
    log(`fleet of ${tenants} tenants × ${alerts} alert records, ${latencyMs} ms per answer: ${total} alerts expected`);
    return await fn({ sim, ids, tenantsFile, expected, total, scratch });
  } finally {
    rmSync(scratch, { recursive: true, force: true });
    await sim.close();
  }
}

/**
 * @typedef {object} Fleet a simulator serving `ids`, listed in `tenantsFile`
 * @property {Simulator} sim
 * @property {string[]} ids
 * @property {string} tenantsFile
 * @property {Map<string, Set<import('../simulator/alert-types.js').SiemAlertValue | undefined>>} expected per tenant id, the
 *   AlertIds of its store
 * @property {number} total the alerts a pull of every tenant writes
 * @property {string} scratch a directory removed afterwards
 */

/** @param {Simulator} sim */
function cliEnv(sim) {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? '/tmp',
    AZURE_CLIENT_ID: sim.credentials.clientId,
    AZURE_CLIENT_SECRET: sim.credentials.clientSecret,
    DEFENDER_BASE_URL: sim.url,
    AZURE_AUTHORITY_HOST: sim.url,
    DEFENDER_LOG_LEVEL: 'warn',
  };
}

/**
 * @param {string} tenantsFile
 * @param {number} concurrency
 * @param {readonly string[]} [extra]
 */
const pullArgs = (tenantsFile, concurrency, extra = []) => [
  CLI,
  'pull',
  '--api',
  'graph',
  '--tenants',
  tenantsFile,
  '--since',
  '3h',
  '--format',
  'ndjson',
  '--concurrency',
  String(concurrency),
  ...extra,
];

const tail = (/** @type {string} */ text) => text.trim().split('\n').slice(-5).join(' ⏎ ');

/**
 * Notes a failed or wrong run (reported at the end; the bench goes on).
 * @param {string} what
 * @param {Measured} result
 * @param {number} lines on stdout
 * @param {number} expected
 */
function check(what, result, lines, expected) {
  if (result.code !== 0) problems.push(`${what}: exit code ${result.code}; stderr tail: ${tail(result.stderr) || '(empty)'}`);
  else if (lines !== expected)
    problems.push(`${what}: ${lines} lines on stdout, expected ${expected}; stderr tail: ${tail(result.stderr) || '(empty)'}`);
  else if (result.stderr.trim() !== '') {
    const text = tail(result.stderr).replace(/\(node:\d+\)/g, '(node:PID)');
    if (!stderrSeen.has(text)) log(`${what}: stderr (exit 0): ${text}`);
    stderrSeen.set(text, { first: stderrSeen.get(text)?.first ?? what, count: (stderrSeen.get(text)?.count ?? 0) + 1 });
  }
}

/**
 * Reads (and removes) a GNU time `%U %S` report: user + system CPU in ms, or undefined.
 * @param {string} path
 */
function readCpu(path) {
  try {
    const [user = NaN, system = NaN] = (readFileSync(path, 'utf8').trim().split('\n').at(-1) ?? '').split(' ').map(Number);
    return Number.isFinite(user) && Number.isFinite(system) ? (user + system) * 1000 : undefined;
  } catch {
    return undefined;
  } finally {
    rmSync(path, { force: true });
  }
}

/** Busy and total CPU time of the whole machine so far, in ms (all CPUs). */
function machineCpu() {
  let busy = 0;
  let total = 0;
  for (const { times } of cpus()) {
    const b = times.user + times.nice + times.sys + times.irq;
    busy += b;
    total += b + times.idle;
  }
  return { busy, total };
}

/**
 * Pulls the fleet at `concurrency`, its stdout counted by `wc -l` (another process, so that counting
 * takes nothing from the simulator's event loop here). Resolves `{ wallMs, rssKib, code, stderr, lines }`.
 * @param {Fleet} fleet
 * @param {number} concurrency
 * @param {readonly string[]} [extra]
 */
async function timedPull(fleet, concurrency, extra = []) {
  const wc = spawn('wc', ['-l'], { stdio: ['pipe', 'pipe', 'inherit'] });
  let counted = '';
  wc.stdout.setEncoding('utf8').on('data', (d) => (counted += d));
  /** @type {Promise<number>} */
  const wcDone = new Promise((resolve, reject) => {
    wc.once('error', reject);
    wc.once('close', (code) => (code === 0 ? resolve(Number(counted.trim())) : reject(new Error(`wc -l exited ${code}`))));
  });
  const simBefore = process.cpuUsage();
  const machineBefore = machineCpu();
  // The CLI's own CPU time from a GNU time of its own, inside the one measure() runs for peak RSS
  // (whose %M, the largest descendant's, is still the CLI's).
  const cpuReport = HAVE_GNU_TIME ? rssFile() : undefined;
  const [command, argv] =
    cpuReport === undefined
      ? [process.execPath, pullArgs(fleet.tenantsFile, concurrency, extra)]
      : [GNU_TIME, ['-f', '%U %S', '-o', cpuReport, process.execPath, ...pullArgs(fleet.tenantsFile, concurrency, extra)]];
  const run = measure(command, argv, { env: cliEnv(fleet.sim), stdout: wc.stdin });
  wc.stdin.destroy(); // the CLI holds the pipe's write end now: wc sees the end when it exits
  const [result, lines] = await Promise.all([run, wcDone]);
  const sim = process.cpuUsage(simBefore);
  const machineAfter = machineCpu();
  const cores = cpus().length;
  return {
    ...result,
    lines,
    cliCpuMs: cpuReport === undefined ? undefined : readCpu(cpuReport),
    // CPU time of this process (the simulator) and of the whole machine (the CLI, the simulator and
    // whatever else runs), as a share of one CPU over the run's wall time: 200 % is 2 CPUs flat out.
    simCpuMs: (sim.user + sim.system) / 1000,
    machineCpuPct: ((machineAfter.busy - machineBefore.busy) / (machineAfter.total - machineBefore.total)) * cores * 100,
  };
}

/** @typedef {Awaited<ReturnType<typeof timedPull>>} Timed */

/**
 * The entry at `key`, set beforehand (a Map's or an array's).
 * @template V
 * @param {Map<number, V> | V[]} list
 * @param {number} key
 * @returns {V}
 */
function entry(list, key) {
  const value = list instanceof Map ? list.get(key) : list[key];
  if (value === undefined) throw new Error(`no entry ${key}`);
  return value;
}

/**
 * One untimed pull with its output kept: every line parsed, and per tenant (its `tenantLabel`) the
 * set of alert ids compared with the AlertIds of that tenant's store.
 * @param {Fleet} fleet
 * @param {number} concurrency
 */
async function verify(fleet, concurrency) {
  const out = join(fleet.scratch, 'verify.ndjson');
  const result = await measure(process.execPath, pullArgs(fleet.tenantsFile, concurrency), {
    env: cliEnv(fleet.sim),
    stdoutPath: out,
    rss: false,
  });
  /** @type {Map<string, Set<unknown>>} per `tenantLabel`, the `id`s of the output's alerts */
  const seen = new Map();
  let lines = 0;
  let duplicates = 0;
  for await (const line of createInterface({ input: createReadStream(out), crlfDelay: Infinity })) {
    lines++;
    /** @type {{ tenantLabel: string, id: unknown }} an output line, as far as read here */
    const alert = JSON.parse(line);
    const ids = seen.get(alert.tenantLabel) ?? new Set();
    if (ids.has(alert.id)) duplicates++;
    ids.add(alert.id);
    seen.set(alert.tenantLabel, ids);
  }
  rmSync(out, { force: true });
  check(`verification pull (--concurrency ${concurrency})`, result, lines, fleet.total);
  let mismatched = 0;
  for (const [id, want] of fleet.expected) {
    const got = seen.get(id) ?? new Set();
    if (got.size !== want.size || [...want].some((alertId) => !got.has(alertId))) mismatched++;
  }
  const strangers = [...seen.keys()].filter((label) => !fleet.expected.has(label)).length;
  if (duplicates > 0 || mismatched > 0 || strangers > 0) {
    problems.push(
      `verification pull: ${duplicates} duplicate alerts, ${mismatched} tenants whose ids differ from their store's, ${strangers} unknown labels`,
    );
  }
  const distinct = [...seen.values()].reduce((sum, s) => sum + s.size, 0);
  log(`verified: ${lines} lines, ${distinct} distinct (tenant, id), ${duplicates} duplicates, ${mismatched} tenants differing`);
  return {
    lines,
    distinct,
    duplicates,
    mismatched,
    ok: result.code === 0 && lines === fleet.total && duplicates + mismatched + strangers === 0,
  };
}

const best = (/** @type {readonly Timed[]} */ runs) => Math.min(...runs.map((r) => r.wallMs));
/** The highest peak RSS of `runs`, or undefined when any lacks one (no GNU time). */
const peak = (/** @type {readonly Timed[]} */ runs) =>
  runs.some((r) => r.rssKib === undefined) ? undefined : Math.max(.../** @type {number[]} */ (runs.map((r) => r.rssKib)));
const walls = (/** @type {readonly Timed[]} */ runs) => runs.map((r) => formatMs(r.wallMs)).join(', ');
/** @param {readonly Timed[]} runs not empty */
const fastest = (runs) => runs.reduce((a, b) => (b.wallMs < a.wallMs ? b : a));
const pct = (/** @type {number} */ value) => `${Math.round(value)} %`;
/**
 * CPU time and its share of one CPU over the run's wall time.
 * @param {number | undefined} ms
 * @param {Timed} r
 */
const cpuOf = (ms, r) => (ms === undefined ? 'n/a' : `${formatMs(ms)} (${pct((ms / r.wallMs) * 100)})`);

/** @param {Fleet} fleet */
async function concurrencySweep(fleet) {
  /** @type {Map<number, Timed[]>} */
  const runs = new Map(CONCURRENCIES.map((k) => [k, []]));
  // Rounds go over every concurrency in turn, so that a noisy minute does not land on one of them only.
  for (let round = 1; round <= RUNS; round++) {
    for (const k of CONCURRENCIES) {
      const r = await timedPull(fleet, k);
      check(`pull --concurrency ${k} (round ${round})`, r, r.lines, fleet.total);
      entry(runs, k).push(r);
      log(
        `round ${round}/${RUNS}, --concurrency ${k}: ${formatMs(r.wallMs)}, peak RSS ${formatRss(r.rssKib)}, ${r.lines} lines, exit ${r.code}, ` +
          `CPU: CLI ${cpuOf(r.cliCpuMs, r)}, simulator ${cpuOf(r.simCpuMs, r)}, machine busy ${pct(r.machineCpuPct)}`,
      );
    }
  }
  return runs;
}

/**
 * Where state directories go: the temp dir's file system (fsync reaches the disk), and tmpfs if there is one (fsync is free).
 * @param {Fleet} fleet
 */
function stateHomes(fleet) {
  const homes = [{ name: 'temp dir (disk)', dir: fleet.scratch }];
  if (existsSync('/dev/shm')) homes.push({ name: 'tmpfs', dir: mkdtempSync(join('/dev/shm', 'defender-alerts-bench-tenants-')) });
  return homes;
}

/**
 * The same pull without and with a fresh `--state-dir` (one per file system), alternately.
 * @param {Fleet} fleet
 * @param {number} k the concurrency
 */
async function stateDirCost(fleet, k) {
  const homes = stateHomes(fleet);
  /** @type {Timed[]} */
  const plain = [];
  const withState = homes.map(() => /** @type {Timed[]} */ ([]));
  /** @type {{ json: number, other: number, bytes: number } | undefined} the last state directory's files */
  let files;
  try {
    for (let round = 1; round <= STATE_RUNS; round++) {
      const p = await timedPull(fleet, k);
      check(`pull --concurrency ${k} (state comparison, round ${round})`, p, p.lines, fleet.total);
      plain.push(p);
      const notes = [`plain ${formatMs(p.wallMs)}`];
      for (const [h, home] of homes.entries()) {
        const dir = join(home.dir, `state-${round}`);
        const s = await timedPull(fleet, k, ['--state-dir', dir]);
        check(`pull --concurrency ${k} --state-dir on ${home.name} (round ${round})`, s, s.lines, fleet.total);
        entry(withState, h).push(s);
        const names = existsSync(dir) ? readdirSync(dir) : [];
        const json = names.filter((n) => n.endsWith('.json'));
        files = {
          json: json.length,
          other: names.length - json.length,
          bytes: json.reduce((sum, n) => sum + statSync(join(dir, n)).size, 0),
        };
        if (json.length !== fleet.ids.length) {
          problems.push(`--state-dir on ${home.name}: ${json.length} state files, expected ${fleet.ids.length} (${names.length} entries)`);
        }
        notes.push(`--state-dir on ${home.name} ${formatMs(s.wallMs)} (${json.length} state files, ${files.bytes} bytes)`);
      }
      log(`state round ${round}/${STATE_RUNS}: ${notes.join(', ')}`);
    }
  } finally {
    for (const home of homes.slice(1)) rmSync(home.dir, { recursive: true, force: true });
  }
  // withState has an entry for each home.
  return { plain, homes: homes.map((home, h) => ({ name: home.name, runs: /** @type {Timed[]} */ (withState[h]) })), files };
}

async function memoryAtScale() {
  /** @type {{ tenants: number, total: number, runs: Timed[] }[]} */
  const rows = [];
  for (const tenants of MEMORY.tenants) {
    await withFleet({ tenants, alerts: MEMORY.alerts, latencyMs: MEMORY.latencyMs }, async (fleet) => {
      /** @type {Timed[]} */
      const runs = [];
      for (let round = 1; round <= RUNS; round++) {
        const r = await timedPull(fleet, MEMORY.concurrency);
        check(`${tenants} tenants, pull --concurrency ${MEMORY.concurrency} (round ${round})`, r, r.lines, fleet.total);
        runs.push(r);
        log(`${tenants} tenants, round ${round}/${RUNS}: ${formatMs(r.wallMs)}, peak RSS ${formatRss(r.rssKib)}, ${r.lines} lines`);
      }
      rows.push({ tenants, total: fleet.total, runs });
    });
  }
  return rows;
}

async function main() {
  if (!existsSync(new URL('../dist/src/main.js', import.meta.url))) throw new Error('dist/ is missing: run `npm run build` first');
  const info = machine();
  log(`${info.cpus} CPUs (${info.cpu}), Node ${info.node}, load ${info.load}; ${quick ? 'quick' : 'full'} run, ${RUNS} round(s)`);
  if (!HAVE_GNU_TIME) log('/usr/bin/time not found: peak RSS will not be reported');
  const started = performance.now();

  const run = await withFleet(FLEET, async (fleet) => {
    const verified = await verify(fleet, 16);
    const sweep = await concurrencySweep(fleet);
    const bestWall = Math.min(...CONCURRENCIES.map((k) => best(entry(sweep, k))));
    // Found: the concurrency with the best wall is within the factor.
    const knee = /** @type {number} */ (CONCURRENCIES.find((k) => best(entry(sweep, k)) <= bestWall * KNEE_FACTOR));
    const state = await stateDirCost(fleet, knee);
    return { total: fleet.total, verified, sweep, knee, state };
  });
  const memory = await memoryAtScale();
  const end = machine();

  const one = best(entry(run.sweep, 1));
  const sixteen = run.sweep.has(16) ? best(entry(run.sweep, 16)) : undefined;
  const big = memory[0];
  const small = memory.at(-1);
  if (big === undefined || small === undefined) throw new Error('no fleet size measured for memory');
  const bigPeak = peak(big.runs);
  const smallPeak = peak(small.runs);
  const growth = bigPeak !== undefined && smallPeak !== undefined ? bigPeak - smallPeak : undefined;
  const plainBest = best(run.state.plain);
  // Set by every round (STATE_RUNS ≥ 1) on every home (at least one).
  const f = /** @type {NonNullable<typeof run.state.files>} */ (run.state.files);
  const cpuCells = (/** @type {Timed} */ r) => `${cpuOf(r.cliCpuMs, r)} | ${cpuOf(r.simCpuMs, r)} | ${pct(r.machineCpuPct)}`;
  const mem = (/** @type {(typeof memory)[number]} */ m) =>
    `| ${m.tenants} tenants × ${MEMORY.alerts} alert records | ${m.total} | ${formatMs(best(m.runs))} | ${formatRss(peak(m.runs))} | ${cpuCells(fastest(m.runs))} |`;

  const lines = [
    `Machine: ${info.cpus} CPUs, ${info.cpu}; Node ${info.node}`,
    `Load average (1, 5, 15 min): ${info.load} at start, ${end.load} at end. ${quick ? 'Quick run (--quick). ' : ''}` +
      `${RUNS} round(s) per row (lowest wall shown, highest peak RSS); ${formatMs(performance.now() - started)} in all.`,
    '',
    `${FLEET.tenants} tenants × ${FLEET.alerts} alert records (${run.total} Graph alerts in all), ${FLEET.latencyMs} ms per answer, ` +
      `\`pull --api graph --tenants <file> --since 3h --format ndjson\`; output ${run.verified.ok ? 'verified' : '**NOT verified**'} ` +
      `(${run.verified.lines} lines, ${run.verified.distinct} distinct tenant + id, each tenant's ids = its store's AlertIds).`,
    '',
    '| `--concurrency` | wall (lowest) | all rounds | speed-up vs 1 | tenants/s | peak RSS | CLI CPU | simulator CPU | machine busy |',
    '|---|---|---|---|---|---|---|---|---|',
    ...CONCURRENCIES.map((k) => {
      const runs = entry(run.sweep, k);
      const w = best(runs);
      const speed = `${formatRatio(one / w)} | ${(FLEET.tenants / (w / 1000)).toFixed(1)}`;
      return `| ${k} | ${formatMs(w)} | ${walls(runs)} | ${speed} | ${formatRss(peak(runs))} | ${cpuCells(fastest(runs))} |`;
    }),
    '',
    `CPU columns: of the fastest round; in parentheses as a share of one CPU over its wall time (${info.cpus} CPUs: ` +
      `${info.cpus * 100} % is all of them). Machine busy counts everything on the machine: CLI, simulator, anyone else.`,
    '',
    `Knee (smallest concurrency within ${Math.round((KNEE_FACTOR - 1) * 100)} % of the best wall): ${run.knee}.`,
    '',
    `| \`--concurrency ${run.knee}\`, state files | wall (lowest) | all rounds | peak RSS | CLI CPU | simulator CPU | machine busy |`,
    '|---|---|---|---|---|---|---|',
    `| no \`--state-dir\` | ${formatMs(plainBest)} | ${walls(run.state.plain)} | ${formatRss(peak(run.state.plain))} | ${cpuCells(fastest(run.state.plain))} |`,
    ...run.state.homes.map(
      (/** @type {(typeof run.state.homes)[number]} */ h) =>
        `| \`--state-dir\` on ${h.name}, fresh | ${formatMs(best(h.runs))} | ${walls(h.runs)} | ${formatRss(peak(h.runs))} | ${cpuCells(fastest(h.runs))} |`,
    ),
    '',
    `Each \`--state-dir\` run ends with ${f.json} state files (${(f.bytes / 1000).toFixed(0)} kB${f.other > 0 ? `, and ${f.other} other entries` : ''}).`,
    '',
    `| memory at scale (\`--concurrency ${MEMORY.concurrency}\`, ${MEMORY.latencyMs} ms per answer) | alerts | wall (lowest) | peak RSS | CLI CPU | simulator CPU | machine busy |`,
    '|---|---|---|---|---|---|---|',
    ...memory.map(mem),
    '',
    '| target | result |',
    '|---|---|',
    sixteen === undefined
      ? '| wall at 16 ≤ 1/10 of wall at 1 | n/a |'
      : `| wall at 16 ≤ 1/10 of wall at 1 | ${sixteen <= one / 10 ? 'met' : 'not met'}: ${formatMs(sixteen)} vs ${formatMs(one)} (${formatRatio(one / sixteen)} faster) |`,
    `| peak RSS ≤ 150 MB at ${big.tenants} tenants | ${bigPeak === undefined ? 'n/a' : bigPeak * 1024 <= 150e6 ? 'met' : 'not met'}: ${formatRss(peak(big.runs))} |`,
    `| peak RSS flat in the tenant count (${small.tenants} → ${big.tenants} tenants) | ${growth === undefined ? 'n/a' : `${growth >= 0 ? '+' : '−'}${formatRss(Math.abs(growth))}`} |`,
    '',
  ];
  if (stderrSeen.size > 0) {
    lines.push('Stderr of successful runs (`DEFENDER_LOG_LEVEL=warn`):', '');
    for (const [text, { first, count }] of stderrSeen) lines.push(`- ${count} run(s), first ${first}: \`${text}\``);
    lines.push('');
  }
  if (problems.length > 0) lines.push('**Problems:**', '', ...problems.map((p) => `- ${p}`), '');
  process.stdout.write(lines.join('\n'));
  if (problems.length > 0) process.exitCode = 1;
}

main().catch((error) => {
  process.stderr.write(`bench:tenants: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exitCode = 1;
});
