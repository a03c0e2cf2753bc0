/**
 * CachedCredential: a long paged export asks for a token before every request, so the cache must
 * hand back the same token while it is safely valid, ask again shortly before it expires, let
 * concurrent callers share one sign-in, and never keep a failure or a token the API refused.
 */
import { describe, expect, it } from 'vitest';

import { CachedCredential } from '../../src/auth/token-cache.js';
import type { AccessToken, TokenCredential } from '../../src/auth/token.js';

const MINUTE = 60_000;
const START = Date.parse('2026-03-01T12:00:00Z');

/** A clock the test moves by hand. */
class Clock {
  ms = START;
  readonly now = (): number => this.ms;
}

/**
 * An inner credential that counts its calls and answers each with the next scripted outcome:
 * a token living `lifetimeMs` from the clock's time, an error, or a promise the test settles.
 */
class ScriptedCredential implements TokenCredential {
  calls = 0;
  readonly signals: Array<AbortSignal | undefined> = [];
  readonly #outcomes: Array<() => Promise<AccessToken>> = [];

  constructor(private readonly clock: Clock) {}

  willIssue(lifetimeMs: number): this {
    this.#outcomes.push(() => Promise.resolve(this.#token(lifetimeMs)));
    return this;
  }

  willFail(error: Error): this {
    this.#outcomes.push(() => Promise.reject(error));
    return this;
  }

  /** The next call stays pending until the returned function is called. */
  willIssueLater(lifetimeMs: number): () => void {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    this.#outcomes.push(() => gate.then(() => this.#token(lifetimeMs)));
    return release;
  }

  getToken(signal?: AbortSignal): Promise<AccessToken> {
    this.calls++;
    this.signals.push(signal);
    const outcome = this.#outcomes.shift();
    if (outcome === undefined) throw new Error('unexpected getToken() call');
    return outcome();
  }

  #token(lifetimeMs: number): AccessToken {
    return { token: `token-${this.calls}`, tokenType: 'Bearer', expiresOnMs: this.clock.ms + lifetimeMs };
  }
}

function setup(): { clock: Clock; inner: ScriptedCredential; cache: CachedCredential } {
  const clock = new Clock();
  const inner = new ScriptedCredential(clock);
  return { clock, inner, cache: new CachedCredential(inner, clock.now) };
}

describe('CachedCredential', () => {
  it('reuses the token while more than 5 minutes of its life remain', async () => {
    const { clock, inner, cache } = setup();
    inner.willIssue(60 * MINUTE);
    const first = await cache.getToken();
    clock.ms = first.expiresOnMs - 5 * MINUTE - 1;
    expect(await cache.getToken()).toBe(first);
    expect(inner.calls).toBe(1);
  });

  it('asks for a new token once 5 minutes or less of its life remain', async () => {
    const { clock, inner, cache } = setup();
    inner.willIssue(60 * MINUTE).willIssue(60 * MINUTE);
    const first = await cache.getToken();
    // A request started now may take minutes; the old token could expire under it.
    clock.ms = first.expiresOnMs - 5 * MINUTE;
    const second = await cache.getToken();
    expect(second.token).toBe('token-2');
    expect(inner.calls).toBe(2);
  });

  it('keeps the refreshed token: the next call reuses it', async () => {
    const { clock, inner, cache } = setup();
    inner.willIssue(60 * MINUTE).willIssue(60 * MINUTE);
    const first = await cache.getToken();
    clock.ms = first.expiresOnMs;
    const second = await cache.getToken();
    expect(await cache.getToken()).toBe(second);
    expect(inner.calls).toBe(2);
  });

  it('lets concurrent callers share one sign-in while a refresh is in flight', async () => {
    const { inner, cache } = setup();
    const release = inner.willIssueLater(60 * MINUTE);
    const pending = [cache.getToken(), cache.getToken(), cache.getToken()];
    expect(inner.calls).toBe(1);
    release();
    const tokens = await Promise.all(pending);
    expect(tokens.map((t) => t.token)).toEqual(['token-1', 'token-1', 'token-1']);
    expect(inner.calls).toBe(1);
  });

  it('does not keep a failed refresh: the next call asks again', async () => {
    const { inner, cache } = setup();
    inner.willFail(new Error('sign-in refused')).willIssue(60 * MINUTE);
    await expect(cache.getToken()).rejects.toThrow('sign-in refused');
    expect((await cache.getToken()).token).toBe('token-2');
    expect(inner.calls).toBe(2);
  });

  it('fails every caller that shared a refresh that failed', async () => {
    const { inner, cache } = setup();
    inner.willFail(new Error('sign-in refused'));
    const pending = [cache.getToken(), cache.getToken()];
    await expect(
      Promise.all(
        pending.map((p) =>
          p.then(
            () => 'ok',
            (e: Error) => e.message,
          ),
        ),
      ),
    ).resolves.toEqual(['sign-in refused', 'sign-in refused']);
    expect(inner.calls).toBe(1);
  });

  it('stops waiting for a caller whose signal aborts, while the others keep the shared sign-in', async () => {
    const { inner, cache } = setup();
    const release = inner.willIssueLater(60 * MINUTE);
    const leaving = new AbortController();
    const left = cache.getToken(leaving.signal);
    const staying = cache.getToken(new AbortController().signal);
    const plain = cache.getToken();
    leaving.abort(new Error('this window stopped'));
    await expect(left).rejects.toThrow('this window stopped');
    expect(inner.signals[0]?.aborted).toBe(false);
    release();
    expect((await staying).token).toBe('token-1');
    expect((await plain).token).toBe('token-1');
    expect(inner.calls).toBe(1);
  });

  it('aborts the sign-in once every caller waiting for it has gone; the next call signs in afresh', async () => {
    const { inner, cache } = setup();
    inner.willIssueLater(60 * MINUTE);
    inner.willIssue(60 * MINUTE);
    const a = new AbortController();
    const b = new AbortController();
    const pending = [cache.getToken(a.signal), cache.getToken(b.signal)];
    a.abort(new Error('stop a'));
    expect(inner.signals[0]?.aborted).toBe(false);
    b.abort(new Error('stop b'));
    expect(inner.signals[0]?.aborted).toBe(true);
    await expect(pending[0]).rejects.toThrow('stop a');
    await expect(pending[1]).rejects.toThrow('stop b');
    expect((await cache.getToken()).token).toBe('token-2');
    expect(inner.calls).toBe(2);
  });

  it('refuses at once a caller whose signal has already aborted, without signing in', async () => {
    const { inner, cache } = setup();
    const gone = new AbortController();
    gone.abort(new Error('already stopped'));
    await expect(cache.getToken(gone.signal)).rejects.toThrow('already stopped');
    expect(inner.calls).toBe(0);
  });
});
