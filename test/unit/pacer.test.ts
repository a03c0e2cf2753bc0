import { describe, expect, it } from 'vitest';
import { createPacer, delayForNextCall, MDE_RATE_LIMITS } from '../../src/http/pacer.js';

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
});

describe('createPacer', () => {
  it('sleeps only when a call would break the limit', async () => {
    let clock = 0;
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
    expect(waits).toEqual([1000]);
    clock += 10; // t=1010: only the call at 1000 is inside the last second
    await pacer.wait();
    expect(waits).toEqual([1000]);
    await pacer.wait(); // a third call in the window waits until the one at 1000 leaves it
    expect(waits).toEqual([1000, 990]);
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
});
