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
    const pace = createPacer([{ calls: 2, perMs: 1000 }], { info: () => {} }, () => clock, async (ms) => {
      waits.push(ms);
      clock += ms;
    });
    await pace();
    await pace();
    await pace();
    expect(waits).toEqual([1000]);
    clock += 10; // t=1010: only the call at 1000 is inside the last second
    await pace();
    expect(waits).toEqual([1000]);
    await pace(); // a third call in the window waits until the one at 1000 leaves it
    expect(waits).toEqual([1000, 990]);
  });
});
