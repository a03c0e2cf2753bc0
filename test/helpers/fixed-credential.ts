import type { CachedCredential } from '../../src/auth/token-cache.js';

/** A credential that always has `token`, valid for the next hour: for sources tested without sign-in. */
export function fixedCredential(token = 'test-token'): CachedCredential {
  return {
    getToken: () => Promise.resolve({ token, tokenType: 'Bearer', expiresOnMs: Date.now() + 3_600_000 }),
  } as unknown as CachedCredential;
}
