/**
 * PKCE (RFC 7636) and the `state` parameter of an authorization request: random values and the
 * S256 challenge. Pure apart from the randomness, which can be injected for tests.
 */
import { createHash, randomBytes } from 'node:crypto';

export interface PkcePair {
  /** Kept by the client and sent with the code exchange; never in a URL. */
  readonly verifier: string;
  /** BASE64URL(SHA256(verifier)), sent in the authorize URL. */
  readonly challenge: string;
  readonly method: 'S256';
}

/** The S256 challenge of a verifier (RFC 7636 §4.2). */
export function s256Challenge(verifier: string): string {
  return createHash('sha256').update(verifier, 'ascii').digest('base64url');
}

/**
 * A fresh verifier and its challenge. 32 random bytes give a 43-character verifier, the
 * minimum length RFC 7636 §4.1 allows and the entropy it recommends.
 */
export function createPkcePair(random: (bytes: number) => Buffer = randomBytes): PkcePair {
  const verifier = random(32).toString('base64url');
  return { verifier, challenge: s256Challenge(verifier), method: 'S256' };
}

/** An unguessable `state` value binding the redirect to this sign-in (RFC 6749 §10.12). */
export function createState(random: (bytes: number) => Buffer = randomBytes): string {
  return random(16).toString('base64url');
}
