/**
 * Patient throttling. A 429 (or 503) that says how long to wait (`Retry-After`) is the service
 * asking for patience, not a failure: Microsoft's quotas are per application and tenant, shared by
 * every client of the same app registration, so another consumer can use up this run's minute or
 * hour (see docs/microsoft-apis.md). Such waits (of a second or more) do not use up the failure
 * retries; one budget per run bounds their total (`--max-throttle-wait`). The decision is pure;
 * the loop in retry-loop.ts sleeps and logs.
 */
import { ServiceError } from '../errors.js';
import { formatDuration } from '../time.js';

/** How much throttle waiting is left in this run. One instance is shared by every request of a run. */
export class ThrottleBudget {
  readonly totalMs: number;
  #spentMs = 0;

  constructor(totalMs: number) {
    this.totalMs = totalMs;
  }

  get remainingMs(): number {
    return Math.max(0, this.totalMs - this.#spentMs);
  }

  spend(ms: number): void {
    this.#spentMs += ms;
  }

  /** The whole budget again: a `--follow` cycle is a run of its own. */
  refill(): void {
    this.#spentMs = 0;
  }
}

/** The shortest `Retry-After` taken as throttling rather than as a failure's retry delay. */
export const MIN_THROTTLE_WAIT_MS = 1000;

export type ThrottleDecision = { wait: true; delayMs: number } | { wait: false; reason: string };

/**
 * Whether an answer of `status` asking for `askedMs` (its parsed `Retry-After`) is throttling,
 * and if so whether to wait it out with `remainingMs` of the budget left.
 *
 * - undefined: not throttling — not a 429 or 503, no `Retry-After`, or one under a second (the
 *   server is not asking for patience; a `Retry-After: 0` loop would otherwise spin for the whole
 *   budget). The caller treats it as an ordinary failure.
 * - a wait longer than what is left is not started at all: a `Retry-After` of days (or beyond the
 *   budget) fails the run at once rather than after a pointless partial wait.
 */
export function decideThrottle(status: number, askedMs: number | undefined, remainingMs: number): ThrottleDecision | undefined {
  if ((status !== 429 && status !== 503) || askedMs === undefined || askedMs < MIN_THROTTLE_WAIT_MS) return undefined;
  if (askedMs <= remainingMs) return { wait: true, delayMs: askedMs };
  return {
    wait: false,
    reason: `the server asked to wait ${formatDuration(askedMs)}, more than the ${formatDuration(remainingMs)} left of the throttle budget`,
  };
}

/** `error.message` of a JSON error body (the OData APIs and Entra both use `error`), if any. */
export function serverMessage(bodyText: string): string | undefined {
  try {
    const body = JSON.parse(bodyText) as { error?: unknown; error_description?: unknown; message?: unknown };
    if (typeof body.error === 'object' && body.error !== null) {
      const message = (body.error as { message?: unknown }).message;
      if (typeof message === 'string' && message !== '') return message.slice(0, 200);
    }
    if (typeof body.error_description === 'string') return body.error_description.split(/\r?\n/)[0]?.slice(0, 200);
    if (typeof body.message === 'string') return body.message.slice(0, 200);
  } catch {
    // Not JSON: the status says enough.
  }
  return undefined;
}

/** The run gave up on a throttled API: exit 5, naming the quota and the flag that bounds the wait. */
export function throttleExhausted(
  what: string,
  status: number,
  detail: string | undefined,
  reason: string,
  budget: ThrottleBudget,
): ServiceError {
  return new ServiceError(
    'THROTTLED',
    `${what} throttled (HTTP ${status}${detail ? `: ${detail}` : ''}); ${reason} (--max-throttle-wait ${formatDuration(budget.totalMs)})`,
    {
      hint: "the API's rate limits are per app registration and tenant, shared by every client of the app; run again later, or raise --max-throttle-wait",
    },
  );
}
