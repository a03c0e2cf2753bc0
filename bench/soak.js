#!/usr/bin/env node
/**
 * `npm run bench:soak [-- --quick | --minutes N] [-- --tenants N] [-- --token-lifetime S] [-- --out DIR]`:
 * an endurance run of the service, `pull --tenants <file> --state-dir <dir> --follow --interval 1s`,
 * against one in-process simulator over plain HTTP. A compressed month: the tokens live seconds, so
 * every cycle renews every tenant's token — 12 minutes of cycles a second are ~720 renewals per
 * tenant, a month of hourly ones. Faults come at a steady pace all along (500, 429 with Retry-After,
 * connection resets, on the alert and the token routes), and one tenant's consent is withdrawn for
 * the middle of the run and then restored.
 *
 * It records each cycle's duration (from the CLI's own log lines), the CLI's CPU and RSS (from
 * /proc), writes cycles.csv, samples.csv, chart.svg and summary.md to `--out` (default
 * bench/results/soak/, not committed), and prints the summary (Markdown, for BENCHMARKS.md).
 *
 * Verdict: the last tenth of the run against the second (the first is warm-up): exit 1 when the
 * median cycle duration, the CLI's CPU per cycle or its median RSS grew by more than 20 %; exit 2
 * when the run cannot give a verdict (too few cycles, the CLI died or did not stop cleanly, the
 * tenant without consent never recovered); 130 when interrupted. Runs the built CLI: `npm run build`.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { cpus, tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { createInterface } from 'node:readline';
import { clearInterval, clearTimeout, setInterval, setTimeout } from 'node:timers';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { machine } from './lib/machine.js';
import { scrubCost } from './lib/micro.js';
import { formatMs, formatRss, median } from './lib/stats.js';
import { DIST } from './lib/dist.js';

/** @type {typeof import('../simulator/credentials.js')} */
const { fleetTenantId } = await import(`${DIST}simulator/credentials.js`);
/** @type {typeof import('../simulator/server.js')} */
const { startSimulator } = await import(`${DIST}simulator/server.js`);
/** @typedef {import('../simulator/server.js').Simulator} Simulator */

const CLI = fileURLToPath(new URL('../bin/defender-alerts.js', import.meta.url));
const REPO = fileURLToPath(new URL('..', import.meta.url));

/** From the start of one cycle to the next, as a month-long service would be run at its most eager. */
const INTERVAL = '1s';
/** Each answer waits this long, as a real API's does: a cycle is not pure CPU. */
const LATENCY_MS = 20;
/**
 * New alerts per tenant and minute, and as many (in detection records: ~1.42 per alert) before the
 * start, so that the re-read overlap of every cycle holds as many alerts in the first minute as in
 * the last: the work of a cycle must not change with age, or the verdict would measure the data.
 */
const ALERTS_PER_MINUTE = 1;
const INITIAL = { hours: 1, records: Math.round(60 * ALERTS_PER_MINUTE * 1.42) };
/** One fault this often, in turn, the whole run long: every tenth of the run gets its share. */
const FAULT_EVERY_MS = 5_000;
const FAULTS = [
  { what: 'alerts 500', fault: { status: 500 } },
  { what: 'alerts 429 Retry-After: 1', fault: { status: 429, retryAfter: '1' } },
  { what: 'alerts connection reset', fault: { resetBeforeHeaders: true } },
  { what: 'token 500', fault: { route: 'token', status: 500 } },
  { what: 'token connection reset', fault: { route: 'token', resetBeforeHeaders: true } },
];
/** The tenant without consent, as fractions of the run: away from the second tenth and the last. */
const CONSENT_GONE = { from: 0.42, to: 0.58 };
/** It must deliver again within this long of consent coming back (its next cycle or so). */
const RECOVERY_MS = 10_000;
/** Growth beyond this ratio fails the verdict, if it is also above the measure's noise floor. */
const LIMIT = 1.2;
/** Other processes' CPU (share of one CPU) differing more than this between the compared tenths is said next to the verdict. */
const CONTENTION_PCT = 25;
/** Fewer cycles than this in a compared tenth: no verdict (a median of 3 is noise). */
const MIN_CYCLES_PER_TENTH = 5;
const SAMPLE_MS = 1_000;
/** A requested stop ends a cycle's requests at once: longer than this is a hang. */
const STOP_TIMEOUT_MS = 30_000;
const TENTHS = 10;

const flags = parseFlags();
const MINUTES = Number(flags.minutes ?? (flags.quick ? 1 : 12));
const TENANTS = Number(flags.tenants);
const TOKEN_LIFETIME_S = Number(flags['token-lifetime']);
const RUN_MS = MINUTES * 60_000;

const log = (/** @type {string} */ line) => process.stderr.write(`bench:soak: ${line}\n`);
/** @type {string[]} */
const problems = [];
/** @type {string[]} */
const notes = [];

function parseFlags() {
  try {
    return parseArgs({
      options: {
        quick: { type: 'boolean', default: false },
        minutes: { type: 'string' },
        tenants: { type: 'string', default: '50' },
        api: { type: 'string', default: 'graph' },
        'token-lifetime': { type: 'string', default: '2' },
        out: { type: 'string', default: join(REPO, 'bench', 'results', 'soak') },
      },
    }).values;
  } catch (error) {
    return usageError(error instanceof Error ? error.message : String(error));
  }
}

/** Exit 1 means "it grows": a usage error must not read as a verdict. */
/**
 * @param {string} message
 * @returns {never}
 */
function usageError(message) {
  process.stderr.write(`bench:soak: ${message}\n`);
  process.exit(2);
}

function validateFlags() {
  if (!(MINUTES > 0)) usageError('--minutes must be a positive number');
  // With one tenant, its lost consent would fail every tenant alike, which ends the service (exit 3).
  if (!Number.isInteger(TENANTS) || TENANTS < 2) usageError('--tenants must be a whole number of at least 2');
  if (!(TOKEN_LIFETIME_S > 0)) usageError('--token-lifetime must be a positive number of seconds');
  if (!['siem', 'mde', 'graph'].includes(flags.api)) usageError('--api must be siem, mde or graph');
}

// ---------------------------------------------------------------------------------------------
// The child's CPU and memory, from /proc.

const HAVE_PROC = existsSync('/proc/self/stat');
const CLOCK_TICKS = clockTicksPerSecond();

function clockTicksPerSecond() {
  const answer = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' });
  const ticks = Number(answer.stdout?.trim());
  return ticks > 0 ? ticks : 100;
}

/**
 * User + system CPU of `pid` so far, in ms; undefined once it is gone (or without /proc).
 * @param {number | undefined} pid undefined (a child that failed to spawn) reads as gone
 */
