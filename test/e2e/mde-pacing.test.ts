/**
 * Rate-limit pacing against the simulator: a long Defender for Endpoint backfill waits
 * for a free slot instead of running into 429s. The simulator's limit and the pacer run on one
 * shared fake clock, so the test waits for nothing: the pacer's sleeps move the clock.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MdeSource } from '../../src/api/mde.js';
import { AppCredential } from '../../src/auth/app-credential.js';
import { CachedCredential } from '../../src/auth/token-cache.js';
import { createDispatcher } from '../../src/http/dispatcher.js';
import { createPacer } from '../../src/http/pacer.js';
import { createLogger } from '../../src/log.js';
import { startSimulator, type Simulator } from '../../simulator/server.js';
import { fastFailRetry } from '../helpers/retry.js';

let clockMs = Date.now();
const now = (): number => clockMs;
let sim: Simulator;

beforeAll(async () => {
  sim = await startSimulator({ alerts: 60, seed: 4, windowHours: 2, mdeCallsPerMinute: 5, now: () => new Date(clockMs) });
});
afterAll(async () => {
  await sim.close();
});

describe('MDE rate-limit pacing', () => {
  it('spreads a 12-page backfill over the limit (5 calls a minute) without a single 429', async () => {
    const log = createLogger('silent');
    const dispatcher = createDispatcher({ timeoutMs: 10_000, ...(sim.caCertPem ? { ca: sim.caCertPem } : {}) });
    const retry = fastFailRetry(); // a 429 would fail the test
    const credential = new CachedCredential(
      new AppCredential({
        authorityHost: new URL(sim.url),
        tenant: sim.credentials.tenantId,
        clientId: sim.credentials.clientId,
        proof: sim.credentials.clientSecret,
        audience: { version: 'v2', scope: 'https://api.securitycenter.microsoft.com/.default' },
        dispatcher,
        retry,
        timeoutMs: 10_000,
        log,
        now,
      }),
      now,
    );
    const waits: number[] = [];
    const pacer = createPacer([{ calls: 5, perMs: 60_000 }], log, now, async (ms) => {
      waits.push(ms);
      clockMs += ms;
    });
    const source = new MdeSource(
      { baseUrl: new URL(sim.url), pageSize: 5, filterOn: 'lastUpdateTime', expandEvidence: false },
      { credential, dispatcher, retry, timeoutMs: 10_000, log, onInvalid: () => {}, pacer },
    );
    const startMs = clockMs;
    const ids: string[] = [];
    try {
      for await (const alert of source.fetch({ since: new Date(clockMs - 3 * 3_600_000), machineGroups: [] })) ids.push(alert.id);
    } finally {
      await dispatcher.destroy();
    }
    const pages = sim.stats.of('alerts');
    expect(pages.length).toBeGreaterThanOrEqual(10);
    expect(pages.filter((r) => r.status === 429)).toEqual([]);
    expect(new Set(ids).size).toBe(ids.length);
    // 5 calls a minute: the pacer waited, about a minute per 5 pages, on the shared clock.
    expect(waits.length).toBeGreaterThanOrEqual(Math.floor((pages.length - 1) / 5));
    expect(clockMs - startMs).toBeGreaterThanOrEqual(Math.floor((pages.length - 1) / 5) * 50_000);
  });
});
