/**
 * Keeps a request's own secrets out of what we keep of its answer. A misconfigured proxy, a
 * debugging endpoint or a hostile server may echo the request back (`Authorization: Bearer …`,
 * `client_secret=…`) in an error page; the start of that page is kept on the error and Entra's
 * error description is quoted in the one-line message, so it must be scrubbed first. Pure.
 */

/** Form fields whose values are credentials (client secret, client assertion, refresh token…). */
const SECRET_FIELDS = /secret|assertion|password|token/i;

/** What replaces a secret in kept text. */
export const REDACTED = '[redacted]';

/** The credential values a request carries: its Authorization header and secret form fields. */
export function requestSecrets(headers: Readonly<Record<string, string>> | undefined, body: string | undefined): string[] {
  const secrets: string[] = [];
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (name.toLowerCase() !== 'authorization' && name.toLowerCase() !== 'proxy-authorization') continue;
    secrets.push(value);
    const credentials = /^\S+\s+(\S+)$/.exec(value)?.[1];
    if (credentials !== undefined) secrets.push(credentials);
  }
  const contentType = Object.entries(headers ?? {}).find(([name]) => name.toLowerCase() === 'content-type')?.[1] ?? '';
  if (body !== undefined && contentType.includes('application/x-www-form-urlencoded')) {
    for (const [name, value] of new URLSearchParams(body)) if (SECRET_FIELDS.test(name)) secrets.push(value);
  }
  return secrets.filter((s) => s.length >= 4);
}

/**
 * `text` with every occurrence of each secret replaced by {@link REDACTED}: as is, percent-encoded
 * (an echoed form body) and JSON-escaped (an echoed value inside a JSON document).
 */
export function scrubSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) {
    if (secret.length === 0) continue;
    const forms = new Set([
      secret,
      encodeURIComponent(secret),
      new URLSearchParams({ s: secret }).toString().slice(2),
      JSON.stringify(secret).slice(1, -1),
    ]);
    // Longest first, so a form containing another is replaced whole.
    for (const form of [...forms].sort((a, b) => b.length - a.length)) out = out.split(form).join(REDACTED);
  }
  return out;
}
