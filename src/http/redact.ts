/**
 * Keeps secrets out of what we keep or print. A misconfigured proxy, a debugging endpoint or a
 * hostile server may echo the request back (`Authorization: Bearer …`, `client_secret=…`) in an
 * error page; the start of that page is kept on the error and Entra's error description is quoted
 * in the one-line message, so it must be scrubbed first. Every log line passes the same filter
 * (secrets.ts). Pure.
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
 * How a secret can appear in text: as is, percent-encoded (an echoed URL), form-encoded (an echoed
 * form body) and JSON-escaped (an echoed value inside a JSON document). A token or a client
 * assertion (base64url and dots) has one form only.
 */
export function secretForms(secret: string): string[] {
  if (secret.length === 0) return [];
  return [
    ...new Set([
      secret,
      encodeURIComponent(secret),
      new URLSearchParams({ s: secret }).toString().slice(2),
      JSON.stringify(secret).slice(1, -1),
    ]),
  ];
}

// The prefix the matcher keys on: secrets are long, and a short key would make many positions of
// an ordinary line candidates. A shorter secret (a request's own, see requestSecrets) shortens it.
const MAX_KEY = 8;

/** A Rabin–Karp hash step over UTF-16 code units, in 32 bits. */
const BASE = 257;

function hashOf(text: string, from: number, length: number): number {
  let h = 0;
  for (let i = from; i < from + length; i++) h = (Math.imul(h, BASE) + text.charCodeAt(i)) >>> 0;
  return h;
}

/**
 * Finds every form of a set of secrets in one pass over a text, at a cost that depends on the
 * text, not on how many secrets there are: a rolling hash of the next few characters picks the
 * forms that could start at each position (usually none), and only those are compared. Secrets
 * come and go one at a time (secrets.ts), each change costing only its own forms.
 */
export class SecretMatcher {
  readonly #key: number;
  /** The top power of the rolling hash, to drop the character leaving the key. */
  readonly #drop: number;
  /** Each form, and how many of the secrets have it. */
  readonly #forms = new Map<string, number>();
  /** Forms by the hash of their first #key characters, longest first. */
  readonly #byKey = new Map<number, string[]>();

  /** `keyLength`: at most the length of the shortest secret this matcher will hold. */
  constructor(secrets: Iterable<string> = [], keyLength = MAX_KEY) {
    this.#key = keyLength;
    let drop = 1;
    for (let i = 1; i < keyLength; i++) drop = Math.imul(drop, BASE) >>> 0;
    this.#drop = drop;
    for (const secret of secrets) this.add(secret);
  }

  /** How many distinct forms it looks for. */
  get size(): number {
    return this.#forms.size;
  }

  /** Looks for `secret` too; a secret shorter than the key length is ignored. */
  add(secret: string): void {
    if (secret.length < this.#key) return;
    for (const form of secretForms(secret)) {
      const count = this.#forms.get(form) ?? 0;
      this.#forms.set(form, count + 1);
      if (count > 0) continue;
      const h = hashOf(form, 0, this.#key);
      const bucket = this.#byKey.get(h) ?? [];
      // Longest first, so a form containing another is replaced whole.
      const at = bucket.findIndex((other) => other.length < form.length);
      bucket.splice(at < 0 ? bucket.length : at, 0, form);
      this.#byKey.set(h, bucket);
    }
  }

  /** No longer looks for `secret` (unless another secret has the same form). */
  delete(secret: string): void {
    if (secret.length < this.#key) return;
    for (const form of secretForms(secret)) {
      const count = this.#forms.get(form);
      if (count === undefined) continue;
      if (count > 1) {
        this.#forms.set(form, count - 1);
        continue;
      }
      this.#forms.delete(form);
      const h = hashOf(form, 0, this.#key);
      const bucket = this.#byKey.get(h) ?? [];
      bucket.splice(bucket.indexOf(form), 1);
      if (bucket.length === 0) this.#byKey.delete(h);
    }
  }

  /** `text` with every form of every secret replaced by {@link REDACTED}, leftmost and longest first. */
  scrub(text: string): string {
    const key = this.#key;
    if (this.#forms.size === 0 || text.length < key) return text;
    let out = '';
    let copied = 0;
    let h = hashOf(text, 0, key);
    for (let i = 0; ;) {
      const match = this.#byKey.get(h)?.find((form) => text.startsWith(form, i));
      if (match !== undefined) {
        out += text.slice(copied, i) + REDACTED;
        i += match.length;
        copied = i;
        if (i + key > text.length) break;
        h = hashOf(text, i, key);
        continue;
      }
      if (i + key >= text.length) break;
      h = (Math.imul(h - Math.imul(text.charCodeAt(i), this.#drop), BASE) + text.charCodeAt(i + key)) >>> 0;
      i++;
    }
    return copied === 0 ? text : out + text.slice(copied);
  }
}

/** `text` with every form of each secret (see {@link secretForms}) replaced by {@link REDACTED}. */
export function scrubSecrets(text: string, secrets: readonly string[]): string {
  const present = secrets.filter((s) => s.length > 0);
  if (present.length === 0) return text;
  return new SecretMatcher(present, Math.min(MAX_KEY, ...present.map((s) => s.length))).scrub(text);
}
