import { describe, expect, it } from 'vitest';
import { createPacer, delayForNextCall, GRAPH_RATE_LIMITS, MDE_RATE_LIMITS, SLACK_MS } from '../../src/http/pacer.js';
import { SlidingWindowLimit } from '../../simulator/rate-limit.js';

describe('delayForNextCall', () => {
  const perMinute = [{ calls: 3, perMs: 60_000 }];

  it('lets calls through while under the limit', () => {
    expect(delayForNextCall([0, 1000], 2000, perMinute)).toBe(0);
  });

  it('waits until the oldest call of the window leaves it', () => {
    expect(delayForNextCall([0, 1000, 2000], 3000, perMinute)).toBe(57_000);
    expect(delayForNextCall([0, 1000, 2000], 60_000, perMinute)).toBe(0);
  });

  it('honours the strictest of several limits (MDE: 100/min and 1500/hour)', () => {
    const history = Array.from({ length: 1500 }, (_, i) => i * 2000); // 1500 calls over 50 min
    const now = 1500 * 2000;
    expect(delayForNextCall(history, now, MDE_RATE_LIMITS)).toBe(3_600_000 - now);
  });

  it("keeps Graph's documented limit: 150 requests a minute (per app and tenant), and no other", () => {
    expect(GRAPH_RATE_LIMITS).toEqual([{ calls: 150, perMs: 60_000 }]);
    const burst = Array.from({ length: 149 }, (_, i) => i * 100); // 149 calls in 14.9 s
    expect(delayForNextCall(burst, 15_000, GRAPH_RATE_LIMITS)).toBe(0);
    // The 151st waits until the first leaves the minute.
    expect(delayForNextCall([...burst, 14_900], 15_000, GRAPH_RATE_LIMITS)).toBe(45_000);
    // No hourly limit: a steady 150 a minute for two hours goes on without a wait.
    const steady = Array.from({ length: 300 }, (_, i) => i * 400);
    expect(delayForNextCall(steady, 300 * 400, GRAPH_RATE_LIMITS)).toBe(0);
  });
});

/**
 * A virtual clock for callers that sleep concurrently: whenever none of them can run, the earliest
 * sleeper wakes (ties in the order they fell asleep, as Node's timers fire) and the clock jumps to its time.
 */
function virtualTime(): { now: () => number; sleep: (ms: number) => Promise<void>; run: (work: Promise<unknown>) => Promise<void> } {
  let clock = 0;
  let order = 0;
  const sleepers: { at: number; order: number; wake: () => void }[] = [];
  return {
    now: () => clock,
    sleep: (ms) => new Promise<void>((wake) => void sleepers.push({ at: clock + ms, order: order++, wake })),
    async run(work) {
      let done = false;
      void work.finally(() => (done = true));
      for (;;) {
        // Every continuation that can run, runs (each sleeper's await resolves before the next wakes).
        await new Promise((resolve) => setImmediate(resolve));
        if (done) return;
        sleepers.sort((a, b) => a.at - b.at || a.order - b.order);
        const next = sleepers.shift();
        if (next === undefined) throw new Error('every caller is stuck');
        clock = Math.max(clock, next.at);
        next.wake();
      }
    },
  };
}

describe('createPacer', () => {
  it("sleeps only when a call would break the limit (the limit's window plus SLACK_MS)", async () => {
    let clock = 0;
    const window = 1000 + SLACK_MS;
    const waits: number[] = [];
    const pacer = createPacer(
      [{ calls: 2, perMs: 1000 }],
      { info: () => {} },
      () => clock,
      async (ms) => {
        waits.push(ms);
        clock += ms;
      },
    );
    await pacer.wait();
    await pacer.wait();
    await pacer.wait();
    expect(waits).toEqual([window]);
    clock += 10; // only the call at `window` is inside the last window
    await pacer.wait();
    expect(waits).toEqual([window]);
    await pacer.wait(); // a third call in the window waits until the one at `window` leaves it
    expect(waits).toEqual([window, window - 10]);
  });
});

describe('createPacer with --parallel windows', () => {
  it("keeps Graph's 150 requests in any 60 s when 8 windows wait on it at once, and loses no time", async () => {
    const time = virtualTime();
    const pacer = createPacer(GRAPH_RATE_LIMITS, { info: () => {} }, time.now, time.sleep);
    const starts: number[] = [];
    // Windows that start and answer at different times: once the minute is full, all eight wait for
    // the same oldest request to leave it, though that frees one slot, not eight.
    const window = async (_: unknown, i: number): Promise<void> => {
      await time.sleep(37 * i);
      while (starts.length < 600) {
        await pacer.wait();
        starts.push(time.now());
        await time.sleep(200 + 50 * i);
      }
    };
    const work = Promise.all(Array.from({ length: 8 }, window));
    await time.run(work);
    await work;
    expect(starts.length).toBeGreaterThanOrEqual(600);
    // Judged by the simulator's rule (what it answers 429 to): every request admitted.
    const server = new SlidingWindowLimit(150, 60_000);
    expect(starts.filter((t) => !server.take(t).ok)).toEqual([]);
    for (let i = 150; i < starts.length; i++) expect((starts[i] as number) - (starts[i - 150] as number)).toBeGreaterThanOrEqual(60_000);
    // 600 requests at 150 a minute: the last starts a little over three minutes in, not later.
    expect(starts.at(-1)).toBeLessThan(3 * 60_000 + 10_000);
  });
});

describe('createPacer learning from a 429', () => {
  it('holds every request until the time the server named, then paces as before', async () => {
    let clock = 0;
    const waits: number[] = [];
    const logs: string[] = [];
    const pacer = createPacer(
      [{ calls: 100, perMs: 60_000 }],
      { info: (_o: unknown, msg?: string) => void logs.push(String(msg)) } as never,
      () => clock,
      async (ms) => {
        waits.push(ms);
        clock += ms;
      },
    );
    await pacer.wait();
    pacer.hold(5_000);
    pacer.hold(2_000); // an earlier time never shortens a hold
    await pacer.wait();
    expect(waits).toEqual([5_000]);
    expect(logs.at(-1)).toMatch(/throttled this app earlier/);
    await pacer.wait();
    expect(waits).toEqual([5_000]);
  });

  it('holds a window already asleep for its slot, when another window is told to come back later', async () => {
    const time = virtualTime();
    const pacer = createPacer([{ calls: 1, perMs: 1_000 }], { info: () => {} }, time.now, time.sleep);
    const starts: number[] = [];
    const work = (async () => {
      await pacer.wait();
      starts.push(time.now());
      const paced = pacer.wait().then(() => starts.push(time.now())); // asleep until t=1000
      await time.sleep(500);
      pacer.hold(3_000); // a 429 at t=500 said "not before t=3000"
      await paced;
    })();
    await time.run(work);
    await work;
    expect(starts).toEqual([0, 3_000]);
  });
});
