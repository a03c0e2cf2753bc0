/**
 * Access tokens the simulator issued: opaque random strings (never JWTs, so no client can come
 * to depend on reading them), each remembered with its resource, the tenant it was issued in
 * (whose alerts it reads) and its expiry.
 */
import { randomBytes } from 'node:crypto';

export type TokenCheck = { ok: true; resource: string; tenant: string } | { ok: false; reason: 'missing' | 'unknown' | 'expired' };

interface Issued {
  resource: string;
  /** Canonical tenant id. */
  tenant: string;
  expiresAtMs: number;
}

/** How long an expired token is still answered "expired" rather than "unknown", at least. */
const MIN_REMEMBERED_MS = 60_000; // 1 min

export class TokenRegistry {
  /** In the order issued, which is the order they expire in (one lifetime a simulator). */
  readonly #tokens = new Map<string, Issued>();

  /**
   * Issues a new token for `resource` in `tenant` (its canonical id), valid for `lifetimeSeconds`
   * from `now`. Tokens expired for longer than a lifetime (or a minute) are forgotten, so a
   * simulator serving a long soak of short-lived tokens stays the size of its first minutes.
   */
  issue(resource: string, lifetimeSeconds: number, now: Date, tenant: string): string {
    const nowMs = now.getTime();
    const rememberedMs = Math.max(lifetimeSeconds * 1000, MIN_REMEMBERED_MS);
    for (const [old, entry] of this.#tokens) {
      if (entry.expiresAtMs + rememberedMs >= nowMs) break;
      this.#tokens.delete(old);
    }
    const token = `sim.${randomBytes(32).toString('base64url')}`;
    this.#tokens.set(token, { resource, tenant, expiresAtMs: nowMs + lifetimeSeconds * 1000 });
    return token;
  }

  /** How many tokens it remembers. */
  get size(): number {
    return this.#tokens.size;
  }

  /** Checks an `Authorization` header value (`Bearer <token>`, scheme case-insensitive). */
  check(authorization: string | undefined, now: Date): TokenCheck {
    const entry = this.#lookUp(authorization);
    if (entry === 'missing') return { ok: false, reason: 'missing' };
    if (!entry) return { ok: false, reason: 'unknown' };
    if (now.getTime() >= entry.expiresAtMs) return { ok: false, reason: 'expired' };
    return { ok: true, resource: entry.resource, tenant: entry.tenant };
  }

  /** The tenant a header's token was issued in, expired or not (for the stats); undefined if none. */
  tenantOf(authorization: string | undefined): string | undefined {
    const entry = this.#lookUp(authorization);
    return entry === 'missing' ? undefined : entry?.tenant;
  }

  #lookUp(authorization: string | undefined): Issued | 'missing' | undefined {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
    if (!match?.[1]) return 'missing';
    return this.#tokens.get(match[1]);
  }
}
