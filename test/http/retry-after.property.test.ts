/**
 * Property-based tests of `Retry-After` parsing (RFC 9110 §10.2.3) and of the retry decision that
 * uses it: any header value gives a finite delay >= 0 or "absent", each HTTP-date form names the
 * same instant, and the delay actually slept is always within the policy's caps.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseRetryAfter } from '../../src/http/retry-after.js';
import { decideRetry, DEFAULT_RETRY_POLICY } from '../../src/http/retry.js';

const NOW_MS = Date.UTC(2024, 4, 1, 12, 0, 0);
const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const LONG_DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const p2 = (n: number): string => String(n).padStart(2, '0');
const hms = (d: Date): string => `${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())}`;
// Whole seconds, 2000-2049 (the window where the RFC 850 two-digit year is unambiguous).
const httpDate = fc.integer({ min: Date.UTC(2000, 0, 1) / 1000, max: Date.UTC(2049, 11, 31) / 1000 }).map((s) => new Date(s * 1000));

describe('parseRetryAfter', () => {
  it('any value: undefined, or a finite delay >= 0', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary', maxLength: 40 }), fc.stringMatching(/^-?\d{0,20}(\.\d{0,5})?$/)), (value) => {
        const delay = parseRetryAfter(value, NOW_MS);
        if (delay !== undefined) {
          expect(Number.isFinite(delay)).toBe(true);
          expect(delay).toBeGreaterThanOrEqual(0);
        }
      }),
    );
  });

  it('delay-seconds: n seconds is n*1000 ms; a negative delay is 0', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1_000_000_000 }), fc.constantFrom('', ' '), (n, space) => {
        expect(parseRetryAfter(`${space}${n}${space}`, NOW_MS)).toBe(n * 1000);
        expect(parseRetryAfter(`-${n + 1}`, NOW_MS)).toBe(0);
      }),
    );
  });

  it('the three HTTP-date forms name the same instant: the delay until it, or 0 when past', () => {
    fc.assert(
      fc.property(httpDate, (date) => {
        const day = date.getUTCDate();
        const imf = `${DAYS[date.getUTCDay()]}, ${p2(day)} ${MONTHS[date.getUTCMonth()]} ${date.getUTCFullYear()} ${hms(date)} GMT`;
        const rfc850 = `${LONG_DAYS[date.getUTCDay()]}, ${p2(day)}-${MONTHS[date.getUTCMonth()]}-${p2(date.getUTCFullYear() % 100)} ${hms(date)} GMT`;
        const asctime = `${DAYS[date.getUTCDay()]} ${MONTHS[date.getUTCMonth()]} ${String(day).padStart(2, ' ')} ${hms(date)} ${date.getUTCFullYear()}`;
        const expected = Math.max(0, date.getTime() - NOW_MS);
        expect(imf).toBe(date.toUTCString());
        expect(parseRetryAfter(imf, NOW_MS)).toBe(expected);
        expect(parseRetryAfter(rfc850, NOW_MS)).toBe(expected);
        expect(parseRetryAfter(asctime, NOW_MS)).toBe(expected);
      }),
    );
  });
});

describe('decideRetry with any Retry-After', () => {
  it('the delay is finite, >= 0 and within the caps; a 429/503 is retried until the retries are used up', () => {
    fc.assert(
      fc.property(
        fc.option(
          fc.oneof(
            fc.string({ maxLength: 30 }),
            fc.integer({ min: -1e6, max: 1e12 }).map(String),
            httpDate.map((d) => d.toUTCString()),
          ),
          { nil: undefined },
        ),
        fc.constantFrom(408, 429, 500, 502, 503, 504),
        fc.integer({ min: 1, max: 10 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (retryAfter, status, attempt, random) => {
          const decision = decideRetry({ kind: 'status', status, retryAfter }, attempt, DEFAULT_RETRY_POLICY, NOW_MS, () => random);
          expect(decision.retry).toBe(attempt <= DEFAULT_RETRY_POLICY.maxRetries);
          if (!decision.retry) return;
          expect(Number.isFinite(decision.delayMs)).toBe(true);
          expect(decision.delayMs).toBeGreaterThanOrEqual(0);
          expect(decision.delayMs).toBeLessThanOrEqual(Math.max(DEFAULT_RETRY_POLICY.maxRetryAfterMs, DEFAULT_RETRY_POLICY.maxDelayMs));
        },
      ),
    );
  });
});
