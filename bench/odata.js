#!/usr/bin/env node
/**
 * `npm run bench:odata [-- --quick] [-- --runs N] [-- --live-runs N] [-- --alerts N] [-- --apis mde,graph,siem]`:
 * measures `defender-alerts pull --api mde` and `--api graph` (OData pages, `value` arrays) against
 * a raw transfer of the same pages (one curl over the page URLs, to /dev/null) and the
 * `curl … | jq -c '.value[]'` pipeline, and `--api siem` the same way as the reference, on one
 * in-process simulator over HTTPS holding the same alert records for all three APIs. Prints
 * Markdown for BENCHMARKS.md. It reports; it does not gate anything (it exits 1 only when a run
 * fails, asks for other pages, or an output differs).
 *
 * How (see bench/lib/page-cache.js for why): a recording HTTPS cache sits in front of the simulator.
 * Per API, one `pull` through it against the live simulator records every page the CLI asks for.
 * For the byte-for-byte check, a second `pull`, now served from the cache, must write the same
 * bytes, and is compared with `curl | jq` — for MDE over the same pages (its next links are the
 * CLI's pages), for Graph over the pages its `@odata.nextLink`s chain, because the CLI pages Graph
 * by time boundary and each of its pages starts with the alert(s) the previous one ended on (the
 * CLI drops them; jq cannot). Then alternating rounds time `pull`, `curl | jq` and raw `curl` over
 * the CLI's own pages: `--runs` from the cache (the simulator out of the timings), `--live-runs`
 * from the simulator itself (as bench/run.js measures the SIEM API). A round that asks for other
 * pages than the CLI's fails the run.
 *
 * Runs the built CLI (dist/): `npm run build` first.
 */
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compareNdjson } from './lib/compare.js';
import { machine, versionOf } from './lib/machine.js';
import { jqPagesScript, rawPagesScript, runPages, writeUrlList } from './lib/odata-shell.js';
import { startPageCache } from './lib/page-cache.js';
import { HAVE_GNU_TIME, measure } from './lib/proc.js';
import { formatMs, formatRatio, formatRss, median } from './lib/stats.js';
import { getToken } from './lib/token.js';
import { DIST } from './lib/dist.js';

/** @type {typeof import('../simulator/server.js')} */
const { startSimulator } = await import(`${DIST}simulator/server.js`);
/** @type {typeof import('../simulator/credentials.js')} */
const { GRAPH_RESOURCES, MDE_RESOURCES } = await import(`${DIST}simulator/credentials.js`);
/** @typedef {import('../simulator/server.js').Simulator} Simulator */
/** @typedef {Awaited<ReturnType<typeof startPageCache>>} PageCache */
/** @typedef {{ sim: Simulator, cache: PageCache, scratch: string }} Ctx */
/** @typedef {keyof typeof API} Api */

const CLI = fileURLToPath(new URL('../bin/defender-alerts.js', import.meta.url));
const FLOOR = fileURLToPath(new URL('./lib/floor-reader.js', import.meta.url));
const args = process.argv.slice(2);
const option = (/** @type {string} */ name) => (args.indexOf(name) >= 0 ? args[args.indexOf(name) + 1] : undefined);
const quick = args.includes('--quick');
const RUNS = Number(option('--runs') ?? (quick ? 3 : 5));
/** Rounds against the live simulator (slow: it renders every page anew); 0 leaves them out. */
const LIVE_RUNS = Number(option('--live-runs') ?? (quick ? 1 : 2));
/** Alert records in the simulator's store (the SIEM API serves each; MDE and Graph merge them by AlertId). */
const ALERTS = Number(option('--alerts') ?? (quick ? 20_000 : 100_000));
// Each checked to name an API below.
const APIS = /** @type {Api[]} */ ((option('--apis') ?? 'mde,graph,siem').split(','));
const SINCE = '2000-01-01T00:00:00.000Z';

