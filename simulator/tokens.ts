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

export class TokenRegistry {
  readonly #tokens = new Map<string, Issued>();

  /** Issues a new token for `resource` in `tenant` (its canonical id), valid for `lifetimeSeconds` from `now`. */
  issue(resource: string, lifetimeSeconds: number, now: Date, tenant: string): string {
    const token = `sim.${randomBytes(32).toString('base64url')}`;
    this.#tokens.set(token, { resource, tenant, expiresAtMs: now.getTime() + lifetimeSeconds * 1000 });
    return token;
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
