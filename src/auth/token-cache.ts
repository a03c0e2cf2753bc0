/**
 * Reuses a token until shortly before it expires, with at most one refresh in flight (the Azure
 * SDK's tokenCycler idea): a long paged export never stalls on an expired token, and concurrent
 * callers share one sign-in.
 */
import type { AccessToken, TokenCredential } from './token.js';

// Refresh this long before expiry, so a request started just before it still carries a valid token.
export const REFRESH_MARGIN_MS = 5 * 60_000; // 5 min

/** A sign-in in flight, and how many callers still wait for it. */
interface Refresh {
  promise: Promise<AccessToken>;
  controller: AbortController;
  waiting: number;
}

export class CachedCredential implements TokenCredential {
  readonly #inner: TokenCredential;
  readonly #now: () => number;
  #current: AccessToken | undefined;
  #refresh: Refresh | undefined;

  constructor(inner: TokenCredential, now: () => number = Date.now) {
    this.#inner = inner;
    this.#now = now;
  }

  /**
   * The cached token, or the one a shared sign-in brings. `signal` ends this caller's wait only:
   * the sign-in itself is aborted once every caller waiting for it has gone (one `--parallel`
   * window stopping must not fail the others that share its sign-in).
   */
  getToken(signal?: AbortSignal): Promise<AccessToken> {
    const current = this.#current;
    if (current && current.expiresOnMs - REFRESH_MARGIN_MS > this.#now()) return Promise.resolve(current);
    if (signal?.aborted) return Promise.reject(signal.reason as Error);
    let refresh = this.#refresh;
    if (refresh === undefined) {
      const controller = new AbortController();
      const promise = this.#inner.getToken(controller.signal).then((token) => {
        this.#current = token;
        return token;
      });
      const started: Refresh = { promise, controller, waiting: 0 };
      const forget = () => {
        if (this.#refresh === started) this.#refresh = undefined;
      };
      // Registered first, so the next caller, even one a waiter's reaction makes, signs in afresh.
      promise.then(forget, forget);
      this.#refresh = refresh = started;
    }
    return this.#wait(refresh, signal);
  }

  #wait(refresh: Refresh, signal: AbortSignal | undefined): Promise<AccessToken> {
    refresh.waiting++;
    if (signal === undefined) return refresh.promise;
    return new Promise<AccessToken>((resolve, reject) => {
      const onAbort = () => {
        reject(signal.reason as Error);
        if (--refresh.waiting === 0) {
          // Nobody waits any more: stop the sign-in, and let the next caller start afresh.
          if (this.#refresh === refresh) this.#refresh = undefined;
          refresh.controller.abort(signal.reason);
        }
      };
      signal.addEventListener('abort', onAbort, { once: true });
      refresh.promise.then(
        (token) => {
          signal.removeEventListener('abort', onAbort);
          resolve(token);
        },
        (err: unknown) => {
          signal.removeEventListener('abort', onAbort);
          reject(err);
        },
      );
    });
  }
}