const API = {
  mde: { pageSize: 10_000, filter: '.value[]', resource: MDE_RESOURCES[0] },
  graph: { pageSize: 1_000, filter: '.value[]', resource: GRAPH_RESOURCES[0] },
  siem: { pageSize: undefined, filter: '.[]', resource: undefined },
};
for (const api of APIS) if (!(api in API)) throw new Error(`--apis: unknown API ${api} (mde, graph, siem)`);
if (!Number.isInteger(RUNS) || RUNS < 1) throw new Error('--runs: a whole number >= 1');
if (!Number.isInteger(LIVE_RUNS) || LIVE_RUNS < 0) throw new Error('--live-runs: a whole number >= 0');
if (!Number.isInteger(ALERTS) || ALERTS < 2) throw new Error('--alerts: a whole number >= 2');

const log = (/** @type {string} */ line) => process.stderr.write(`bench:odata: ${line}\n`);

/**
 * The environment of a user pointing the CLI at the cache in front of `sim`, or (`live`) at the simulator itself.
 * @param {Simulator} sim
 * @param {PageCache} cache
 * @param {boolean} [live]
 */
function cliEnv(sim, cache, live = false) {
  const server = live ? { url: sim.url, caCertPath: sim.caCertPath } : cache;
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? '/tmp',
    AZURE_TENANT_ID: sim.credentials.tenantId,
    AZURE_CLIENT_ID: sim.credentials.clientId,
    AZURE_CLIENT_SECRET: sim.credentials.clientSecret,
    DEFENDER_BASE_URL: server.url,
    AZURE_AUTHORITY_HOST: server.url,
    NODE_EXTRA_CA_CERTS: server.caCertPath,
    DEFENDER_LOG_LEVEL: 'warn',
  };
}

const pullArgs = (/** @type {Api} */ api) => [
  CLI,
  'pull',
  '--api',
  api,
  '--since',
  SINCE,
  '--format',
  'ndjson',
  ...(API[api].pageSize === undefined ? [] : ['--page-size', String(API[api].pageSize)]),
];

/** @type {Map<string, string[]>} each distinct stderr text of a successful `pull`, with the APIs that wrote it */
const stderrSeen = new Map();

/**
 * One `pull`, measured: wall, CLI CPU and peak RSS (GNU time), and this process's CPU meanwhile
 * (simulator and cache). Through the cache unless `live`.
 * @param {Pick<Ctx, 'sim' | 'cache'>} ctx
 * @param {Api} api
 * @param {{ live?: boolean, stdoutPath?: string }} [options]
 */
async function pull(ctx, api, { live = false, ...options } = {}) {
  const before = process.cpuUsage();
  const result = await measure(process.execPath, pullArgs(api), { env: cliEnv(ctx.sim, ctx.cache, live), cpu: true, ...options });
  const server = process.cpuUsage(before);
  if (result.code !== 0) throw new Error(`pull --api ${api} exited ${result.code}: ${result.stderr}`);
  const text = result.stderr.trim().replace(/\(node:\d+\)/g, '(node:PID)');
  if (text !== '') {
    if (!stderrSeen.has(text)) log(`pull --api ${api}: stderr (exit 0): ${text.slice(0, 500)}`);
    stderrSeen.set(text, [...(stderrSeen.get(text) ?? []), api]);
  }
  return { ...result, serverCpuMs: (server.user + server.system) / 1000 };
}

/**
 * The floor (lib/floor-reader.js) over the CLI's pages from the cache: wall, CPU and peak RSS, and
 * how many alerts it wrote (every alert of every page: it drops no overlap, as Graph's pages have).
 * @param {Ctx} ctx
 * @param {{ api: Api, floorUrls: string, carried: number }} p the prepared API (not `Prepared`, which holds floor's results)
 * @param {string} token
 * @param {import('./lib/proc.js').MeasureOptions} [options]
 */
async function floor(ctx, p, token, options = {}) {
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', URLS: p.floorUrls, T: token, CA: ctx.cache.caCertPath, API: p.api };
  const result = await measure(process.execPath, [FLOOR], { env, cpu: true, ...options });
  if (result.code !== 0) throw new Error(`floor reader (${p.api}) exited ${result.code}: ${result.stderr}`);
  const written = Number(result.stderr.trim());
  if (written !== p.carried) throw new Error(`floor reader (${p.api}) wrote ${written} alerts of the pages' ${p.carried}`);
  return result;
}

