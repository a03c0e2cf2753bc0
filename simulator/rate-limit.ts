/**
 * A sliding-window call limit, as the Defender for Endpoint API enforces "100 calls per minute" and
 * Graph's security API "150 requests per minute" (docs/microsoft-apis.md): a call is admitted while
 * fewer than `limit` calls were admitted in the `windowMs` before it; otherwise the caller learns
 * when the oldest of them leaves the window, which is what `Retry-After` tells the client. Pure:
 * the clock is passed in.
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

  get limit(): number {
    return this.#limit;
  }

  get windowMs(): number {
    return this.#windowMs;
  }

  /** Admits a call at `nowMs`, or says how many whole seconds until a slot frees (at least 1). */
  take(nowMs: number): RateDecision {
    const decision = this.check(nowMs);
    if (decision.ok) this.#admitted.push(nowMs);
    return decision;
  }

  /** What {@link take} would answer, without admitting anything. */
  check(nowMs: number): RateDecision {
    while (this.#admitted.length > 0 && (this.#admitted[0] as number) <= nowMs - this.#windowMs) this.#admitted.shift();
    if (this.#admitted.length < this.#limit) return { ok: true };
    const freesAtMs = (this.#admitted[this.#admitted.length - this.#limit] as number) + this.#windowMs;
    return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((freesAtMs - nowMs) / 1000)) };
  }
}

/**
 * The quotas of one app in one tenant: every limit must admit a call, and a call counts against
 * all of them. `used` calls made by other clients of the same app can be charged up front.
 */
export class Quota {
  readonly #limits: SlidingWindowLimit[];

  constructor(limits: SlidingWindowLimit[]) {
    this.#limits = limits;
  }

  /** Charges `count` calls at `nowMs` (another client's), as far as the limits allow. */
  charge(count: number, nowMs: number): void {
    for (let i = 0; i < count; i++) for (const limit of this.#limits) limit.take(nowMs);
  }

  /** Admits a call, or names the limit it broke and when a slot frees (the longest wait of all). */
  take(nowMs: number): { ok: true } | { ok: false; retryAfterSeconds: number; limit: SlidingWindowLimit } {
    let refused: { retryAfterSeconds: number; limit: SlidingWindowLimit } | undefined;
    for (const limit of this.#limits) {
      const decision = limit.check(nowMs);
      if (!decision.ok && (refused === undefined || decision.retryAfterSeconds > refused.retryAfterSeconds)) {
        refused = { retryAfterSeconds: decision.retryAfterSeconds, limit };
      }
    }
    if (refused) return { ok: false, ...refused };
    for (const limit of this.#limits) limit.take(nowMs);
    return { ok: true };
  }
}

/** `00:01:00`: a window as the real API's 429 message writes it. */
export function formatWindow(ms: number): string {
  const s = Math.round(ms / 1000);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${two(Math.floor(s / 3600))}:${two(Math.floor((s % 3600) / 60))}:${two(s % 60)}`;
}
