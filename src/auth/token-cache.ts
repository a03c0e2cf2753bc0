/**
 * Reuses a token until shortly before it expires, with at most one refresh in flight (the Azure
 * SDK's tokenCycler idea): a long paged export never stalls on an expired token, and concurrent
 * callers share one sign-in.
 */
import type { AccessToken, TokenCredential } from './token.js';

// Refresh this long before expiry, so a request started just before it still carries a valid token.
export const REFRESH_MARGIN_MS = 5 * 60_000; // 5 min

export class CachedCredential implements TokenCredential {
  readonly #inner: TokenCredential;
  readonly #now: () => number;
  #current: AccessToken | undefined;
  #inFlight: Promise<AccessToken> | undefined;

  constructor(inner: TokenCredential, now: () => number = Date.now) {
    this.#inner = inner;
    this.#now = now;
  }

  getToken(signal?: AbortSignal): Promise<AccessToken> {
    const current = this.#current;
    if (current && current.expiresOnMs - REFRESH_MARGIN_MS > this.#now()) return Promise.resolve(current);
    this.#inFlight ??= this.#inner.getToken(signal).then(
      (token) => {
        this.#current = token;
        this.#inFlight = undefined;
        return token;
      },
      (err: unknown) => {
        this.#inFlight = undefined;
        throw err;
      },
    );
    return this.#inFlight;
  }
}