/**
 * A shell baseline (odata-shell.js), with this process's CPU meanwhile (simulator and cache).
 * @param {string} script
 * @param {Parameters<typeof runPages>[1]} options
 */
async function shell(script, options) {
  const before = process.cpuUsage();
  const result = await runPages(script, options);
  const server = process.cpuUsage(before);
  return { ...result, serverCpuMs: (server.user + server.system) / 1000 };
}

/**
 * GET `url` through the cache with `token`: `{ status, body }`.
 * @param {string} url
 * @param {string} token
 * @param {string | undefined} ca
 * @returns {Promise<{ status: number | undefined, body: Buffer }>}
 */
function get(url, token, ca) {
  return new Promise((resolve, reject) => {
    const req = request(url, { ca, headers: { authorization: `Bearer ${token}`, accept: 'application/json' } }, (res) => {
      /** @type {Buffer[]} */
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/**
 * @param {string} path
 * @returns {Promise<string>}
 */
function sha256(path) {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(path)
      .on('data', (d) => hash.update(d))
      .on('end', () => resolve(hash.digest('hex')))
      .on('error', reject);
  });
}

/**
 * Alerts in a recorded page: its `value` (OData) or the array itself (SIEM).
 * @param {Buffer} body
 */
function alertsIn(body) {
  const parsed = JSON.parse(body.toString('utf8'));
  return Array.isArray(parsed) ? parsed.length : parsed.value.length;
}

/**
 * Fills the cache for `api` (one pull against the live simulator), checks the output byte for byte
 * against curl | jq, and returns what the timed rounds need.
 * @param {Ctx} ctx
 * @param {Api} api
 */
async function prepare(ctx, api) {
  const { sim, cache, scratch } = ctx;
  const spec = API[api];
  const token = await tokenFor(ctx, { api }, false);
  cache.take();

  // 1. The live simulator, recorded.
  const liveOut = join(scratch, `${api}-live.ndjson`);
  const live = await pull(ctx, api, { stdoutPath: liveOut });
  const seen = cache.take();
  const bad = seen.requests.filter((r) => r.status !== 200);
  if (bad.length > 0) throw new Error(`pull --api ${api}: the simulator answered ${bad.map((r) => `${r.status} to ${r.url}`).join(', ')}`);
  // The cache logs the URL of every request it answers, and holds every page it answered 200 (all, checked above).
  const paths = /** @type {string[]} */ (seen.requests.map((r) => r.url));
  const pages = paths.map((p) => /** @type {NonNullable<ReturnType<PageCache['page']>>} */ (cache.page(p)));
  const bytes = pages.reduce((n, p) => n + p.body.length, 0);
  const carried = pages.reduce((n, p) => n + alertsIn(p.body), 0);
  log(
    `${api}: live simulator: pull ${formatMs(live.wallMs)} (CLI CPU ${formatMs(live.cpuMs ?? NaN)}, simulator CPU ${formatMs(live.serverCpuMs)}), ` +
      `${paths.length} page(s), ${(bytes / 1e6).toFixed(1)} MB, ${carried} alerts in them`,
  );

  // 2. The pages a user with curl would follow: @odata.nextLink from the CLI's first page on.
  // A pull asks for one page at least.
  let chain = [/** @type {string} */ (paths[0])];
  if (api !== 'siem') {
    const chainBefore = process.cpuUsage();
    for (let at = /** @type {string} */ (paths[0]); ;) {
      const page = cache.page(at) ?? (await get(cache.url + at, token, cache.caCertPem));
      if (page.status !== 200) throw new Error(`${api}: the next-link page ${at} answered ${page.status}`);
      const next = JSON.parse(page.body.toString('utf8'))['@odata.nextLink'];
      if (next === undefined) break;
      const url = new URL(next);
      if (url.origin !== cache.url) throw new Error(`${api}: a next link to another origin: ${next}`);
      at = url.pathname + url.search;
      chain.push(at);
    }
    const chainCpu = process.cpuUsage(chainBefore);
    cache.take();
    log(`${api}: next-link chain: ${chain.length} page(s) (simulator CPU ${formatMs((chainCpu.user + chainCpu.system) / 1000)})`);
  }
  const chainIsCli = chain.length === paths.length && chain.every((p, i) => p === paths[i]);

  // 3. The same pull again, from the cache: the setup the rounds time. Its output must be the live one's.
  const checkOut = join(scratch, `${api}-cli.ndjson`);
  await pull(ctx, api, { stdoutPath: checkOut });
  const replay = cache.take();
  if (replay.misses > 0 || replay.refused > 0) {
    const missed = replay.requests.filter((r) => !r.hit || r.status !== 200).map((r) => r.url);
    throw new Error(
      `${api}: the pull from the cache asked for ${replay.misses} page(s) the first pull did not (${replay.refused} refused): ` +
        `the CLI's pages differ between runs, so they cannot be replayed. Not asked before: ${missed.slice(0, 3).join(' ')}`,
    );
  }
  const [liveHash, cliHash] = await Promise.all([sha256(liveOut), sha256(checkOut)]);
  rmSync(liveOut, { force: true });
  if (liveHash !== cliHash) throw new Error(`${api}: the pull from the cache wrote other bytes than the pull from the live simulator`);

  // 4. The reference pipeline over the pages, byte for byte.
  const chainUrls = join(scratch, `${api}-chain.curl`);
  const pageUrls = join(scratch, `${api}-pages.curl`);
  writeUrlList(
    chainUrls,
    chain.map((p) => cache.url + p),
  );
  writeUrlList(
    pageUrls,
    paths.map((p) => cache.url + p),
  );
  // The same pages from the simulator itself, for the live rounds.
  const livePageUrls = join(scratch, `${api}-live-pages.curl`);
  writeUrlList(
    livePageUrls,
    paths.map((p) => sim.url + p),
  );
  const floorUrls = join(scratch, `${api}-pages.json`);
  writeFileSync(floorUrls, JSON.stringify(paths.map((p) => cache.url + p)));
  const refOut = join(scratch, `${api}-jq.ndjson`);
  await runPages(jqPagesScript(), { urlsPath: chainUrls, token, caPath: cache.caCertPath, filter: spec.filter, out: refOut });
  const same = await compareNdjson(checkOut, refOut);
  const [refHash] = await Promise.all([sha256(refOut)]);
  rmSync(checkOut, { force: true });
  rmSync(refOut, { force: true });
  if (!same.equal)
    throw new Error(`${api}: the CLI's output differs from curl | jq's (${same.count} lines compared): ${same.firstDifference}`);
  const identical = refHash === cliHash && same.identicalBytes === same.count;
  log(
    `${api}: output vs curl | jq -c '${spec.filter}': ${same.count} lines, ${same.identicalBytes} byte-identical, files ${identical ? 'identical' : 'DIFFER'}`,
  );
  cache.take();
  return {
    api,
    pageUrls,
    livePageUrls,
    floorUrls,
    paths,
    alerts: same.count,
    pages: paths.length,
    chainPages: chain.length,
    chainIsCli,
    bytes,
    carried,
    identical,
    identicalBytes: same.identicalBytes,
    live,
    rounds: /** @type {CachedRounds} */ ({ pull: [], jq: [], raw: [], floor: [] }),
    liveRounds: /** @type {LiveRounds} */ ({ pull: [], jq: [], raw: [] }),
  };
}

/** @typedef {Awaited<ReturnType<typeof pull>>} Pulled */
/** @typedef {Awaited<ReturnType<typeof shell>>} Shelled */
/** @typedef {{ pull: Pulled[], jq: Shelled[], raw: Shelled[] }} LiveRounds */
/** @typedef {LiveRounds & { floor: Awaited<ReturnType<typeof floor>>[] }} CachedRounds */
/** @typedef {Awaited<ReturnType<typeof prepare>>} Prepared */
/** @typedef {import('./lib/proc.js').Measured} Measured */

/**
 * A fresh curl token for `p`'s API: from the cache (which then serves it its pages) or, `live`, from the simulator.
 * @param {Ctx} ctx
 * @param {{ api: Api }} p
 * @param {boolean} live
 */
function tokenFor(ctx, p, live) {
  const { resource } = API[p.api];
  return getToken(ctx.sim, {
    ...(resource === undefined ? {} : { resource }),
    ...(live ? {} : { url: ctx.cache.url, ca: ctx.cache.caCertPem }),
  });
}

/**
 * The query of a page path as the simulator's stats record it.
 * @param {string} path
 */
function queryOf(path) {
  const url = new URL(path, 'https://simulator');
  /** @type {Record<string, string[]>} */
  const query = {};
  for (const name of new Set(url.searchParams.keys())) query[name] = url.searchParams.getAll(name);
  return { path: url.pathname, query: JSON.stringify(query) };
}

/**
 * One round of `api`: pull, curl | jq and raw curl over the CLI's pages, in an order that rotates
 * each round; from the cache, or (`live`) from the simulator itself, each step checked to ask for
 * exactly the CLI's pages.
 * @param {Ctx} ctx
 * @param {Prepared} p
 * @param {number} index the round, from 0
 * @param {boolean} live
 */
async function round(ctx, p, index, live) {
  const { sim, cache } = ctx;
  const into = live ? p.liveRounds : p.rounds;
  const token = await tokenFor(ctx, p, live);
  const pages = {
    urlsPath: live ? p.livePageUrls : p.pageUrls,
    token,
    // An HTTPS simulator (main's) has a certificate.
    caPath: /** @type {string} */ (live ? sim.caCertPath : cache.caCertPath),
    filter: API[p.api].filter,
  };
  const steps = {
    pull: async () => into.pull.push(await pull(ctx, p.api, { live })),
    jq: async () => into.jq.push(await shell(jqPagesScript(), pages)),
    raw: async () => into.raw.push(await shell(rawPagesScript(), pages)),
    // Only cached rounds run the floor (see `order`).
    floor: async () => /** @type {CachedRounds} */ (into).floor.push(await floor(ctx, p, token)),
  };
  // The floor is a cached-only measure: its reader trusts the cache's certificate.
  /** @type {(keyof typeof steps)[]} */
  const order = live ? ['pull', 'jq', 'raw'] : ['pull', 'jq', 'raw', 'floor'];
  for (let i = 0; i < order.length; i++) {
    const step = /** @type {keyof typeof steps} */ (order[(i + index) % order.length]); // an index in range
    cache.take();
    sim.stats.reset();
    await steps[step]();
    const seen = cache.take();
    if (seen.misses > 0 || seen.refused > 0) {
      throw new Error(
        `${p.api} ${step}: round ${index + 1} asked the cache for ${seen.misses} page(s) it does not hold (${seen.refused} refused)`,
      );
    }
    if (live) {
      const asked = sim.stats.of('alerts');
      const expected = p.paths.map(queryOf);
      const same =
        asked.length === expected.length &&
        // The lengths are equal: `expected[k]` is there.
        asked.every(
          (r, k) =>
            r.status === 200 &&
            r.path === /** @type {(typeof expected)[number]} */ (expected[k]).path &&
            JSON.stringify(r.query) === /** @type {(typeof expected)[number]} */ (expected[k]).query,
        );
      if (!same) throw new Error(`${p.api} ${step} (live): asked the simulator for other pages than the CLI's (${asked.length} requests)`);
    }
  }
  // Every step ran once this round (the floor in a cached one). Without GNU time cpuMs is undefined: "NaN ms".
  log(
    `round ${index + 1} ${p.api} (${live ? 'live simulator' : 'cached'}): pull ${formatMs(/** @type {Pulled} */ (into.pull.at(-1)).wallMs)} (CPU ${formatMs(/** @type {number} */ (/** @type {Pulled} */ (into.pull.at(-1)).cpuMs))}), ` +
      `curl | jq ${formatMs(/** @type {Shelled} */ (into.jq.at(-1)).wallMs)}, curl ${formatMs(/** @type {Shelled} */ (into.raw.at(-1)).wallMs)}` +
      (live ? '' : `, floor ${formatMs(/** @type {Measured} */ (/** @type {CachedRounds} */ (into).floor.at(-1)).wallMs)}`),
  );
}

const min = (/** @type {readonly number[]} */ values) => Math.min(...values);
/** The largest of `values`, or undefined when any is (no GNU time). */
const max = (/** @type {readonly (number | undefined)[]} */ values) =>
  values.some((v) => v === undefined) ? undefined : Math.max(.../** @type {number[]} */ (values));
const medMin = (/** @type {readonly number[]} */ values) => `${formatMs(median(values))} (${formatMs(min(values))})`;
const cpuMedian = (/** @type {readonly (number | undefined)[]} */ values) =>
  values.some((v) => v === undefined) ? 'n/a' : formatMs(median(/** @type {number[]} */ (values)));
const cell = (/** @type {string | number} */ text) => String(text).replaceAll('|', '\\|');
const row = (/** @type {readonly (string | number)[]} */ cells) => `| ${cells.map(cell).join(' | ')} |`;
const walls = (/** @type {readonly { wallMs: number }[]} */ list) => list.map((r) => r.wallMs);
/**
 * `1.23× (1.20×)`: the ratio of the medians, and of the minimums.
 * @param {readonly number[]} a
 * @param {readonly number[]} b
 */
const ratio = (a, b) => `${formatRatio(median(a) / median(b))} (${formatRatio(min(a) / min(b))})`;

async function main() {
  if (!existsSync(new URL('../dist/src/main.js', import.meta.url))) throw new Error('dist/ is missing: run `npm run build` first');
  const info = machine();
  const [curlVersion, jqVersion] = await Promise.all([versionOf('curl'), versionOf('jq')]);
  if (curlVersion === undefined || jqVersion === undefined) throw new Error('curl and jq are needed for the comparison');
  log(
    `${info.cpus} CPUs (${info.cpu}), Node ${info.node}, load ${info.load}; ${quick ? 'quick' : 'full'} run, ` +
      `${RUNS} cached + ${LIVE_RUNS} live rounds, ${ALERTS} alert records`,
  );
  if (!HAVE_GNU_TIME) log('/usr/bin/time not found: CPU and peak RSS will not be reported');
  const started = performance.now();

  const scratch = mkdtempSync(join(tmpdir(), 'defender-alerts-bench-odata-'));
  // The quotas (MDE 100 calls a minute, Graph 150) would throttle the rounds: raised so they never decide.
  const sim = await startSimulator({
    alerts: ALERTS,
    https: true,
    seed: 1,
    mdeCallsPerMinute: 1e9,
    mdeCallsPerHour: 1e9,
    graphCallsPerMinute: 1e9,
  });
  const cache = await startPageCache(sim, scratch);
  const ctx = { sim, cache, scratch };
  try {
    const prepared = [];
    for (const api of APIS) prepared.push(await prepare(ctx, api));
    log(`cache holds ${(cache.bytes / 1e6).toFixed(0)} MB`);
    for (let r = 0; r < RUNS; r++) for (const p of prepared) await round(ctx, p, r, false);
    for (let r = 0; r < LIVE_RUNS; r++) for (const p of prepared) await round(ctx, p, r, true);

    const end = machine();
    const lines = [
      `Machine: ${info.cpus} CPUs, ${info.cpu}; Node ${info.node}; ${curlVersion}; ${jqVersion}`,
      `Load average (1, 5, 15 min): ${info.load} at start, ${end.load} at end; ${((performance.now() - started) / 60_000).toFixed(1)} min. ` +
        `${quick ? 'Quick run (--quick). ' : ''}${ALERTS} alert records in the simulator (seed 1); ${RUNS} cached and ${LIVE_RUNS} live alternating rounds.`,
      '',
      'Served from the cache (the simulator out of the timings):',
      '',
      '| API | alerts | pages (MB) | `pull` wall: median (min) | CLI CPU: median | `pull` peak RSS | raw `curl`: median (min) | `curl \\| jq`: median (min) | jq peak RSS | pull ÷ raw: medians (mins) | pull ÷ curl \\| jq: medians (mins) |',
      '|---|---|---|---|---|---|---|---|---|---|---|',
    ];
    for (const p of prepared) {
      const { pull: pr, jq, raw } = p.rounds;
      lines.push(
        row([
          p.api,
          p.alerts,
          `${p.pages} (${(p.bytes / 1e6).toFixed(1)})`,
          medMin(walls(pr)),
          cpuMedian(pr.map((r) => r.cpuMs)),
          formatRss(max(pr.map((r) => r.rssKib))),
          medMin(walls(raw)),
          medMin(walls(jq)),
          formatRss(max(jq.map((r) => r.jq.rssKib))),
          ratio(walls(pr), walls(raw)),
          ratio(walls(pr), walls(jq)),
        ]),
      );
    }
    lines.push(
      '',
      "The floor: a bare Node reader made of the CLI's own parts (undici, the splitter and byte check in one pass, 64 KiB writes; bench/lib/floor-reader.js) over the same pages from the cache, and what `pull`'s other layers (configuration, logger, retries, paging, the gate, the sink) add to it:",
      '',
      '| API | floor wall: median (min) | floor CPU: median | floor peak RSS | floor ÷ raw: medians | floor ÷ curl \\| jq: medians (mins) | `pull` − floor: medians |',
      '|---|---|---|---|---|---|---|',
    );
    for (const p of prepared) {
      const { pull: pr, jq, raw, floor: fl } = p.rounds;
      lines.push(
        row([
          p.api,
          medMin(walls(fl)),
          cpuMedian(fl.map((r) => r.cpuMs)),
          formatRss(max(fl.map((r) => r.rssKib))),
          formatRatio(median(walls(fl)) / median(walls(raw))),
          ratio(walls(fl), walls(jq)),
          formatMs(median(walls(pr)) - median(walls(fl))),
        ]),
      );
    }
    if (LIVE_RUNS > 0) {
      lines.push(
        '',
        'From the live simulator (every page rendered anew; the simulator shares the 2 cores):',
        '',
        '| API | `pull` wall: median (min) | CLI CPU: median | simulator CPU per `pull`: median | raw `curl`: median (min) | simulator CPU per `curl`: median | `curl \\| jq`: median (min) | pull ÷ raw: medians (mins) | pull ÷ curl \\| jq: medians (mins) |',
        '|---|---|---|---|---|---|---|---|---|',
      );
      for (const p of prepared) {
        const { pull: pr, jq, raw } = p.liveRounds;
        lines.push(
          row([
            p.api,
            medMin(walls(pr)),
            cpuMedian(pr.map((r) => r.cpuMs)),
            cpuMedian(pr.map((r) => r.serverCpuMs)),
            medMin(walls(raw)),
            cpuMedian(raw.map((r) => r.serverCpuMs)),
            medMin(walls(jq)),
            ratio(walls(pr), walls(raw)),
            ratio(walls(pr), walls(jq)),
          ]),
        );
      }
    }
    lines.push(
      '',
      '| API | output vs `curl \\| jq` | pages the CLI asked for | next-link pages (reference) | cache-filling `pull` (live) | simulator + cache CPU in it | this process CPU per cached `pull`: median | curl CPU, jq CPU (cached): median |',
      '|---|---|---|---|---|---|---|---|',
    );
    for (const p of prepared) {
      lines.push(
        row([
          p.api,
          p.identical
            ? `byte-identical: ${p.identicalBytes} of ${p.alerts} lines, same sha256`
            : `equal values, ${p.identicalBytes} of ${p.alerts} lines byte-identical`,
          `${p.pages}, carrying ${p.carried} alerts`,
          p.api === 'siem'
            ? '— (one answer)'
            : p.chainIsCli
              ? `${p.chainPages}: the same URLs`
              : `${p.chainPages}: other URLs ($skiptoken)`,
          formatMs(p.live.wallMs),
          formatMs(p.live.serverCpuMs),
          cpuMedian(p.rounds.pull.map((r) => r.serverCpuMs)),
          `${cpuMedian(p.rounds.jq.map((r) => r.curl.cpuMs))}, ${cpuMedian(p.rounds.jq.map((r) => r.jq.cpuMs))}`,
        ]),
      );
    }
    if (stderrSeen.size > 0) {
      lines.push('', 'stderr of `pull` (exit 0):');
      for (const [text, apis] of stderrSeen) lines.push(`- ${apis.length}× (${[...new Set(apis)].join(', ')}): ${text.slice(0, 300)}`);
    }
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    await cache.close();
    await sim.close();
    rmSync(scratch, { recursive: true, force: true });
  }
}

main().catch((error) => {
  process.stderr.write(`bench:odata: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exitCode = 1;
});
