/**
 * The retry policy as data, and the pure decision "retry this failure, and after how long?".
 * The loop that sleeps and re-sends lives in retry-loop.ts.
 */
import { parseRetryAfter } from './retry-after.js';
import type { RequestStats } from './request-stats.js';
import type { ThrottleBudget } from './throttle.js';

/** How often and how patiently to retry. */
export interface RetryPolicy {
  /** Retries after the first attempt; 0 disables retrying. */
  maxRetries: number;
  /** First backoff ceiling; doubles on every retry. Default 500 ms. */
  baseDelayMs: number;
  /** Ceiling of the exponential backoff. Default 30 s. */
  maxDelayMs: number;
  /** Cap on a server's `Retry-After` for a failure, so a confused server cannot park the CLI for hours. Default 120 s. */
  maxRetryAfterMs: number;
  /**
   * When set, a 429 or 503 with `Retry-After` is waited out as asked, from this budget (shared by
   * every request of the run), without using up `maxRetries` (throttle.ts). When absent, such an
   * answer is one more failure.
   */
  throttle?: ThrottleBudget | undefined;
  /** Counts answers, retries and throttle waits, when the run reports them (state totals, metrics). */
  stats?: RequestStats | undefined;
}

/** The defaults named in the policy's doc comments. */
export const DEFAULT_RETRY_POLICY: Readonly<RetryPolicy> = {
  maxRetries: 4,
  baseDelayMs: 500,
  maxDelayMs: 30_000,
  maxRetryAfterMs: 120_000,
};

/** What went wrong with one attempt, reduced to what the decision needs. */
export type Failure =
  | { kind: 'status'; status: number; retryAfter?: string | undefined }
  | { kind: 'transport'; code: string /* e.g. ECONNRESET, UND_ERR_SOCKET, UND_ERR_HEADERS_TIMEOUT */ }
  /**
   * A 2xx answer whose body broke the contract (an HTML error page with status 200, JSON cut off
   * at a clean close): a gateway hiccup as often as not, so it gets the same retries as a 5xx.
   */
  | { kind: 'answer'; code: string /* e.g. NOT_AN_ARRAY, TRUNCATED */ };

/** Whether to retry, why, and (if so) after how long. */
export type RetryDecision = { retry: false; reason: string } | { retry: true; delayMs: number; reason: string };

/**
 * 408 Request Timeout, 429 Too Many Requests and every 5xx are worth another try (RFC 9110
 * §15.5.9, RFC 6585 §4); other 4xx mean the request itself is wrong and will stay wrong.
 */
function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || (status >= 500 && status <= 599);
}

/**
 * Connection-level failures that a second attempt can cure. Deliberately absent: ENOTFOUND
 * (a wrong host name stays wrong), TLS certificate errors (trust does not change between
 * attempts), proxy 407/403, parser errors, and anything unknown (a bug is not retried).
 */
const RETRYABLE_TRANSPORT_CODES: ReadonlySet<string> = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'ENETDOWN',
  'EAI_AGAIN', // DNS: temporary failure in name resolution
  'UND_ERR_SOCKET', // the other side closed the socket
  'UND_ERR_RES_CONTENT_LENGTH_MISMATCH', // body cut off before Content-Length bytes
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'BODY_TOO_SLOW', // a trickling answer (http/errors.ts): a stall in disguise
  'UND_ERR_CONNECT_TIMEOUT',
  // A proxy that could not reach or wait for the origin (see errors.ts for the PROXY_ codes).
  'PROXY_502',
  'PROXY_503',
  'PROXY_504',
]);

function describe(failure: Failure): string {
  return failure.kind === 'status'
    ? `HTTP ${failure.status}`
    : failure.kind === 'answer'
      ? `broken answer (${failure.code})`
      : failure.code;
}

/**
 * Decide whether to retry after a failed attempt.
 *
 * `Retry-After` wins over backoff (capped at `maxRetryAfterMs`); otherwise the delay is
 * "full jitter" capped exponential backoff: uniform in [0, min(maxDelayMs, baseDelayMs·2^(attempt-1))),
 * which spreads clients apart best (AWS Architecture Blog, "Exponential Backoff and Jitter", 2015).
 *
 * @param attempt the retry this would be: 1 for the first retry (after the first attempt failed).
 * @param random a source of numbers in [0, 1), injected so tests are deterministic.
 */
export function decideRetry(failure: Failure, attempt: number, policy: RetryPolicy, nowMs: number, random: () => number): RetryDecision {
  const what = describe(failure);
  const retryable =
    failure.kind === 'status'
      ? isRetryableStatus(failure.status)
      : failure.kind === 'answer' || RETRYABLE_TRANSPORT_CODES.has(failure.code);
  if (!retryable) {
    return { retry: false, reason: `${what} is not retryable` };
  }
  if (attempt > policy.maxRetries) {
    return { retry: false, reason: `${what} and all ${policy.maxRetries} retries are used up` };
  }

  if (failure.kind === 'status') {
    const retryAfterMs = parseRetryAfter(failure.retryAfter, nowMs);
    if (retryAfterMs !== undefined) {
      const delayMs = Math.min(retryAfterMs, policy.maxRetryAfterMs);
      const capped = delayMs < retryAfterMs ? ` (capped from ${retryAfterMs} ms)` : '';
      return { retry: true, delayMs, reason: `${what}, server asked to retry after ${delayMs} ms${capped}` };
    }
  }

  const ceilingMs = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  const delayMs = Math.floor(random() * ceilingMs);
  return { retry: true, delayMs, reason: `${what}, backing off` };
}
