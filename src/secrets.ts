/**
 * The secret values of this process — the client secret, certificate key, tokens — that no output
 * may ever contain. Kept apart from log.ts so the entry point can scrub its last line without
 * loading pino (--help and --version load nothing heavy).
 */
import { scrubSecrets } from './http/redact.js';

/** The secret values of this process (client secret, access tokens); see {@link registerSecret}. */
const SECRETS = new Set<string>();

/**
 * Marks a value that no log line (and no final error line, see main.ts) may ever contain. Called
 * by the credential for the client secret and for every token it receives.
 */
export function registerSecret(value: string): void {
  // Shorter values would censor ordinary words; no real secret or token is that short.
  if (value.length >= 8) SECRETS.add(value);
}

/** `text` with every registered secret replaced by `[redacted]`. */
export function redactSecrets(text: string): string {
  return SECRETS.size === 0 ? text : scrubSecrets(text, [...SECRETS]);
}