function cpuMsOf(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which may itself hold spaces: utime and stime are the 12th and 13th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
  } catch {
    return undefined;
  }
}

/**
 * Resident set of `pid` now, in KiB.
 * @param {number | undefined} pid
 */
function rssKibOf(pid) {
  try {
    const kib = Number(/^VmRSS:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
    return Number.isFinite(kib) && kib > 0 ? kib : undefined;
  } catch {
    return undefined;
  }
}

/** Busy CPU time of the whole machine so far, in ms (all CPUs): what else runs shows as busy time beyond ours. */
function machineBusyMs() {
  return sum(cpus().map(({ times }) => times.user + times.nice + times.sys + times.irq));
}

// ---------------------------------------------------------------------------------------------
// The fleet and the service.

async function startFleet() {
  return startSimulator({
    https: false,
    seed: 1,
    tenants: TENANTS,
    alerts: INITIAL.records,
    windowHours: INITIAL.hours,
    rate: ALERTS_PER_MINUTE,
    latencyMs: LATENCY_MS,
    tokenLifetimeSeconds: TOKEN_LIFETIME_S,
    // So that neither API's quota decides (each tenant has its own anyway).
    mdeCallsPerMinute: 1_000_000,
    mdeCallsPerHour: 1_000_000,
    graphCallsPerMinute: 1_000_000,
  });
}

/** @param {string} scratch */
function serviceFiles(scratch) {
  const ids = Array.from({ length: TENANTS }, (_, i) => fleetTenantId(i + 1));
  const files = {
    ids,
    tenants: join(scratch, 'tenants.txt'),
    stateDir: join(scratch, 'state'),
    metrics: join(scratch, 'defender-alerts.prom'),
    home: join(scratch, 'home'),
  };
  writeFileSync(files.tenants, `${ids.join('\n')}\n`);
  mkdirSync(files.home);
  return files;
}

/** @typedef {ReturnType<typeof serviceFiles>} ServiceFiles */

/**
 * @param {Simulator} sim
 * @param {ServiceFiles} files
 */
function serviceEnv(sim, files) {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    // Its own HOME: nothing a long run might cache lands in the user's.
    HOME: files.home,
    AZURE_CLIENT_ID: sim.credentials.clientId,
    AZURE_CLIENT_SECRET: sim.credentials.clientSecret,
    DEFENDER_BASE_URL: sim.url,
    AZURE_AUTHORITY_HOST: sim.url,
    // A service's default, and the level at which every cycle logs a line per tenant.
    DEFENDER_LOG_LEVEL: 'info',
  };
}

const serviceArgs = (/** @type {ServiceFiles} */ files) => [
  CLI,
  'pull',
  '--api',
  flags.api,
  '--tenants',
  files.tenants,
  '--state-dir',
  files.stateDir,
  '--follow',
  '--interval',
  INTERVAL,
  '--format',
  'ndjson',
  '--metrics-file',
  files.metrics,
];

/**
 * A line of the CLI's log (pino, JSON), with the fields read here. A cycle's end line also carries
 * `tenants`, `succeeded`, `failed` and `alerts`, a tenant's summary line `tenant` and `outcome`
 * (src/delivery/fleet.ts, summarize).
 * @typedef {object} LogEntry
 * @property {number} time epoch ms
 * @property {number} level pino's: 40 warn, 50 error
 * @property {string} msg
 * @property {number} [tenants]
 * @property {string} [tenant]
 * @property {string} [outcome]
 */
/** @typedef {LogEntry & { tenants: number, succeeded: number, failed: number, alerts: number }} CycleEnd */

/**
 * The summary line that ends a cycle: all tenants well ('pull complete') or some not ('pull finished: …').
 * @param {LogEntry} entry
 * @returns {entry is CycleEnd}
 */
const isCycleEnd = (entry) =>
  typeof entry.tenants === 'number' && (entry.msg === 'pull complete' || String(entry.msg).startsWith('pull finished:'));

/**
 * Reads the CLI's log lines as cycles: a cycle runs from its first line (after the one that says the
 * service is following, or after the previous cycle's end) to its end line. Lines of the follow loop
 * itself (an overrun, a failed cycle, the stop: they carry `cycle` or `cycles`) belong to no cycle.
 * @param {object} handlers
 * @param {(end: CycleEnd, startMs: number) => void} handlers.onCycle
 * @param {(entry: LogEntry) => void} handlers.onEntry every JSON line with a `time`
 * @param {(text: string) => void} handlers.onStray every other line
 * @returns {(text: string) => void}
 */
function cycleReader({ onCycle, onEntry, onStray }) {
  let following = false;
  /** @type {number | undefined} */
  let startMs;
  return (text) => {
    // Any JSON; a LogEntry once the check below has seen an object with a numeric `time`.
    /** @type {LogEntry | undefined} */
    let entry;
    try {
      entry = JSON.parse(text);
    } catch {
      entry = undefined;
    }
    if (entry === null || typeof entry !== 'object' || typeof entry.time !== 'number') return onStray(text);
    onEntry(entry);
    if (String(entry.msg).startsWith('following:')) following = true;
    else if (following && !('cycle' in entry) && !('cycles' in entry)) {
      startMs ??= entry.time;
      if (isCycleEnd(entry)) {
        onCycle(entry, startMs);
        startMs = undefined;
      }
    }
  };
}

