import { describe, expect, it } from 'vitest';
import { decideRetry, type Failure } from '../../src/http/retry.js';
import { THREE_RETRIES } from '../helpers/retry.js';

const NOW = Date.UTC(2024, 0, 1);
const top = (): number => 0.999_999; // just under the backoff ceiling
const half = (): number => 0.5;

const status = (code: number, retryAfter?: string): Failure => ({ kind: 'status', status: code, retryAfter });
const transport = (code: string): Failure => ({ kind: 'transport', code });

describe('decideRetry', () => {
  it.each([408, 429, 500, 502, 503, 504, 599])('retries HTTP %i', (code) => {
    expect(decideRetry(status(code), 1, THREE_RETRIES, NOW, half).retry).toBe(true);
  });

  it.each([400, 401, 403, 404, 409, 422, 301, 302])('does not retry HTTP %i', (code) => {
    const decision = decideRetry(status(code), 1, THREE_RETRIES, NOW, half);
    expect(decision).toEqual({ retry: false, reason: `HTTP ${code} is not retryable` });
  });

  it.each([
    'ECONNRESET',
    'ECONNREFUSED',
    'EPIPE',
    'ETIMEDOUT',
    'EAI_AGAIN',
    'UND_ERR_SOCKET',
    'UND_ERR_HEADERS_TIMEOUT',
    'UND_ERR_BODY_TIMEOUT',
    'UND_ERR_CONNECT_TIMEOUT',
    'UND_ERR_RES_CONTENT_LENGTH_MISMATCH',
    'PROXY_502',
  ])('retries the transport failure %s', (code) => {
    expect(decideRetry(transport(code), 1, THREE_RETRIES, NOW, half).retry).toBe(true);
  });

  it.each([
    'ENOTFOUND',
    'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
    'DEPTH_ZERO_SELF_SIGNED_CERT',
    'SELF_SIGNED_CERT_IN_CHAIN',
    'CERT_HAS_EXPIRED',
    'ERR_TLS_CERT_ALTNAME_INVALID',
    'PROXY_407',
    'PROXY_403',
    'HPE_INVALID_CONSTANT',
    'SOMETHING_NEW',
  ])('does not retry the transport failure %s', (code) => {
    expect(decideRetry(transport(code), 1, THREE_RETRIES, NOW, half).retry).toBe(false);
  });

  it('retries a broken 2xx answer (HTML page, truncated JSON) like a 5xx, within the same budget', () => {
    const broken: Failure = { kind: 'answer', code: 'NOT_AN_ARRAY' };
    expect(decideRetry(broken, 1, THREE_RETRIES, NOW, half)).toMatchObject({
      retry: true,
      reason: 'broken answer (NOT_AN_ARRAY), backing off',
    });
    expect(decideRetry(broken, 4, THREE_RETRIES, NOW, half).retry).toBe(false);
  });

  it('stops once attempt exceeds maxRetries', () => {
    expect(decideRetry(status(503), 3, THREE_RETRIES, NOW, half).retry).toBe(true);
    const decision = decideRetry(status(503), 4, THREE_RETRIES, NOW, half);
    expect(decision.retry).toBe(false);
    expect(decision.reason).toContain('retries are used up');
  });

  it('never retries with maxRetries 0', () => {
    expect(decideRetry(status(503), 1, { ...THREE_RETRIES, maxRetries: 0 }, NOW, half).retry).toBe(false);
  });

  it.each([
    [1, 500],
    [2, 1_000],
    [3, 2_000],
    [7, 30_000], // 500·2^6 = 32 000, capped
  ])('backs off exponentially: retry %i waits below %i ms', (attempt, ceilingMs) => {
    const policy = { ...THREE_RETRIES, maxRetries: 10 };
    const high = decideRetry(status(500), attempt, policy, NOW, top);
    expect(high).toMatchObject({ retry: true });
    if (!high.retry) return;
    expect(high.delayMs).toBeLessThan(ceilingMs);
    expect(high.delayMs).toBeGreaterThanOrEqual(ceilingMs - 1);
  });

  it('uses full jitter: the random draw scales the whole delay', () => {
    expect(decideRetry(transport('ECONNRESET'), 3, THREE_RETRIES, NOW, () => 0)).toMatchObject({ retry: true, delayMs: 0 });
    expect(decideRetry(transport('ECONNRESET'), 3, THREE_RETRIES, NOW, half)).toMatchObject({ retry: true, delayMs: 1_000 });
  });

  it('lets Retry-After win over backoff', () => {
    expect(decideRetry(status(429, '7'), 1, THREE_RETRIES, NOW, top)).toMatchObject({ retry: true, delayMs: 7_000 });
    expect(decideRetry(status(503, new Date(NOW + 45_000).toUTCString()), 1, THREE_RETRIES, NOW, top)).toMatchObject({
      retry: true,
      delayMs: 45_000,
    });
  });

  it('caps Retry-After at maxRetryAfterMs', () => {
    const decision = decideRetry(status(429, '3600'), 1, THREE_RETRIES, NOW, half);
    expect(decision).toMatchObject({ retry: true, delayMs: 120_000 });
    expect(decision.reason).toContain('capped');
  });

  it('falls back to backoff when Retry-After is garbage', () => {
    expect(decideRetry(status(429, 'later'), 1, THREE_RETRIES, NOW, half)).toMatchObject({ retry: true, delayMs: 250 });
  });

  it('does not let Retry-After revive a non-retryable status', () => {
    expect(decideRetry(status(400, '1'), 1, THREE_RETRIES, NOW, half).retry).toBe(false);
  });
});
