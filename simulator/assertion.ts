/**
 * The simulator's side of Entra ID's certificate credential: the client certificate it publishes
 * (written beside `ca.pem` as `client-cert.pem`, key included: a TEST credential like the
 * published client secret) and the check of a client assertion against it.
 *
 * Checks, in this order, each answered with Entra's code for it:
 *   client_assertion_type       missing → AADSTS900144; another value → AADSTS7000218 (no usable credential)
 *   JWT structure, alg, claims  AADSTS50027 "JWT token is invalid or malformed"
 *   key (x5t#S256 / x5t)        AADSTS700027 "[Reason - The key was not found.]"
 *   signature (PS256 / RS256)   AADSTS700027 "[Reason - The provided signature value did not match …]"
 *   certificate expired         AADSTS700027 "[Reason - The key used is expired.]"
 *   iss ≠ sub                   AADSTS50048 SubjectMismatchesIssuer
 *   iss ≠ client_id             AADSTS700021 "Client assertion application identifier doesn't match 'client_id' parameter."
 *   aud ≠ the token URL         AADSTS700023 "Client assertion audience claim does not match Realm issuer."
 *   exp / nbf (5 min skew)      AADSTS700024 "Client assertion is not within its valid time range."
 *   jti seen before             AADSTS50027 (see below)
 * Codes and texts: the Entra error-code reference (docs/microsoft-apis.md §4) and Azure Identity's
 * troubleshooting tables (700021, 700023, 50027 for ClientAssertionCredential; 700027 for
 * certificates) and public reports of 700024. (The reference's 500133, "Assertion isn't within its
 * valid time range", is the code for a *user* assertion, e.g. on-behalf-of.)
 *
 * Replay: RFC 7523 §3 lets a server refuse a `jti` it has seen. Entra ID documents no code for it,
 * and MSAL Node reuses one assertion for its 10 minutes, so Entra evidently accepts a repeat. The
 * simulator is stricter on purpose — our client must sign a fresh assertion per request — and
 * answers a replay with AADSTS50027, the generic invalid-JWT code.
 */
