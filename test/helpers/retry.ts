import type { RetryPolicy } from '../../src/http/retry.js';

/**
 * A policy that never retries, with 1 ms delays and caps: the first failure ends the request at
 * once, so a test that must see no failure (a 429 its pacing should have prevented) fails on it
 * instead of waiting it out. `overrides` adds what a test needs (a throttle budget, a few retries).
 */
export function fastFailRetry(overrides: Partial<RetryPolicy> = {}): RetryPolicy {
  return { maxRetries: 0, baseDelayMs: 1, maxDelayMs: 1, maxRetryAfterMs: 1, ...overrides };
}

/**
 * Three retries with the default delays (500 ms base, 30 s ceiling, Retry-After capped at 120 s):
 * the numbers the tests of the retry decision and loop compute their expected delays from.
 */
export const THREE_RETRIES: Readonly<RetryPolicy> = { maxRetries: 3, baseDelayMs: 500, maxDelayMs: 30_000, maxRetryAfterMs: 120_000 };
