import { describe, expect, it } from 'vitest';
import { NO_REQUESTS, RequestStats, tallySince } from '../../src/http/request-stats.js';

describe('RequestStats', () => {
  it('counts answers by status class, retries and throttle waits', () => {
    const stats = new RequestStats();
    stats.answered(200);
    stats.answered(204);
    stats.answered(429);
    stats.answered('network');
    stats.retried();
    stats.throttled(1500);
    expect(stats.snapshot()).toEqual({ requests: { '2xx': 2, '4xx': 1, network: 1 }, retries: 1, throttleWaits: 1, throttleWaitMs: 1500 });
    expect(tallySince(NO_REQUESTS, stats.snapshot())).toEqual(stats.snapshot());
  });

  it('tells each throttle wait to its listeners until they stop watching', () => {
    const stats = new RequestStats();
    const seen: number[] = [];
    const also: number[] = [];
    const stop = stats.onThrottle((ms) => seen.push(ms));
    stats.onThrottle((ms) => also.push(ms));
    stats.throttled(1000);
    stop();
    stats.throttled(2000);
    expect(seen).toEqual([1000]);
    expect(also).toEqual([1000, 2000]);
    expect(stats.snapshot().throttleWaitMs).toBe(3000);
  });
});
