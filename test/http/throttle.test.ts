import { describe, expect, it } from 'vitest';
import { decideThrottle, serverMessage, throttleExhausted, ThrottleBudget } from '../../src/http/throttle.js';
import { formatDuration } from '../../src/time.js';

describe('decideThrottle: the throttle budget as a pure decision', () => {
  it('waits as asked while the budget holds it', () => {
    expect(decideThrottle(429, 5_000, 60_000)).toEqual({ wait: true, delayMs: 5_000 });
    expect(decideThrottle(503, 60_000, 60_000)).toEqual({ wait: true, delayMs: 60_000 });
  });

  it('does not start a wait longer than what is left (a Retry-After of days is not worth waiting for)', () => {
    const decision = decideThrottle(429, 2 * 86_400_000, 3_600_000);
    expect(decision).toEqual({ wait: false, reason: 'the server asked to wait 2d, more than the 1h left of the throttle budget' });
    expect(decideThrottle(429, 1_001, 1_000)?.wait).toBe(false);
  });

  it('only a 429 or 503 asking for a second or more is throttling; the rest is an ordinary failure', () => {
    expect([429, 503, 500, 502, 408].map((status) => decideThrottle(status, 5_000, 60_000) !== undefined)).toEqual([
      true,
      true,
      false,
      false,
      false,
    ]);
    expect(decideThrottle(429, undefined, 60_000)).toBeUndefined();
    expect(decideThrottle(429, 999, 60_000)).toBeUndefined();
    expect(decideThrottle(429, 0, 60_000)).toBeUndefined();
    expect(decideThrottle(429, 1_000, 60_000)).toEqual({ wait: true, delayMs: 1_000 });
  });
});

describe('ThrottleBudget', () => {
  it('is spent across every request of a run and never goes below zero', () => {
    const budget = new ThrottleBudget(10_000);
    budget.spend(4_000);
    expect(budget.remainingMs).toBe(6_000);
    budget.spend(7_000);
    expect(budget.remainingMs).toBe(0);
    expect(budget.totalMs).toBe(10_000);
  });

  it('exhausted: exit 5, naming the quota sharing and the flag', () => {
    const err = throttleExhausted(
      'alerts page request',
      429,
      'API calls quota exceeded! maximum allowed 45 per 00:01:00',
      'the server asked to wait 2h',
      new ThrottleBudget(3_600_000),
    );
    expect(err.exitCode).toBe(5);
    expect(err.code).toBe('THROTTLED');
    expect(err.message).toBe(
      'alerts page request throttled (HTTP 429: API calls quota exceeded! maximum allowed 45 per 00:01:00); the server asked to wait 2h (--max-throttle-wait 1h)',
    );
    expect(err.hint).toMatch(/shared by every client of the app.*--max-throttle-wait/);
  });
});

describe('serverMessage', () => {
  it('takes the message of the OData, Entra and plain error shapes, and nothing from other bodies', () => {
    expect(serverMessage('{"error":{"code":"TooManyRequests","message":"API calls quota exceeded!"}}')).toBe('API calls quota exceeded!');
    expect(serverMessage('{"error":"temporarily_unavailable","error_description":"AADSTS50196: loop\\r\\nTrace ID: x"}')).toBe(
      'AADSTS50196: loop',
    );
    expect(serverMessage('{"message":"slow down"}')).toBe('slow down');
    expect(serverMessage('<html>busy</html>')).toBeUndefined();
    expect(serverMessage('{"error":{"code":"X"}}')).toBeUndefined();
  });
});

describe('formatDuration', () => {
  it('writes the units the duration options take', () => {
    expect([0, 450, 1_000, 1_001, 59_000, 90_000, 3_600_000, 3_661_000, 93_600_000, 2 * 86_400_000].map(formatDuration)).toEqual([
      '0 ms',
      '450 ms',
      '1s',
      '2s',
      '59s',
      '1m30s',
      '1h',
      '1h1m',
      '1d2h',
      '2d',
    ]);
  });
});
