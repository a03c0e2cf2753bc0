/**
 * The one loop that applies {@link decideRetry}: sleep, re-open, log, give up.
 */
import type { Logger } from 'pino';
import { firstHeader, HttpStatusError, TransportError } from './errors.js';
import { AppError } from '../errors.js';
import { decideRetry, type Failure, type RetryPolicy } from './retry.js';
import { parseRetryAfter } from './retry-after.js';
import { decideThrottle, serverMessage, throttleExhausted } from './throttle.js';
import { formatDuration } from '../time.js';
import { sleep } from '../util/sleep.js';

export interface RetryLoopOptions {
  policy: RetryPolicy;
  log: Logger;
  /** What is being attempted, for log lines and the final error ("alerts request"). */
  what: string;
  /** Aborts the current sleep (and is checked before each attempt). */
  signal?: AbortSignal | undefined;
  /** Injected for tests; must reject with the signal's reason when it aborts. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  random?: () => number;
  now?: () => number;
  /** Told when the server throttled us until `untilMs` (epoch ms), so a pacer can hold every request until then. */
  onThrottle?: ((untilMs: number) => void) | undefined;
}

/**
 * Iterate `open(attempt)`, re-opening it when it throws a retryable HttpStatusError or
 * TransportError, or an error its thrower marked `retryable` (a broken or partial answer) —
 * before its first item or mid-stream. `attempt` is 1 for the first try and grows by one per
 * re-open; on a re-open the caller must skip what it already emitted.
 *
 * Non-retryable errors, unknown errors and aborts are thrown at once. When retries are used
 * up, the last error is thrown with " (after N attempts)" appended to its message.
 *
 * With a throttle budget in the policy, a throttled answer (429/503 with `Retry-After`) is waited
 * out without counting as a failure: `attempt` still grows (it numbers the readings of the
 * answer), the failure count that decides "retries used up" does not.
 */
export async function* withRetries<T>(open: (attempt: number) => AsyncIterable<T>, opts: RetryLoopOptions): AsyncGenerator<T> {
  let failures = 0;
  for (let attempt = 1; ; attempt++) {
    opts.signal?.throwIfAborted();
    try {
      yield* open(attempt);
      opts.policy.stats?.answered(200);
      return;
    } catch (err) {
      count(err, opts);
      failures = await pauseOrThrow(err, attempt, failures, opts);
    }
  }
}

/** {@link withRetries} for one promise (a token request): the same decisions, logs and final error. */
export async function retrying<T>(fn: (attempt: number) => Promise<T>, opts: RetryLoopOptions): Promise<T> {
  let failures = 0;
  for (let attempt = 1; ; attempt++) {
    opts.signal?.throwIfAborted();
    try {
      const result = await fn(attempt);
      opts.policy.stats?.answered(200);
      return result;
    } catch (err) {
      count(err, opts);
      failures = await pauseOrThrow(err, attempt, failures, opts);
    }
  }
}

/** Counts an attempt that failed: by its answer's status class, as `network`, or (a broken or refused body) as the 2xx it was. */
function count(err: unknown, opts: RetryLoopOptions): void {
  const stats = opts.policy.stats;
  if (stats === undefined || opts.signal?.aborted) return;
  if (err instanceof HttpStatusError) stats.answered(err.status);
  else if (err instanceof TransportError) stats.answered('network');
  else stats.answered(200);
}

/**
 * Sleep before the next attempt, or throw `err` (annotated) if there is none. Returns the number
 * of failures so far (unchanged by a throttle wait).
 */
async function pauseOrThrow(err: unknown, attempt: number, failures: number, opts: RetryLoopOptions): Promise<number> {
  const failure = opts.signal?.aborted ? undefined : toFailure(err);
  if (failure === undefined) throw err;

  const now = opts.now ?? Date.now;
  const budget = opts.policy.throttle;
  const throttle =
    budget !== undefined && failure.kind === 'status'
      ? decideThrottle(failure.status, parseRetryAfter(failure.retryAfter, now()), budget.remainingMs)
      : undefined;
  if (budget !== undefined && failure.kind === 'status' && throttle !== undefined) {
    const detail = err instanceof HttpStatusError ? serverMessage(err.bodyText) : undefined;
    if (!throttle.wait) throw throttleExhausted(opts.what, failure.status, detail, throttle.reason, budget);
    budget.spend(throttle.delayMs);
    opts.policy.stats?.throttled(throttle.delayMs);
    opts.log.info(
      { what: opts.what, status: failure.status, delayMs: throttle.delayMs, throttleBudgetLeftMs: budget.remainingMs },
      `${opts.what} throttled (HTTP ${failure.status}${detail ? `: ${detail}` : ''}); waiting ${formatDuration(throttle.delayMs)} as the server asked (${formatDuration(budget.remainingMs)} left of --max-throttle-wait)`,
    );
    opts.onThrottle?.(now() + throttle.delayMs);
    await (opts.sleep ?? sleep)(throttle.delayMs, opts.signal);
    return failures;
  }

  const decision = decideRetry(failure, failures + 1, opts.policy, now(), opts.random ?? Math.random);
  if (!decision.retry) {
    if (attempt > 1 && err instanceof Error) err.message += ` (after ${attempt} attempts)`;
    throw err;
  }

  opts.policy.stats?.retried();
  opts.log.warn(
    {
      what: opts.what,
      ...(failure.kind === 'status' ? { status: failure.status } : { code: failure.code }),
      attempt,
      nextAttempt: attempt + 1,
      delayMs: decision.delayMs,
      reason: decision.reason,
    },
    `${opts.what} failed (${err instanceof Error ? err.message : String(err)}); attempt ${attempt + 1} in ${formatDuration(decision.delayMs)}`,
  );
  await (opts.sleep ?? sleep)(decision.delayMs, opts.signal);
  return failures + 1;
}

function toFailure(err: unknown): Failure | undefined {
  if (err instanceof HttpStatusError) {
    return { kind: 'status', status: err.status, retryAfter: firstHeader(err.headers, 'retry-after') };
  }
  if (err instanceof TransportError) {
    return { kind: 'transport', code: err.transportCode };
  }
  // What its thrower marked retryable: a broken document (json/), a partial answer (api/graph.ts).
  // An alert that fails validation is the API's data, and asking again would not change it.
  if (err instanceof AppError && err.retryable) {
    return { kind: 'answer', code: err.code };
  }
  return undefined;
}
