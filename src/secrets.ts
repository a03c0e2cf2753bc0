/**
 * The secret values of this process — the client secret, certificate key, tokens, client
 * assertions — that no output may ever contain. Kept apart from log.ts so the entry point can
 * scrub its last line without loading pino (--help and --version load nothing heavy).
 *
 * A service signs in again every hour for every tenant, so the set holds only what is live: the
 * client secret and key for the process's life, an access token until it expires (at most two a
 * credential), a refresh token until the next replaces it, a client assertion until its request is
 * done. Scrubbing a line then costs the same on day 30 as on day 1:
 * one matcher, changed one secret at a time, finds every secret in one pass whatever their number.
 */
import { SecretMatcher } from './http/redact.js';

/** Shorter values would censor ordinary words; no real secret or token is that short. */
const MIN_SECRET_LENGTH = 8;

interface Held {
  /** How many holds keep the value (the same token may be held by two owners). */
  holds: number;
  /** When the value stops being worth hiding (a token's expiry); undefined: while held. */
  expiresAtMs: number | undefined;
}

/** A hold on a live secret: releasing it (once; later calls do nothing) lets the value go. */
export interface SecretHold {
  release(): void;
}

const NO_HOLD: SecretHold = { release() {} };

/** The live secrets and the matcher over them. One per process ({@link SECRETS}); tests make their own. */
export class SecretRegistry {
  readonly #now: () => number;
  readonly #held = new Map<string, Held>();
  readonly #matcher = new SecretMatcher([], MIN_SECRET_LENGTH);
  /** The earliest expiry among the held values: nothing to prune before it. */
  #nextExpiryMs = Infinity;

  constructor(now: () => number = () => Date.now()) {
    this.#now = now;
  }

  /** How many values it holds (an expired one may wait for the next hold or redaction to go). */
  get size(): number {
    return this.#held.size;
  }

  /** Holds `value` until released or, given `expiresAtMs`, until then, whichever is first. */
  hold(value: string, expiresAtMs?: number): SecretHold {
    if (value.length < MIN_SECRET_LENGTH) return NO_HOLD;
    // Here too, not only when a line is redacted: a service logging at `warn` may write no line
    // for days while it renews every tenant's token each hour.
    this.#prune();
    let held = this.#held.get(value);
    if (held === undefined) {
      held = { holds: 1, expiresAtMs };
      this.#held.set(value, held);
      this.#matcher.add(value);
    } else {
      held.holds++;
      // A second owner without an expiry keeps it for as long as it holds it.
      held.expiresAtMs = expiresAtMs === undefined || held.expiresAtMs === undefined ? undefined : Math.max(held.expiresAtMs, expiresAtMs);
    }
    if (expiresAtMs !== undefined) this.#nextExpiryMs = Math.min(this.#nextExpiryMs, expiresAtMs);
    const entry = held;
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        // An entry that expired (and perhaps came back as a new one) is no longer this hold's.
        if (this.#held.get(value) !== entry || --entry.holds > 0) return;
        this.#held.delete(value);
        this.#matcher.delete(value);
      },
    };
  }

  /** `text` with every live secret replaced by `[redacted]`. */
  redact(text: string): string {
    this.#prune();
    return this.#matcher.scrub(text);
  }

  #prune(): void {
    const now = this.#now();
    if (now < this.#nextExpiryMs) return;
    let next = Infinity;
    for (const [value, held] of this.#held) {
      if (held.expiresAtMs === undefined) continue;
      if (held.expiresAtMs <= now) {
        this.#held.delete(value);
        this.#matcher.delete(value);
      } else next = Math.min(next, held.expiresAtMs);
    }
    this.#nextExpiryMs = next;
  }
}

/**
 * The value a holder keeps now (a credential's current token): holding the next one lets the
 * previous go, so renewals never add to the live set. A replaced value that has an expiry stays
 * hidden until then, since it still opens the API (a token is renewed a few minutes before it
 * expires): at most two a slot. One without (a refresh token) goes at once.
 */
export class SecretSlot {
  readonly #registry: SecretRegistry;
  #value: string | undefined;
  #expires = false;
  #hold: SecretHold = NO_HOLD;

  constructor(registry: SecretRegistry = SECRETS) {
    this.#registry = registry;
  }

  /** Holds `value` in place of the slot's previous one; the same value again changes nothing. */
  set(value: string, expiresAtMs?: number): void {
    if (value === this.#value) return;
    const previous = this.#hold;
    const previousExpires = this.#expires;
    this.#hold = this.#registry.hold(value, expiresAtMs);
    this.#value = value;
    this.#expires = expiresAtMs !== undefined;
    if (!previousExpires) previous.release();
  }
}

/** The process's live secrets: every log line and the final error line pass through it. */
export const SECRETS = new SecretRegistry();

/** Marks a value no output may ever contain, for the process's life (the client secret, a key). */
export function registerSecret(value: string): void {
  SECRETS.hold(value);
}

/** Marks a value no output may contain until the hold is released or `expiresAtMs` is past. */
export function holdSecret(value: string, expiresAtMs?: number): SecretHold {
  return SECRETS.hold(value, expiresAtMs);
}

/** `text` with every live secret replaced by `[redacted]`. */
export function redactSecrets(text: string): string {
  return SECRETS.redact(text);
}
