/**
 * Access tokens the simulator issued: opaque random strings (never JWTs, so no client can come
 * to depend on reading them), each remembered with its resource and expiry.
 */
import { randomBytes } from 'node:crypto';

export type TokenCheck = { ok: true; resource: string } | { ok: false; reason: 'missing' | 'unknown' | 'expired' };

export class TokenRegistry {
  readonly #tokens = new Map<string, { resource: string; expiresAtMs: number }>();

  /** Issues a new token for `resource`, valid for `lifetimeSeconds` from `now`. */
  issue(resource: string, lifetimeSeconds: number, now: Date): string {
    const token = `sim.${randomBytes(32).toString('base64url')}`;
    this.#tokens.set(token, { resource, expiresAtMs: now.getTime() + lifetimeSeconds * 1000 });
    return token;
  }

  /** Checks an `Authorization` header value (`Bearer <token>`, scheme case-insensitive). */
  check(authorization: string | undefined, now: Date): TokenCheck {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
    if (!match?.[1]) return { ok: false, reason: 'missing' };
    const entry = this.#tokens.get(match[1]);
    if (!entry) return { ok: false, reason: 'unknown' };
    if (now.getTime() >= entry.expiresAtMs) return { ok: false, reason: 'expired' };
    return { ok: true, resource: entry.resource };
  }
}
