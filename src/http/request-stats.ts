/**
 * What the requests of a run (or of every `--follow` cycle) came to: answers by status class,
 * retries, throttle waits. Counted by the retry loop, read by the state file's totals and the
 * metrics file. Plain counters, no I/O.
 */

/** A snapshot of the counters; `requests` by status class (`2xx`, `4xx`, `5xx`) or `network`. */
export interface RequestTally {
  requests: Record<string, number>;
  retries: number;
  throttleWaits: number;
  throttleWaitMs: number;
}

export class RequestStats {
  readonly #requests = new Map<string, number>();
  #retries = 0;
  #throttleWaits = 0;
  #throttleWaitMs = 0;
  readonly #throttleListeners = new Set<(waitMs: number) => void>();

  /** One answer of `status`, or `network` for a request that got none (DNS, reset, timeout). */
  answered(status: number | 'network'): void {
    const kind = status === 'network' ? status : `${Math.floor(status / 100)}xx`;
    this.#requests.set(kind, (this.#requests.get(kind) ?? 0) + 1);
  }

  retried(): void {
    this.#retries++;
  }

  throttled(waitMs: number): void {
    this.#throttleWaits++;
    this.#throttleWaitMs += waitMs;
    for (const listener of this.#throttleListeners) listener(waitMs);
  }

  /**
   * Tells `listener` of each throttle wait as it starts (the progress line shows it), until the
   * returned function is called. The counters are made with the run's context, before anything
   * that shows them exists, hence a subscription rather than a constructor argument.
   */
  onThrottle(listener: (waitMs: number) => void): () => void {
    this.#throttleListeners.add(listener);
    return () => this.#throttleListeners.delete(listener);
  }

  snapshot(): RequestTally {
    return {
      requests: Object.fromEntries(this.#requests),
      retries: this.#retries,
      throttleWaits: this.#throttleWaits,
      throttleWaitMs: this.#throttleWaitMs,
    };
  }
}

/** What happened between two snapshots of the same counters. */
export function tallySince(before: RequestTally, after: RequestTally): RequestTally {
  const requests: Record<string, number> = {};
  for (const [kind, n] of Object.entries(after.requests)) {
    const added = n - (before.requests[kind] ?? 0);
    if (added > 0) requests[kind] = added;
  }
  return {
    requests,
    retries: after.retries - before.retries,
    throttleWaits: after.throttleWaits - before.throttleWaits,
    throttleWaitMs: after.throttleWaitMs - before.throttleWaitMs,
  };
}

export const NO_REQUESTS: RequestTally = { requests: {}, retries: 0, throttleWaits: 0, throttleWaitMs: 0 };
