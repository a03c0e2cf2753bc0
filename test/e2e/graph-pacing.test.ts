/**
 * Rate-limit pacing of Graph alerts_v2 against the simulator, whose Graph quota is 150 requests a
 * minute per tenant as documented (https://learn.microsoft.com/graph/throttling-limits).
 *
 * In process, the pacer and the simulator run on one shared fake clock, so a backfill of more than
 * 150 requests waits for nothing real. Through the built CLI, the simulator's limit is set below
 * the documented one, on a shortened minute: the CLI's pacer (150 a minute) does not foresee it,
 * so it learns from the 429s and holds every request (every `--parallel` window) until the time
 * the server named.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { GraphSource } from '../../src/api/graph.js';
import { AppCredential } from '../../src/auth/app-credential.js';
import { CachedCredential } from '../../src/auth/token-cache.js';
import { createDispatcher } from '../../src/http/dispatcher.js';
import { createPacer, GRAPH_RATE_LIMITS } from '../../src/http/pacer.js';
import { createLogger } from '../../src/log.js';
import { startSimulator, type Simulator, type SimulatorOptions } from '../../simulator/server.js';
import { runCli, type CliResult } from '../helpers/cli.js';
import { fastFailRetry } from '../helpers/retry.js';
import { simEnv } from '../helpers/sim-env.js';

let sim: Simulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

async function start(options: SimulatorOptions): Promise<Simulator> {
  sim = await startSimulator({ https: false, seed: 6, windowHours: 2, includeExamples: false, ...options });
  return sim;
}

/** Every alert id the simulator holds: Graph answers one alert per AlertId. */
function allIds(s: Simulator): string[] {
  const { alerts } = s.store.query({ sinceTimeUtc: '2000-01-01T00:00:00Z' }, new Date());
  return [...new Set([...alerts].map((a) => String(a.AlertId)))].sort();
}

function idsIn(result: CliResult): string[] {
  return result.stdout
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => String((JSON.parse(line) as Record<string, unknown>)['id']));
}

describe('Graph rate-limit pacing, in process', () => {
  it('spreads a backfill of more than 150 requests over the documented minute without a single 429', async () => {
    let clockMs = Date.now();
    const now = (): number => clockMs;
    // Two alerts a page, each page starting at the last one's time: a request per alert, over 200.
    const s = await start({ alerts: 320, now: () => new Date(clockMs) });
    const log = createLogger('silent');
    const dispatcher = createDispatcher({ timeoutMs: 10_000 });
    const retry = fastFailRetry(); // a 429 would fail the test
    const credential = new CachedCredential(
      new AppCredential({
        authorityHost: new URL(s.url),
        tenant: s.credentials.tenantId,
        clientId: s.credentials.clientId,
        proof: s.credentials.clientSecret,
        audience: { version: 'v2', scope: 'https://graph.microsoft.com/.default' },
        dispatcher,
        retry,
        timeoutMs: 10_000,
        log,
        now,
      }),
      now,
    );
    const waits: number[] = [];
    const pacer = createPacer(GRAPH_RATE_LIMITS, log, now, async (ms) => {
      waits.push(ms);
      clockMs += ms;
    });
    const source = new GraphSource(
      { baseUrl: new URL(s.url), pageSize: 2, serviceSource: undefined },
      { credential, dispatcher, retry, timeoutMs: 10_000, log, onInvalid: () => {}, pacer },
    );
    const startMs = clockMs;
    const ids: string[] = [];
    try {
      for await (const alert of source.fetch({ since: new Date(clockMs - 3 * 3_600_000), machineGroups: [] })) ids.push(alert.id);
    } finally {
      await dispatcher.destroy();
    }
    const pages = s.stats.of('alerts');
    expect(pages.length).toBeGreaterThan(200);
    expect(pages.filter((r) => r.status !== 200)).toEqual([]);
    expect(ids).toHaveLength(new Set(ids).size);
    expect([...ids].sort()).toEqual(allIds(s));
    // 150 a minute: a wait after each 150 pages, about a minute each, on the shared clock.
    expect(waits.length).toBeGreaterThanOrEqual(Math.floor((pages.length - 1) / 150));
    expect(clockMs - startMs).toBeGreaterThanOrEqual(Math.floor((pages.length - 1) / 150) * 55_000);
  });
});

describe('pull --api graph against a quota lower than the documented one', () => {
  // 3 requests per 2-second "minute": the CLI, pacing at 150 a minute, runs into it and holds.
  const quota = { graphCallsPerMinute: 3, graphMinuteSeconds: 2 };

  it('waits out every 429 as asked and ends with every alert exactly once, exit 0', async () => {
    const s = await start({ alerts: 30, ...quota });
    const result = await runCli(['pull', '--api', 'graph', '--since', '3h', '--page-size', '4', '--format', 'ndjson'], {
      env: simEnv(s, { DEFENDER_LOG_LEVEL: 'info' }),
      timeoutMs: 20_000,
    });
    expect(result.stderr).not.toContain('defender-alerts:');
    expect(result.code).toBe(0);
    const ids = idsIn(result);
    expect(ids).toHaveLength(new Set(ids).size);
    expect([...ids].sort()).toEqual(allIds(s));
    const statuses = s.stats.of('alerts').map((r) => r.status);
    expect(statuses.filter((status) => status === 200).length).toBeGreaterThan(quota.graphCallsPerMinute);
    expect(statuses).toContain(429);
    expect(result.stderr).toMatch(/throttled \(HTTP 429: Please retry again later\.\); waiting \d+(\.\d+)?s as the server asked/);
  }, 25_000);

  it('holds every --parallel window after a 429, not only the one that got it', async () => {
    const s = await start({ alerts: 30, ...quota });
    const dir = await mkdtemp(join(tmpdir(), 'defender-graph-pacing-'));
    const result = await runCli(
      [
        'pull',
        '--api',
        'graph',
        '--since',
        '3h',
        '--window',
        '20m',
        '--parallel',
        '3',
        '--page-size',
        '10',
        '--format',
        'ndjson',
        '--state',
        join(dir, 'state.json'),
      ],
      { env: simEnv(s, { DEFENDER_LOG_LEVEL: 'info' }), timeoutMs: 20_000 },
    );
    expect(result.stderr).not.toContain('defender-alerts:');
    expect(result.code).toBe(0);
    const ids = idsIn(result);
    expect(ids).toHaveLength(new Set(ids).size);
    expect([...ids].sort()).toEqual(allIds(s));
    expect(s.stats.of('alerts').map((r) => r.status)).toContain(429);
    // A window that asks while another is held waits with it: the source's pacer was told.
    expect(result.stderr).toContain('the API throttled this app earlier and named when to come back');
  }, 25_000);
});
