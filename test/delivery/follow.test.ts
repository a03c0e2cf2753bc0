import { describe, expect, it } from 'vitest';
import { AuthError, NetworkError, ServiceError, TenantsFailedError, ExitCode } from '../../src/errors.js';
import { healsByWaiting, MAX_BACKOFF_MS, MAX_PERMANENT_FAILURES, nextCycle } from '../../src/delivery/follow-schedule.js';
import { follow } from '../../src/delivery/follow.js';
import { createLogger } from '../../src/log.js';

const log = createLogger('silent');
const MIN = 60_000;

describe('nextCycle', () => {
  const at = (over: Partial<Parameters<typeof nextCycle>[0]>) =>
    nextCycle({ startedMs: 0, nowMs: 20_000, intervalMs: 5 * MIN, jitterMs: 0, failures: 0, random: () => 0, ...over });

  it('starts the next cycle an interval after the previous one started', () => {
    expect(at({})).toEqual({ delayMs: 5 * MIN - 20_000, overran: false });
  });

  it('starts at once, saying so, when the cycle took longer than the interval', () => {
    expect(at({ nowMs: 6 * MIN })).toEqual({ delayMs: 0, overran: true });
  });

  it('adds up to --jitter at random', () => {
    expect(at({ jitterMs: 30_000, random: () => 0.5 }).delayMs).toBe(5 * MIN - 20_000 + 15_000);
  });

  it('doubles the interval per failed cycle in a row, up to the cap (or the interval, if longer)', () => {
    const delays = [1, 2, 3, 4, 5].map((failures) => at({ failures, nowMs: 0 }).delayMs);
    expect(delays).toEqual([5 * MIN, 10 * MIN, 20 * MIN, MAX_BACKOFF_MS, MAX_BACKOFF_MS]);
    expect(at({ failures: 3, nowMs: 0, intervalMs: 60 * MIN }).delayMs).toBe(60 * MIN);
    expect(at({ failures: 2, nowMs: 6 * MIN })).toEqual({ delayMs: 4 * MIN, overran: false });
  });
});

describe('healsByWaiting', () => {
  it('tells what waiting may heal (5, 6, 7, 75) from what it will not (1, 2, 3, 4, 65)', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 7, 65, 75].filter(healsByWaiting)).toEqual([5, 6, 7, 75]);
  });
});

/** A clock and sleep that run instantly, recording each wait. */
function fakeTime() {
  let now = 0;
  const waits: number[] = [];
  return {
    waits,
    now: () => new Date(now),
    advance: (ms: number) => (now += ms),
    sleep: (ms: number, signal?: AbortSignal) => {
      waits.push(ms);
      now += ms;
      return signal?.aborted ? Promise.reject(signal.reason as Error) : Promise.resolve();
    },
  };
}

describe('follow', () => {
  const settings = { intervalMs: 60_000, jitterMs: 0 };

  it('runs cycles an interval apart until stopped, and stopping is not a failure', async () => {
    const time = fakeTime();
    const stop = new AbortController();
    let cycles = 0;
    const n = await follow(
      async () => {
        cycles++;
        time.advance(5_000);
        if (cycles === 4) stop.abort();
      },
      settings,
      { signal: stop.signal, now: time.now, sleep: time.sleep, log },
    );
    expect(n).toBe(4);
    expect(time.waits).toEqual([55_000, 55_000, 55_000]);
  });

  it('keeps going through failures that heal, backing off, and is back on the interval after one success', async () => {
    const time = fakeTime();
    const stop = new AbortController();
    const results = [
      new ServiceError('API_503', 'down'),
      new NetworkError('TRANSPORT', 'reset'),
      new ServiceError('API_500', 'x'),
      'ok',
      'ok',
    ];
    let i = 0;
    await follow(
      async () => {
        const r = results[i++];
        if (i === results.length) stop.abort();
        if (r instanceof Error) throw r;
      },
      settings,
      { signal: stop.signal, now: time.now, sleep: time.sleep, log },
    );
    expect(time.waits).toEqual([60_000, 120_000, 240_000, 60_000]);
  });

  it(`ends with the failure when waiting cannot heal it, after ${MAX_PERMANENT_FAILURES} in a row`, async () => {
    const time = fakeTime();
    let cycles = 0;
    const refused = new AuthError('AADSTS7000215', 'bad secret');
    await expect(
      follow(
        async () => {
          cycles++;
          // A transient failure between them starts the count over.
          if (cycles === 2) throw new ServiceError('API_503', 'down');
          throw refused;
        },
        settings,
        { signal: new AbortController().signal, now: time.now, sleep: time.sleep, log },
      ),
    ).rejects.toBe(refused);
    expect(cycles).toBe(2 + MAX_PERMANENT_FAILURES);
  });

  it('counts a cycle where some tenants failed as one that heals', async () => {
    const time = fakeTime();
    const stop = new AbortController();
    let cycles = 0;
    await follow(
      async () => {
        if (++cycles === 6) stop.abort();
        throw new TenantsFailedError(ExitCode.someTenantsFailed, '1 of 2 tenant(s) failed');
      },
      settings,
      { signal: stop.signal, now: time.now, sleep: time.sleep, log },
    );
    expect(cycles).toBe(6);
  });

  it('stops when a cycle says its reader went away, and when stopped while waiting', async () => {
    const time = fakeTime();
    expect(
      await follow(() => Promise.resolve('stop' as const), settings, {
        signal: new AbortController().signal,
        now: time.now,
        sleep: time.sleep,
        log,
      }),
    ).toBe(1);
    const stop = new AbortController();
    const n = await follow(() => Promise.resolve(), settings, {
      signal: stop.signal,
      now: time.now,
      sleep: (ms, signal) => {
        stop.abort(new Error('SIGTERM'));
        return time.sleep(ms, signal);
      },
      log,
    });
    expect(n).toBe(1);
  });
});