/** @param {string} text */
function isJson(text) {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/**
 * A warning or error line, digits blanked, so that alike lines count as one.
 * @param {LogEntry} entry
 */
const lineKind = (entry) => `${entry.level >= 50 ? 'error' : 'warn'}: ${String(entry.msg).replace(/\d+/g, 'N').slice(0, 160)}`;

/**
 * What the simulator saw, in running totals: token and alert requests, faults taken. Each update
 * empties the simulator's request log, which would otherwise grow with the run and slow the
 * simulator (not the CLI). Readers keep their own last totals and take differences.
 * @param {Simulator} sim
 * @returns {() => Requests}
 */
function requestTally(sim) {
  const total = { tokens: 0, alerts: 0, faults: 0 };
  return () => {
    total.tokens += sim.stats.count('token');
    total.alerts += sim.stats.count('alerts');
    total.faults += sim.stats.requests.filter((r) => r.fault !== undefined).length;
    sim.stats.reset();
    return { ...total };
  };
}

/** @typedef {{ tokens: number, alerts: number, faults: number }} Requests token and alert requests, faults taken */

/**
 * @param {Requests} a
 * @param {Requests} b
 * @returns {Requests}
 */
const minus = (a, b) => ({ tokens: a.tokens - b.tokens, alerts: a.alerts - b.alerts, faults: a.faults - b.faults });

/**
 * Spawns the service and records it: `cycles` (one per end line, with the CLI's CPU and RSS read the
 * moment the line arrives, and the requests the simulator saw since the previous cycle ended), the
 * non-JSON lines of its stderr, warnings and errors by kind, the summaries of `watched` (the tenant
 * whose consent goes), the lines of its stdout.
 */
/**
 * @typedef {object} Cycle one cycle of the service, read from its log
 * @property {number} cycle
 * @property {number} uptimeS
 * @property {number} cycleMs
 * @property {number | undefined} periodMs
 * @property {number} endMs
 * @property {number | undefined} cpuMs
 * @property {number | undefined} rssKib
 * @property {number} succeeded
 * @property {number} failed
 * @property {number} alerts
 * @property {ReturnType<typeof minus>} requests
 */
/** @typedef {{ code: number | null, signal: NodeJS.Signals | null, atMs: number }} Exit */
/**
 * @typedef {object} Service the running service, and what it did so far
 * @property {import('node:child_process').ChildProcessByStdio<null, import('node:stream').Readable, import('node:stream').Readable>} child
 * @property {number} startedMs
 * @property {Cycle[]} cycles
 * @property {Map<string, number>} strays stderr lines that are not JSON, and how often each came
 * @property {Map<string, number>} kinds warning and error lines by {@link lineKind}, and how often each came
 * @property {{ atMs: number, outcome: string | undefined }[]} watched the tenant summaries of `watched`
 * @property {number} stdoutLines
 * @property {number} stdoutNotJson
 * @property {Exit | undefined} exit
 * @property {Promise<Exit>} exited how it ended (rejects if it could not be spawned)
 * @property {number} [stopAskedMs] when {@link stopService} sent SIGTERM
 */

/**
 * @param {Simulator} sim
 * @param {() => Requests} tally
 * @param {ServiceFiles} files
 * @param {string | undefined} watched the tenant id whose consent goes
 * @returns {Service}
 */
function startService(sim, tally, files, watched) {
  const startedMs = Date.now();
  const child = spawn(process.execPath, serviceArgs(files), { env: serviceEnv(sim, files), stdio: ['ignore', 'pipe', 'pipe'] });
  // `exited` is set below, once the listeners that use `service` exist.
  const service = /** @type {Service} */ ({
    child,
    startedMs,
    cycles: /** @type {Cycle[]} */ ([]),
    strays: new Map(),
    kinds: new Map(),
    watched: /** @type {Service['watched']} */ ([]),
    stdoutLines: 0,
    stdoutNotJson: 0,
    exit: /** @type {Exit | undefined} */ (undefined),
  });
  const uptimeS = (/** @type {number} */ ms) => (ms - startedMs) / 1000;
  let lastCpuMs = 0;
  let lastSeen = tally();
  /** @type {(end: CycleEnd, startMs: number) => void} */
  const onCycle = (end, startMs) => {
    const cpuMs = cpuMsOf(child.pid);
    const seen = tally();
    const previous = service.cycles.at(-1);
    service.cycles.push({
      cycle: service.cycles.length + 1,
      uptimeS: uptimeS(end.time),
      cycleMs: end.time - startMs,
      periodMs: previous === undefined ? undefined : end.time - previous.endMs,
      endMs: end.time,
      cpuMs: cpuMs === undefined ? undefined : cpuMs - lastCpuMs,
      rssKib: rssKibOf(child.pid),
      succeeded: end.succeeded,
      failed: end.failed,
      alerts: end.alerts,
      requests: minus(seen, lastSeen),
    });
    lastSeen = seen;
    if (cpuMs !== undefined) lastCpuMs = cpuMs;
  };
  /** @type {(entry: LogEntry) => void} */
  const onEntry = (entry) => {
    if (entry.level >= 40) service.kinds.set(lineKind(entry), (service.kinds.get(lineKind(entry)) ?? 0) + 1);
    if (entry.msg === 'tenant summary' && entry.tenant === watched) service.watched.push({ atMs: entry.time, outcome: entry.outcome });
  };
  const onStray = (/** @type {string} */ text) => service.strays.set(text, (service.strays.get(text) ?? 0) + 1);
  createInterface({ input: child.stderr, crlfDelay: Infinity }).on('line', cycleReader({ onCycle, onEntry, onStray }));
  createInterface({ input: child.stdout, crlfDelay: Infinity }).on('line', (line) => {
    service.stdoutLines++;
    if (!isJson(line)) service.stdoutNotJson++;
  });
  service.exited = new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => resolve((service.exit = { code, signal, atMs: Date.now() })));
  });
  return service;
}

/**
 * Asks the service to stop (SIGTERM), as systemd would; kills it if it does not. Resolves with how it ended.
 * @param {Service} service
 * @returns {Promise<Exit & { requested: boolean, stopMs?: number, killed?: boolean }>}
 */
async function stopService(service) {
  if (service.exit !== undefined) return { ...service.exit, requested: false };
  const askedMs = Date.now();
  service.stopAskedMs = askedMs;
  service.child.kill('SIGTERM');
  /** @type {NodeJS.Timeout | undefined} */
  let timer;
  /** @type {Promise<void>} */
  const late = new Promise((resolve) => (timer = setTimeout(resolve, STOP_TIMEOUT_MS)));
  const exit = await Promise.race([service.exited, late]);
  clearTimeout(timer);
  if (exit !== undefined) return { ...exit, requested: true, stopMs: exit.atMs - askedMs };
  service.child.kill('SIGKILL');
  return { ...(await service.exited), requested: true, killed: true, stopMs: Date.now() - askedMs };
}

// ---------------------------------------------------------------------------------------------
// What the run goes through: faults, the consent withdrawn and restored; samples every second.

/**
 * POSTs to a `/_sim/*` control route, as an operator's script would.
 * @param {Simulator} sim
 * @param {string} path
 * @param {unknown} body sent as JSON
 * @returns {Promise<void>}
 */