import { X509Certificate, constants, createHash, generateKeyPair, verify, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { generateClientCertificate } from './cert.js';
import type { EntraError } from './entra.js';

const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
const DOCS = 'Review the documentation at https://learn.microsoft.com/entra/identity-platform/certificate-credentials .';
// Clocks may be 5 minutes apart: the skew commonly assumed for Entra ID (MSAL's default is also 5 minutes).
const DEFAULT_SKEW_SECONDS = 300;
// A bound on remembered jti values: a client that sends far-future `exp` cannot grow memory forever.
const MAX_REMEMBERED_JTIS = 100_000;

/** The simulator's published client certificate: PEM certificate and PKCS#8 key. */
export interface SimulatorClientCertificate {
  certPem: string;
  keyPem: string;
}

let published: Promise<SimulatorClientCertificate> | undefined;

/**
 * The client certificate every simulator in this process publishes: RSA 2048, valid a year.
 * Made once per process (RSA key generation costs ~0.2 s, off the event loop), since tests start
 * many simulators; it is a public test credential, so sharing it costs nothing.
 */
export function simulatorClientCertificate(): Promise<SimulatorClientCertificate> {
  published ??= promisify(generateKeyPair)('rsa', { modulusLength: 2048 }).then((keyPair) => generateClientCertificate({ keyPair }));
  return published;
}

export interface AssertionCheckInput {
  /** `client_assertion` from the form. */
  assertion: string;
  /** `client_assertion_type` from the form (null when absent). */
  assertionType: string | null;
  /** `client_id` from the form. */
  clientId: string;
  /** The full URL the token request came to (`https://127.0.0.1:PORT/{tenant}/oauth2/v2.0/token`). */
  tokenUrl: string;
  now: Date;
}

interface ParsedJwt {
  header: Record<string, unknown>;
  claims: Record<string, unknown>;
  signingInput: string;
  signature: Buffer;
}

const fail = (status: 400 | 401, error: string, code: number, message: string): EntraError => ({ status, error, code, message });
const malformed = (why: string): EntraError => fail(400, 'invalid_request', 50027, `JWT token is invalid or malformed. ${why}`);

/** Entra's `2024-10-02T22:05:03.6755165Z` form (7 fractional digits). */
const entraTime = (ms: number): string => `${new Date(ms).toISOString().slice(0, 23)}0000Z`;
/** The `Start=06/29/2021 21:13:15` form of a key's validity in 700027 messages. */
const keyTime = (d: Date): string => {
  const iso = d.toISOString();
  return `${iso.slice(5, 7)}/${iso.slice(8, 10)}/${iso.slice(0, 4)} ${iso.slice(11, 19)}`;
};

/**
 * Verifies client assertions against one published certificate, and remembers the `jti` of
 * every accepted assertion until it expires.
 */
export class ClientAssertionVerifier {
  private readonly cert: X509Certificate;
  private readonly publicKey: KeyObject;
  private readonly x5t: string;
  private readonly x5tS256: string;
  private readonly skewSeconds: number;
  /** jti → expiry (ms): an assertion seen before its expiry is a replay. */
  private readonly seen = new Map<string, number>();

  constructor(certificatePem: string, opts: { skewSeconds?: number } = {}) {
    this.cert = new X509Certificate(certificatePem);
    this.publicKey = this.cert.publicKey;
    this.x5t = createHash('sha1').update(this.cert.raw).digest('base64url');
    this.x5tS256 = createHash('sha256').update(this.cert.raw).digest('base64url');
    this.skewSeconds = opts.skewSeconds ?? DEFAULT_SKEW_SECONDS;
  }

  /** Checks one assertion; undefined when it is good (its jti is then spent), else Entra's error. */
  check(input: AssertionCheckInput): EntraError | undefined {
    if (input.assertionType === null || input.assertionType === '') {
      return fail(400, 'invalid_request', 900144, "The request body must contain the following parameter: 'client_assertion_type'.");
    }
    if (input.assertionType !== JWT_BEARER) {
      // Entra documents no code for an unknown type; without a usable credential it is "neither sent".
      return fail(
        401,
        'invalid_client',
        7000218,
        "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
      );
    }

    const jwt = parseJwt(input.assertion);
    if (typeof jwt === 'string') return malformed(jwt);
    const { header, claims } = jwt;
    const alg = header.alg;
    if (alg !== 'PS256' && alg !== 'RS256') {
      return malformed(`The 'alg' header must be PS256 or RS256, not ${JSON.stringify(alg)}.`);
    }

    const byS256 = typeof header['x5t#S256'] === 'string';
    const thumbprint = byS256 ? header['x5t#S256'] : header.x5t;
    if (typeof thumbprint !== 'string') return malformed("The header has neither 'x5t#S256' nor 'x5t'.");
    const thumbprintHex = Buffer.from(thumbprint, 'base64url').toString('hex').toUpperCase();
    if (thumbprint !== (byS256 ? this.x5tS256 : this.x5t)) {
      return fail(
        401,
        'invalid_client',
        700027,
        `Client assertion contains an invalid signature. [Reason - The key was not found., Thumbprint of key used by client: '${thumbprintHex}', Please visit the Azure Portal, Graph Explorer or directly use MS Graph to see configured keys for app Id '${input.clientId}'.]`,
      );
    }
    const foundKey = `Found key 'Start=${keyTime(new Date(this.cert.validFrom))}, End=${keyTime(new Date(this.cert.validTo))}'`;
    if (!verifySignature(alg, jwt, this.publicKey)) {
      return fail(
        401,
        'invalid_client',
        700027,
        `Client assertion contains an invalid signature. [Reason - The provided signature value did not match the expected signature value., Thumbprint of key used by client: '${thumbprintHex}', ${foundKey}]`,
      );
    }
    if (input.now.getTime() > new Date(this.cert.validTo).getTime()) {
      return fail(
        401,
        'invalid_client',
        700027,
        `Client assertion contains an invalid signature. [Reason - The key used is expired., Thumbprint of key used by client: '${thumbprintHex}', ${foundKey}]`,
      );
    }

    const { iss, sub, aud, exp, nbf, jti } = claims;
    if (typeof iss !== 'string' || typeof sub !== 'string') return malformed("The 'iss' and 'sub' claims must be strings.");
    if (iss !== sub) return fail(401, 'invalid_client', 50048, 'Subject mismatches Issuer claim in the client assertion.');
    if (iss.toLowerCase() !== input.clientId.toLowerCase()) {
      return fail(401, 'invalid_client', 700021, `Client assertion application identifier doesn't match 'client_id' parameter. ${DOCS}`);
    }
    // One string: an array audience is refused (public reports of AADSTS50027 with `aud: [...]`).
    if (typeof aud !== 'string') return malformed("The 'aud' claim must be one string: the token endpoint URL.");
    // Exact URL, case-insensitively (host and tenant are); the simulator does not accept the other
    // version's endpoint or the bare authority, which Entra may.
    if (!sameUrl(aud, input.tokenUrl)) {
      return fail(401, 'invalid_client', 700023, `Client assertion audience claim does not match Realm issuer. ${DOCS}`);
    }

    if (typeof exp !== 'number' || !Number.isFinite(exp)) return malformed("The 'exp' claim must be a number (seconds since 1970).");
    if (nbf !== undefined && (typeof nbf !== 'number' || !Number.isFinite(nbf))) return malformed("The 'nbf' claim must be a number.");
    const nowMs = input.now.getTime();
    const expMs = exp * 1000;
    const nbfMs = typeof nbf === 'number' ? nbf * 1000 : 0;
    const skewMs = this.skewSeconds * 1000;
    if (nowMs > expMs + skewMs || nowMs < nbfMs - skewMs) {
      return fail(
        401,
        'invalid_client',
        700024,
        `Client assertion is not within its valid time range. Current time: ${entraTime(nowMs)}, assertion valid from ${entraTime(nbfMs)}, expiry time of assertion ${entraTime(expMs)}. ${DOCS}`,
      );
    }

    if (typeof jti !== 'string' || jti === '') return malformed("The 'jti' claim must be a unique string.");
    this.forgetExpired(nowMs);
    if (this.seen.has(jti)) return malformed(`The assertion with jti '${jti}' was already used; sign a new assertion for each request.`);
    if (this.seen.size >= MAX_REMEMBERED_JTIS) {
      const oldest = this.seen.keys().next();
      if (!oldest.done) this.seen.delete(oldest.value);
    }
    this.seen.set(jti, expMs + skewMs);
    return undefined;
  }

  private forgetExpired(nowMs: number): void {
    for (const [jti, untilMs] of this.seen) if (untilMs < nowMs) this.seen.delete(jti);
  }
}

/** Splits and decodes a compact JWS; a string says what is wrong. */
function parseJwt(text: string): ParsedJwt | string {
  const parts = text.split('.');
  if (parts.length !== 3 || parts.some((p) => !/^[A-Za-z0-9_-]+$/.test(p))) {
    return 'A JWT has three base64url parts separated by dots.';
  }
  const [h = '', c = '', s = ''] = parts;
  const decode = (part: string): unknown => {
    try {
      return JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as unknown;
    } catch {
      return undefined;
    }
  };
  const header = decode(h);
  const claims = decode(c);
  const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (!isObject(header)) return 'The header is not a JSON object.';
  if (!isObject(claims)) return 'The payload is not a JSON object.';
  return { header, claims, signingInput: `${h}.${c}`, signature: Buffer.from(s, 'base64url') };
}

function verifySignature(alg: 'PS256' | 'RS256', jwt: ParsedJwt, key: KeyObject): boolean {
  const data = Buffer.from(jwt.signingInput, 'ascii');
  try {
    return alg === 'PS256'
      ? verify(
          'sha256',
          data,
          { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST },
          jwt.signature,
        )
      : verify('sha256', data, { key, padding: constants.RSA_PKCS1_PADDING }, jwt.signature);
  } catch {
    return false;
  }
}

/** Same URL, ignoring case and a trailing slash; false when either is not a URL. */
function sameUrl(a: string, b: string): boolean {
  const norm = (u: string): string | undefined => (URL.canParse(u) ? new URL(u).href.replace(/\/+$/, '').toLowerCase() : undefined);
  const na = norm(a);
  return na !== undefined && na === norm(b);
}
