/**
 * A sliding-window call limit, as the Defender for Endpoint API enforces "100 calls per minute"
 * (API-NOTES §2): a call is admitted while fewer than `limit` calls were admitted in the
 * `windowMs` before it; otherwise the caller learns when the oldest of them leaves the window,
 * which is what `Retry-After` tells the client. Pure: the clock is passed in.
 */
export type RateDecision = { ok: true } | { ok: false; retryAfterSeconds: number };

export class SlidingWindowLimit {
  readonly #limit: number;
  readonly #windowMs: number;
  // Admission times, oldest first.
  readonly #admitted: number[] = [];

  constructor(limit: number, windowMs = 60_000) {
    this.#limit = limit;
    this.#windowMs = windowMs;
  }

  /** Admits a call at `nowMs`, or says how many whole seconds until a slot frees (at least 1). */
  take(nowMs: number): RateDecision {
    while (this.#admitted.length > 0 && (this.#admitted[0] as number) <= nowMs - this.#windowMs) this.#admitted.shift();
    if (this.#admitted.length < this.#limit) {
      this.#admitted.push(nowMs);
      return { ok: true };
    }
    const freesAtMs = (this.#admitted[0] as number) + this.#windowMs;
    return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((freesAtMs - nowMs) / 1000)) };
  }
}