function control(sim, path, body) {
  return new Promise((resolve, reject) => {
    const req = request(`${sim.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (d) => (text += d));
      res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`${path} answered ${res.statusCode}: ${text}`))));
    });
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

/**
 * @param {Simulator} sim
 * @param {Service} service
 * @param {string | undefined} watched the tenant whose consent goes
 */
function startTroubles(sim, service, watched) {
  const events = { faults: 0, consent: /** @type {{ trouble: unknown, atMs: number }[]} */ ([]) };
  /**
   * @param {string} what
   * @param {Promise<void>} promise
   */
  const attempt = (what, promise) => promise.catch((error) => problems.push(`${what}: ${error.message}`));
  let turn = 0;
  const faults = setInterval(() => {
    const { fault } = /** @type {(typeof FAULTS)[number]} */ (FAULTS[turn++ % FAULTS.length]); // an index in range
    events.faults++;
    void attempt('injecting a fault', control(sim, '/_sim/faults', fault));
  }, FAULT_EVERY_MS);
  /**
   * @param {string | null} trouble null: none
   * @param {number} at a fraction of the run
   */
  const consent = (trouble, at) =>
    setTimeout(() => {
      events.consent.push({ trouble, atMs: Date.now() });
      log(`${(Date.now() - service.startedMs) / 1000} s: tenant ${watched} ${trouble === null ? 'consented again' : 'withdrew consent'}`);
      void attempt('setting the tenant trouble', control(sim, '/_sim/tenants/trouble', { tenant: watched, trouble }));
    }, at * RUN_MS);
  const timers = [faults, consent('no-consent', CONSENT_GONE.from), consent(null, CONSENT_GONE.to)];
  return { events, stop: () => timers.forEach(clearTimeout) };
}

/**
 * Every SAMPLE_MS, for the time since the last sample: the CLI's CPU and RSS, the simulator's (this
 * process's) CPU and RSS, the CPU everything else on the machine took, the requests the simulator saw.
 */
/**
 * @typedef {{ uptimeS: number, cpuMs: number | undefined, rssKib: number | undefined, simCpuMs: number, simRssKib: number,
 *   othersCpuMs: number | undefined } & ReturnType<typeof minus>} Sample
 */

/**
 * @param {() => Requests} tally
 * @param {Service} service
 */
function startSampler(tally, service) {
  /** @type {Sample[]} */
  const samples = [];
  let last = { cli: 0, sim: process.cpuUsage(), busy: machineBusyMs(), seen: tally() };
  const timer = setInterval(() => {
    const now = { cli: cpuMsOf(service.child.pid), sim: process.cpuUsage(), busy: machineBusyMs(), seen: tally() };
    const cpuMs = now.cli === undefined ? undefined : now.cli - last.cli;
    const simCpuMs = cpuOf(process.cpuUsage(last.sim));
    samples.push({
      uptimeS: (Date.now() - service.startedMs) / 1000,
      cpuMs,
      rssKib: rssKibOf(service.child.pid),
      simCpuMs,
      simRssKib: process.memoryUsage.rss() / 1024,
      othersCpuMs: cpuMs === undefined ? undefined : Math.max(0, now.busy - last.busy - cpuMs - simCpuMs),
      ...minus(now.seen, last.seen),
    });
    last = { ...now, cli: now.cli ?? last.cli };
  }, SAMPLE_MS);
  return { samples, stop: () => clearInterval(timer) };
}

const cpuOf = (/** @type {NodeJS.CpuUsage} */ usage) => (usage.user + usage.system) / 1000;

/**
 * Resolves after `ms`, or when the service exits, or on Ctrl-C: with which.
 * @param {number} ms
 * @param {Service} service
 * @param {Promise<void>} interrupt
 * @returns {Promise<'done' | 'exited' | 'interrupted'>}
 */
function runFor(ms, service, interrupt) {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve('done'), ms);
    const progress = setInterval(() => logProgress(service), ms / TENTHS);
    const end = (/** @type {'exited' | 'interrupted'} */ why) => {
      clearTimeout(timer);
      clearInterval(progress);
      resolve(why);
    };
    service.exited.then(
      () => end('exited'),
      () => end('exited'),
    );
    interrupt.then(() => end('interrupted'));
  });
}

/** @param {Service} service */
function logProgress(service) {
  const recent = service.cycles.slice(-20);
  if (recent.length === 0) return log(`${Math.round((Date.now() - service.startedMs) / 1000)} s: no cycle finished yet`);
  const last = /** @type {Cycle} */ (recent.at(-1)); // not empty
  log(
    `${Math.round(last.uptimeS)} s: ${service.cycles.length} cycles; last 20: median ${formatMs(median(recent.map((c) => c.cycleMs)))}, ` +
      `RSS ${formatRss(last.rssKib)}`,
  );
}

// ---------------------------------------------------------------------------------------------
// Figures by tenth, and the verdict.

/**
 * The q-quantile (0..1) of a non-empty list, nearest rank.
 * @param {readonly number[]} values
 * @param {number} q
 */
function quantile(values, q) {
  const sorted = [...values].sort((a, b) => a - b);
  return /** @type {number} */ (sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]); // an index in range
}

const sum = (/** @type {readonly number[]} */ values) => values.reduce((a, b) => a + b, 0);
/**
 * @template T
 * @param {readonly (T | undefined)[]} values
 * @returns {T[]}
 */
const defined = (values) => values.filter((v) => v !== undefined);

/**
 * @typedef {Service & { seconds: number, interrupted: boolean, samples: Sample[], consent: { trouble: unknown, atMs: number }[],
 *   watchedId: string | undefined, recoveredMs?: number | undefined }} Run
 * the finished run: `seconds` long, its cycles and samples cut there; `recoveredMs` set by {@link checkRun}
 */

/**
 * The run's figures in TENTHS slices of its time.
 * @param {Run} run
 */
function tenths(run) {
  const width = run.seconds / TENTHS;
  return Array.from({ length: TENTHS }, (_, i) => {
    const inside = (/** @type {number} */ t) => t >= i * width && (t < (i + 1) * width || (i === TENTHS - 1 && t <= run.seconds));
    const cycles = run.cycles.filter((c) => inside(c.uptimeS));
    const samples = run.samples.filter((s) => inside(s.uptimeS));
    const durations = cycles.map((c) => c.cycleMs);
    const cpu = defined(cycles.map((c) => c.cpuMs));
    const rss = defined(samples.map((s) => s.rssKib));
    const others = defined(samples.map((s) => s.othersCpuMs));
    return {
      index: i + 1,
      fromS: i * width,
      toS: (i + 1) * width,
      cycles: cycles.length,
      perMinute: cycles.length / (width / 60),
      medianMs: cycles.length > 0 ? median(durations) : undefined,
      p90Ms: cycles.length > 0 ? quantile(durations, 0.9) : undefined,
      cpuPerCycleMs: cpu.length > 0 ? sum(cpu) / cpu.length : undefined,
      rssKib: rss.length > 0 ? median(rss) : undefined,
      rssPeakKib: rss.length > 0 ? Math.max(...rss) : undefined,
      simCpuPerCycleMs: cycles.length > 0 ? sum(samples.map((s) => s.simCpuMs)) / cycles.length : undefined,
      simRssKib: samples.length > 0 ? median(samples.map((s) => s.simRssKib)) : undefined,
      othersPct: others.length > 0 ? (sum(others) / (others.length * SAMPLE_MS)) * 100 : undefined,
      tokensPerTenantCycle: cycles.length > 0 ? sum(cycles.map((c) => c.requests.tokens)) / (cycles.length * TENANTS) : undefined,
      faults: sum(cycles.map((c) => c.requests.faults)),
      failedTenantCycles: sum(cycles.map((c) => c.failed ?? 0)),
    };
  });
}

/** @typedef {ReturnType<typeof tenths>[number]} Tenth */

/**
 * What is compared, and the least absolute growth that counts (below it, a ratio is only noise).
 * @type {{ name: string, of: (t: Tenth) => number | undefined, format: (value: number) => string, floor: number }[]}
 */
const MEASURES = [
  { name: 'median cycle duration', of: (t) => t.medianMs, format: formatMs, floor: 5 },
  { name: 'CLI CPU per cycle', of: (t) => t.cpuPerCycleMs, format: formatMs, floor: 2 },
  { name: 'CLI RSS (median)', of: (t) => t.rssKib, format: formatRss, floor: 4096 },
];

/** @param {readonly Tenth[]} rows all TENTHS of them */
function verdict(rows) {
  const base = /** @type {Tenth} */ (rows[1]);
  const last = /** @type {Tenth} */ (rows[TENTHS - 1]);
  const enough = base.cycles >= MIN_CYCLES_PER_TENTH && last.cycles >= MIN_CYCLES_PER_TENTH;
  /** @type {((typeof MEASURES)[number] & { b: number | undefined, l: number | undefined, ratio?: number, outcome: string })[]} */
  const checks = MEASURES.map((m) => {
    const [b, l] = [m.of(base), m.of(last)];
    if (b === undefined || l === undefined) return { ...m, b, l, outcome: 'n/a' };
    const grew = l > b * LIMIT && l - b > m.floor;
    return { ...m, b, l, ratio: l / b, outcome: grew ? 'GREW' : 'flat' };
  });
  const grew = enough && checks.some((c) => c.outcome === 'GREW');
  const contended =
    base.othersPct !== undefined && last.othersPct !== undefined && Math.abs(last.othersPct - base.othersPct) > CONTENTION_PCT;
  return { enough, checks, grew, contended, base, last };
}

// ---------------------------------------------------------------------------------------------
// Checks of the run itself: did it do what a soak must (renew tokens, take faults, recover)?

/** @typedef {Awaited<ReturnType<typeof stopService>>} Stop */

/**
 * @param {Run} run
 * @param {readonly Tenth[]} rows all TENTHS of them
 * @param {Stop} stop
 */
function checkRun(run, rows, stop) {
  if (run.cycles.length === 0) problems.push('the service finished no cycle');
  if (run.interrupted) notes.push(`interrupted after ${Math.round(run.seconds)} s: the service ended ${describeExit(stop)}`);
  else if (stop.requested === false) problems.push(`the service ended by itself before the run was over: ${describeExit(stop)}`);
  else if (stop.killed) problems.push(`the service did not stop within ${formatMs(STOP_TIMEOUT_MS)} of SIGTERM and was killed`);
  else if (stop.code !== 0) problems.push(`the service exited ${describeExit(stop)} on SIGTERM (0 expected for a requested stop)`);
  const compared = /** @type {Tenth[]} */ ([rows[1], rows[TENTHS - 1]]).filter(
    /** @returns {t is Tenth & { tokensPerTenantCycle: number }} */ (t) => t.tokensPerTenantCycle !== undefined,
  );
  for (const t of compared) {
    if (t.tokensPerTenantCycle < 0.9) {
      problems.push(
        `tenth ${t.index}: ${t.tokensPerTenantCycle.toFixed(2)} token requests per tenant and cycle: tokens are not renewed every cycle ` +
          '(a shorter --token-lifetime would renew them)',
      );
    }
  }
  run.recoveredMs = checkConsent(run);
  const expectedAlerts = sum(run.cycles.map((c) => c.alerts ?? 0));
  if (run.stdoutLines < expectedAlerts) notes.push(`stdout had ${run.stdoutLines} lines, the cycles' summaries ${expectedAlerts} alerts`);
  if (run.stdoutNotJson > 0) problems.push(`${run.stdoutNotJson} lines of stdout (--format ndjson) are not JSON`);
  const others = sum(run.cycles.map((c) => c.failed ?? 0)) - run.watched.filter((w) => w.outcome === 'failed').length;
  if (others > 0) notes.push(`${others} tenant-cycles failed besides the tenant without consent (a fault the retries did not heal)`);
}

/**
 * The tenant without consent must fail while it has none, and deliver again soon after it has.
 * Returns how long after the restore it delivered again (undefined: never).
 * @param {Run} run
 */
function checkConsent(run) {
  const [gone, back] = run.consent;
  if (gone === undefined || back === undefined) {
    notes.push('the run ended before consent was withdrawn and restored');
    return undefined;
  }
  const during = run.watched.filter((w) => w.atMs >= gone.atMs && w.atMs <= back.atMs);
  if (!during.some((w) => w.outcome === 'failed')) problems.push('withdrawing consent made no cycle of that tenant fail');
  const healed = run.watched.find((w) => w.atMs > back.atMs && w.outcome === 'ok');
  const recoveredMs = healed === undefined ? undefined : healed.atMs - back.atMs;
  if (recoveredMs === undefined || recoveredMs > RECOVERY_MS) {
    problems.push(`the tenant whose consent came back did not deliver again within ${formatMs(RECOVERY_MS)}`);
  }
  if (run.watched.some((w) => w.outcome === 'failed' && w.atMs > (healed?.atMs ?? Infinity))) {
    problems.push('the tenant whose consent came back failed again after it had recovered');
  }
  return recoveredMs;
}

const describeExit = (/** @type {Exit} */ exit) => (exit.signal ? `by ${exit.signal}` : `with code ${exit.code}`);

// ---------------------------------------------------------------------------------------------
// Files: CSV and a hand-drawn SVG chart.

const mb = (/** @type {number | undefined} */ kib) => (kib === undefined ? '' : ((kib * 1024) / 1e6).toFixed(1));
/**
 * @param {number | undefined} value
 * @param {number} [digits]
 */
const fixed = (value, digits = 0) => (value === undefined ? '' : value.toFixed(digits));

/** @param {Run} run */
function cyclesCsv(run) {
  const head = 'uptime_s,cycle,cycle_ms,period_ms,cpu_ms,rss_mb,tenants_ok,tenants_failed,alerts,token_requests,alert_requests,faults';
  const rows = run.cycles.map((c) =>
    [
      fixed(c.uptimeS, 3),
      c.cycle,
      c.cycleMs,
      c.periodMs ?? '',
      fixed(c.cpuMs),
      mb(c.rssKib),
      c.succeeded,
      c.failed,
      c.alerts,
      c.requests.tokens,
      c.requests.alerts,
      c.requests.faults,
    ].join(','),
  );
  return `${[head, ...rows].join('\n')}\n`;
}

/** @param {Run} run */
function samplesCsv(run) {
  const head = 'uptime_s,cli_cpu_pct,cli_rss_mb,sim_cpu_pct,sim_rss_mb,others_cpu_pct,token_requests,alert_requests,faults';
  const pct = (/** @type {number | undefined} */ ms) => (ms === undefined ? undefined : (ms / SAMPLE_MS) * 100);
  const rows = run.samples.map((s) =>
    [
      fixed(s.uptimeS, 3),
      fixed(pct(s.cpuMs), 1),
      mb(s.rssKib),
      fixed(pct(s.simCpuMs), 1),
      mb(s.simRssKib),
      fixed(pct(s.othersCpuMs), 1),
      s.tokens,
      s.alerts,
      s.faults,
    ].join(','),
  );
  return `${[head, ...rows].join('\n')}\n`;
}

const CHART = { width: 960, left: 70, right: 20, top: 50, panel: 160, gap: 50 };
const escapeXml = (/** @type {string} */ text) => String(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/**
 * A round step for about `count` ticks up to `max`: 1, 2 or 5 times a power of ten.
 * @param {number} max
 * @param {number} [count]
 */
function tickStep(max, count = 4) {
  const raw = max / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  // raw / power is in [1, 10): one of them always fits.
  return [1, 2, 5, 10].map((k) => k * power).find((step) => raw <= step) ?? 10 * power;
}

/**
 * One panel: `points` ({ x: uptime s, y }) as dots or a line, `steps` (per-tenth values) as a thick
 * step line, y from 0 to `yMax` (values above it drawn at the top, in red).
 * @param {number} index
 * @param {Panel} chart
 * @param {Frame} frame
 */
function panel(index, { title, unit, points, steps, yMax, dots }, frame) {
  const top = CHART.top + index * (CHART.panel + CHART.gap);
  const plotWidth = CHART.width - CHART.left - CHART.right;
  const x = (/** @type {number} */ s) => CHART.left + (s / frame.seconds) * plotWidth;
  const y = (/** @type {number} */ v) => top + CHART.panel - (Math.min(v, yMax) / yMax) * CHART.panel;
  const parts = [`<text x="${CHART.left}" y="${top - 10}" font-weight="bold">${escapeXml(title)}</text>`];
  for (const band of frame.bands) {
    parts.push(
      `<rect x="${x(band.fromS)}" y="${top}" width="${x(band.toS) - x(band.fromS)}" height="${CHART.panel}" fill="${band.fill}"/>`,
    );
  }
  const yStep = tickStep(yMax);
  for (let v = 0; v <= yMax + 1e-9; v += yStep) {
    parts.push(`<line x1="${CHART.left}" x2="${CHART.left + plotWidth}" y1="${y(v)}" y2="${y(v)}" stroke="#ddd"/>`);
    parts.push(`<text x="${CHART.left - 6}" y="${y(v) + 4}" text-anchor="end">${Number(v.toPrecision(6))}${unit}</text>`);
  }
  const minuteStep = tickStep(frame.seconds / 60, 8);
  for (let m = 0; m * 60 <= frame.seconds + 1e-9; m += minuteStep) {
    parts.push(`<line x1="${x(m * 60)}" x2="${x(m * 60)}" y1="${top + CHART.panel}" y2="${top + CHART.panel + 4}" stroke="#333"/>`);
    parts.push(`<text x="${x(m * 60)}" y="${top + CHART.panel + 16}" text-anchor="middle">${Number(m.toPrecision(6))} min</text>`);
  }
  if (dots) {
    for (const p of points) {
      parts.push(`<circle cx="${x(p.x).toFixed(1)}" cy="${y(p.y).toFixed(1)}" r="1.6" fill="${p.y > yMax ? '#c00' : '#3366aa'}"/>`);
    }
  } else if (points.length > 0) {
    const line = points.map((p) => `${x(p.x).toFixed(1)},${y(p.y).toFixed(1)}`).join(' ');
    parts.push(`<polyline points="${line}" fill="none" stroke="#3366aa" stroke-width="1.2"/>`);
  }
  for (const s of steps.filter(/** @returns {t is Step & { value: number }} */ (t) => t.value !== undefined)) {
    parts.push(`<line x1="${x(s.fromS)}" x2="${x(s.toS)}" y1="${y(s.value)}" y2="${y(s.value)}" stroke="#222" stroke-width="2.5"/>`);
  }
  parts.push(`<rect x="${CHART.left}" y="${top}" width="${plotWidth}" height="${CHART.panel}" fill="none" stroke="#333"/>`);
  return parts.join('\n');
}

/**
 * @typedef {{ fromS: number, toS: number, value: number | undefined }} Step a value over a span of uptime
 * @typedef {{ title: string, unit: string, points: { x: number, y: number }[], steps: Step[], yMax: number, dots: boolean }} Panel
 * @typedef {{ seconds: number, bands: { fromS: number, toS: number, fill: string }[] }} Frame
 */

/**
 * A scale that keeps the bulk readable: outliers (a cycle that waited out a 429) go above it.
 * @param {readonly (number | undefined)[]} values
 * @param {readonly (number | undefined)[]} [extra]
 */
const scaleFor = (values, extra = []) => {
  const all = defined([...values, ...extra]);
  if (all.length === 0) return 1;
  return Math.max(quantile(all, 0.98) * 1.15, ...defined(extra).map((v) => v * 1.15), 1e-6);
};

/**
 * @param {Run} run
 * @param {readonly Tenth[]} rows
 */
function chartSvg(run, rows) {
  const width = run.seconds / TENTHS;
  /** @type {Frame} */
  const frame = {
    seconds: run.seconds,
    bands: [
      { fromS: width, toS: 2 * width, fill: '#e3eefc' },
      { fromS: (TENTHS - 1) * width, toS: run.seconds, fill: '#fde9d9' },
      ...run.consent.slice(0, 1).map((gone) => ({
        fromS: (gone.atMs - run.startedMs) / 1000,
        toS: ((run.consent[1]?.atMs ?? run.startedMs + run.seconds * 1000) - run.startedMs) / 1000,
        fill: '#eeeeee',
      })),
    ],
  };
  /** @type {(of: (t: Tenth) => number | undefined) => Step[]} */
  const stepsOf = (of) => rows.map((t) => ({ fromS: t.fromS, toS: t.toS, value: of(t) }));
  const cycleSteps = stepsOf((t) => t.medianMs);
  const cpuSteps = stepsOf((t) => t.cpuPerCycleMs);
  const cpu = run.cycles
    .filter(/** @returns {c is Cycle & { cpuMs: number }} */ (c) => c.cpuMs !== undefined)
    .map((c) => ({ x: c.uptimeS, y: c.cpuMs }));
  const rss = run.samples
    .filter(/** @returns {s is Sample & { rssKib: number }} */ (s) => s.rssKib !== undefined)
    .map((s) => ({ x: s.uptimeS, y: (s.rssKib * 1024) / 1e6 }));
  const cycles = run.cycles.map((c) => ({ x: c.uptimeS, y: c.cycleMs }));
  /** @type {Panel[]} */
  const panels = [
    {
      title: 'Cycle duration (ms): each cycle, and the median of each tenth',
      unit: '',
      points: cycles,
      steps: cycleSteps,
      yMax: scaleFor(
        cycles.map((p) => p.y),
        cycleSteps.map((s) => s.value),
      ),
      dots: true,
    },
    {
      title: 'CLI CPU per cycle (ms): each cycle (in clock ticks), and the mean of each tenth',
      unit: '',
      points: cpu,
      steps: cpuSteps,
      yMax: scaleFor(
        cpu.map((p) => p.y),
        cpuSteps.map((s) => s.value),
      ),
      dots: true,
    },
    {
      title: 'CLI RSS (MB), per second, and the median of each tenth',
      unit: '',
      points: rss,
      steps: stepsOf((t) => (t.rssKib === undefined ? undefined : (t.rssKib * 1024) / 1e6)),
      yMax: Math.max(...rss.map((p) => p.y), 1) * 1.15,
      dots: false,
    },
  ];
  const height = CHART.top + panels.length * (CHART.panel + CHART.gap);
  const legend =
    `soak: ${TENANTS} tenants, ${MINUTES} min, tokens live ${TOKEN_LIFETIME_S} s — blue: 2nd tenth (baseline), ` +
    'orange: last tenth, grey: one tenant without consent';
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${CHART.width}" height="${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${CHART.left}" y="20" font-size="13">${escapeXml(legend)}</text>`,
    ...panels.map((p, i) => panel(i, p, frame)),
    '</svg>',
    '',
  ].join('\n');
}

// ---------------------------------------------------------------------------------------------
// The summary.

const clock = (/** @type {number} */ s) => `${Math.floor(s / 60)}:${String(Math.round(s % 60)).padStart(2, '0')}`;
/**
 * @template T
 * @param {T | undefined} value
 * @param {(value: T) => string} format
 */
const cell = (value, format) => (value === undefined ? 'n/a' : format(value));
const signed = (/** @type {number} */ ratio) => `${ratio >= 1 ? '+' : '−'}${Math.abs(Math.round((ratio - 1) * 100))} %`;

/** @param {readonly Tenth[]} rows */
function tenthTable(rows) {
  return [
    '| tenth | uptime | cycles | cycles/min | median cycle | p90 cycle | CLI CPU / cycle | CLI RSS (median, peak) | simulator CPU / cycle | other processes | token requests / tenant-cycle | faults | failed tenant-cycles |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...rows.map((t) =>
      [
        `| ${t.index}${t.index === 2 ? ' (baseline)' : t.index === TENTHS ? ' (last)' : ''}`,
        `${clock(t.fromS)}–${clock(t.toS)}`,
        t.cycles,
        t.perMinute.toFixed(1),
        cell(t.medianMs, formatMs),
        cell(t.p90Ms, formatMs),
        cell(t.cpuPerCycleMs, formatMs),
        `${formatRss(t.rssKib)}, ${formatRss(t.rssPeakKib)}`,
        cell(t.simCpuPerCycleMs, formatMs),
        cell(t.othersPct, (v) => `${Math.round(v)} %`),
        cell(t.tokensPerTenantCycle, (v) => v.toFixed(2)),
        t.faults,
        `${t.failedTenantCycles} |`,
      ].join(' | '),
    ),
  ];
}

/** @param {ReturnType<typeof verdict>} judged */
function verdictLines(judged) {
  const lines = [
    `| measure | 2nd tenth | last tenth | change | verdict (limit +${Math.round((LIMIT - 1) * 100)} %) |`,
    '|---|---|---|---|---|',
    ...judged.checks.map(
      (c) => `| ${c.name} | ${cell(c.b, c.format)} | ${cell(c.l, c.format)} | ${cell(c.ratio, signed)} | ${c.outcome} |`,
    ),
    '',
  ];
  if (!judged.enough) {
    lines.push(
      `**Verdict: none** — ${judged.base.cycles} and ${judged.last.cycles} cycles in the compared tenths; at least ${MIN_CYCLES_PER_TENTH} each are needed (run longer).`,
    );
  } else lines.push(judged.grew ? '**Verdict: the service grows with age.**' : '**Verdict: flat with age.**');
  if (judged.contended) {
    lines.push(
      '',
      // `contended` means both are defined.
      `Other processes took ${Math.round(/** @type {number} */ (judged.base.othersPct))} % of a CPU in the 2nd tenth and ${Math.round(/** @type {number} */ (judged.last.othersPct))} % in the ` +
        'last: the cycle durations were measured on a differently loaded machine (CPU per cycle hardly depends on it).',
    );
  }
  return lines;
}

const renewals = (/** @type {Run} */ run) =>
  run.cycles.length === 0 ? 'n/a' : (sum(run.cycles.map((c) => c.requests.tokens)) / (run.cycles.length * TENANTS)).toFixed(2);

/**
 * The summary, Markdown.
 * @param {object} of
 * @param {ReturnType<typeof machine>} of.info the machine at the start
 * @param {ReturnType<typeof machine>} of.end the machine at the end
 * @param {Run} of.run
 * @param {readonly Tenth[]} of.rows
 * @param {ReturnType<typeof verdict>} of.judged
 * @param {Stop} of.stop
 * @param {ReturnType<typeof startTroubles>['events']} of.events
 * @param {Awaited<ReturnType<typeof scrubCost>>} of.scrub
 */
function summary({ info, end, run, rows, judged, stop, events, scrub }) {
  const w = run.watched;
  const [gone, back] = run.consent;
  const consent =
    gone === undefined || back === undefined
      ? 'the run ended before consent was withdrawn and restored'
      : `from ${clock((gone.atMs - run.startedMs) / 1000)} to ${clock((back.atMs - run.startedMs) / 1000)}: ` +
        `${w.filter((x) => x.outcome === 'failed').length} of its cycles failed, ` +
        `${run.recoveredMs === undefined ? 'not delivering again' : `delivering again ${formatMs(run.recoveredMs)} after the restore`}`;
  const lines = [
    `Machine: ${info.cpus} CPUs, ${info.cpu}; Node ${info.node}. Load average (1, 5, 15 min): ${info.load} at start, ${end.load} at end.`,
    '',
    `Scrubbing one log line of every live secret (in process, after the run): ${scrub
      .map((s) => `${s.usPerLine.toFixed(1)} µs with ${s.secrets} secrets`)
      .join(', ')}; the service holds one or two tokens a tenant.`,
    '',
    `\`pull --api ${flags.api} --tenants <file> --state-dir <dir> --follow --interval ${INTERVAL} --format ndjson --metrics-file <file>\`, ` +
      `${TENANTS} tenants, ${MINUTES} min${run.interrupted ? ' (**interrupted**)' : ''}; tokens live ${TOKEN_LIFETIME_S} s ` +
      `(${renewals(run)} token requests per tenant and cycle), ` +
      `${LATENCY_MS} ms per answer, ${ALERTS_PER_MINUTE} new alert per tenant and minute; a fault every ${formatMs(FAULT_EVERY_MS)} in turn ` +
      `(${FAULTS.map((f) => f.what).join(', ')}): ${events.faults} injected, ${sum(run.cycles.map((c) => c.requests.faults))} taken; ` +
      `tenant ${run.watchedId} without consent: ${consent}.`,
    '',
    `${run.cycles.length} cycles, ${run.stdoutLines} alerts delivered. Cycle duration: from the first log line of a cycle to its ` +
      "'pull complete' line; CPU per cycle and RSS: the CLI process, from /proc. Other processes: the machine's busy CPU " +
      'beyond the CLI and the simulator, as a share of one CPU (this machine is shared: it slows cycles, not CPU per cycle).',
    '',
    ...tenthTable(rows),
    '',
    ...verdictLines(judged),
    '',
    `Stop: SIGTERM → ${describeExit(stop)}${stop.stopMs === undefined ? '' : ` after ${formatMs(stop.stopMs)}`}${stop.killed ? ' (killed: it did not stop)' : ''}.`,
  ];
  if (run.strays.size > 0) {
    lines.push('', 'Stderr lines that are not JSON:', '');
    for (const [text, count] of run.strays) lines.push(`- ${count}× \`${text.slice(0, 200)}\``);
  }
  if (run.kinds.size > 0) {
    lines.push('', 'Warnings and errors the service logged (digits blanked):', '');
    for (const [kind, count] of [...run.kinds].sort((a, b) => b[1] - a[1]).slice(0, 12)) lines.push(`- ${count}× ${kind}`);
  }
  if (notes.length > 0) lines.push('', 'Notes:', '', ...notes.map((n) => `- ${n}`));
  if (problems.length > 0) lines.push('', '**Problems:**', '', ...problems.map((p) => `- ${p}`));
  return `${lines.join('\n')}\n`;
}

/**
 * @param {string} out the directory
 * @param {Run} run
 * @param {readonly Tenth[]} rows
 * @param {string} text the summary
 */
function writeResults(out, run, rows, text) {
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'cycles.csv'), cyclesCsv(run));
  writeFileSync(join(out, 'samples.csv'), samplesCsv(run));
  writeFileSync(join(out, 'chart.svg'), chartSvg(run, rows));
  writeFileSync(join(out, 'summary.md'), text);
  const shown = relative(process.cwd(), out) || '.';
  log(`wrote ${['cycles.csv', 'samples.csv', 'chart.svg', 'summary.md'].map((f) => join(shown, f)).join(', ')}`);
}

// ---------------------------------------------------------------------------------------------

/**
 * Resolves on the first Ctrl-C; a second one leaves at once (the exit hooks still kill the child).
 * `interrupted.seen`: a Ctrl-C at a terminal reaches the service too, which may end before we notice.
 */
const interrupted = { seen: false };

/** @returns {Promise<void>} */
function onInterrupt() {
  return new Promise((resolve) => {
    process.once('SIGINT', () => {
      interrupted.seen = true;
      log('interrupted: stopping the service (Ctrl-C again to leave at once)');
      process.once('SIGINT', () => process.exit(130));
      resolve();
    });
  });
}

/**
 * @param {Simulator} sim
 * @param {string} scratch a directory for the service's files
 * @param {Promise<void>} interrupt
 */
async function soak(sim, scratch, interrupt) {
  const files = serviceFiles(scratch);
  const watched = files.ids.at(-1);
  const tally = requestTally(sim);
  const service = startService(sim, tally, files, watched);
  // Whatever happens next, this process does not leave the service behind.
  process.once('exit', () => service.exit === undefined && service.child.kill('SIGKILL'));
  const troubles = startTroubles(sim, service, watched);
  const sampler = startSampler(tally, service);
  /** @type {Awaited<ReturnType<typeof runFor>> | undefined} */
  let why;
  try {
    why = await runFor(RUN_MS, service, interrupt);
  } finally {
    troubles.stop();
    sampler.stop();
  }
  const stop = await stopService(service);
  const seconds =
    why === 'done' ? RUN_MS / 1000 : ((service.stopAskedMs ?? /** @type {Exit} */ (service.exit).atMs) - service.startedMs) / 1000;
  /** @type {Run} */
  const run = {
    ...service,
    seconds,
    interrupted: why === 'interrupted' || interrupted.seen,
    // A cycle the stop cut short is not one of the run's.
    cycles: service.cycles.filter((c) => c.uptimeS <= seconds),
    samples: sampler.samples.filter((s) => s.uptimeS <= seconds),
    consent: troubles.events.consent,
    watchedId: watched,
  };
  return { run, stop, events: troubles.events };
}

async function main() {
  validateFlags();
  if (!existsSync(new URL('../dist/src/main.js', import.meta.url))) throw new Error('dist/ is missing: run `npm run build` first');
  const info = machine();
  log(`${info.cpus} CPUs (${info.cpu}), Node ${info.node}, load ${info.load}; ${TENANTS} tenants for ${MINUTES} min`);
  if (!HAVE_PROC) log('no /proc: CPU and RSS will not be measured, only cycle durations');
  const interrupt = onInterrupt();
  const sim = await startFleet();
  const scratch = mkdtempSync(join(tmpdir(), 'defender-alerts-bench-soak-'));
  process.once('exit', () => rmSync(scratch, { recursive: true, force: true }));
  try {
    const { run, stop, events } = await soak(sim, scratch, interrupt);
    const rows = tenths(run);
    checkRun(run, rows, stop);
    const judged = verdict(rows);
    const text = summary({ info, end: machine(), run, rows, judged, stop, events, scrub: await scrubCost() });
    writeResults(flags.out, run, rows, text);
    process.stdout.write(text);
    process.exitCode = run.interrupted ? 130 : judged.grew ? 1 : problems.length > 0 || !judged.enough ? 2 : 0;
  } finally {
    await sim.close();
    rmSync(scratch, { recursive: true, force: true });
  }
}

main().catch((error) => {
  process.stderr.write(`bench:soak: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exitCode = 2;
});
