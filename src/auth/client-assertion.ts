/**
 * Certificate credentials for Entra ID's client-credentials flow: load a PEM bundle (private key
 * plus certificate) and sign a client assertion with it. Pure: no files, no network, no clock
 * unless the caller gives one. `node:crypto` only.
 *
 * The assertion is a JWT sent instead of `client_secret`, as
 *   client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer
 *   client_assertion=<JWT>
 * Format (learn.microsoft.com/entra/identity-platform/certificate-credentials; RFC 7523 §3):
 * header `alg` PS256 with `x5t#S256` (the SHA-256 thumbprint, current) or RS256 with `x5t`
 * (SHA-1 thumbprint, older); claims `aud` = the token endpoint, `iss` = `sub` = the client id,
 * a unique `jti`, `nbf`/`iat` = now, and a short `exp` (MSAL uses 10 minutes).
 *
 * Only RSA keys: the documented algorithms are PS256 and RS256, both RSA, and Entra ID refuses
 * RSA keys shorter than 2048 bits (AADSTS50032 WeakRsaKey).
 */
import { X509Certificate, constants, createHash, createPrivateKey, randomUUID, sign, type KeyObject } from 'node:crypto';
import { UsageError } from '../errors.js';

/** The form value of `client_assertion_type` for a JWT client assertion (RFC 7523 §2.2). */
export const CLIENT_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/** The assertion's lifetime, in seconds: MSAL's 10 minutes (the docs say 5-10 minutes after nbf). */
export const ASSERTION_LIFETIME_SECONDS = 600;

// Entra ID: "AADSTS50032 WeakRsaKey - the erroneous user attempt to use a weak RSA key".
const MIN_RSA_BITS = 2048;

/** A certificate credential ready to sign assertions. */
export interface LoadedCertificate {
  /** The certificate that matches the key, PEM (what is uploaded to the app registration). */
  certificatePem: string;
  privateKey: KeyObject;
  /** base64url SHA-1 thumbprint of the certificate's DER: the `x5t` header (RS256). */
  x5t: string;
  /** base64url SHA-256 thumbprint of the certificate's DER: the `x5t#S256` header (PS256). */
  x5tS256: string;
  notAfter: Date;
}

export type AssertionAlgorithm = 'PS256' | 'RS256';

export interface ClientAssertionOptions {
  /** Application (client) id: `iss` and `sub`. */
  clientId: string;
  /** The token endpoint the assertion will be posted to, exactly: `aud`. */
  tokenUrl: string;
  cert: LoadedCertificate;
  /** PS256 (default, with `x5t#S256`) or RS256 (with `x5t`). */
  alg?: AssertionAlgorithm;
  /** Clock (default: now). */
  now?: Date;
  /** JWT id (default: a random UUID). Every assertion needs its own. */
  jti?: string;
}

export interface PemBlock {
  label: string;
  /** The whole block, BEGIN to END line, as createPrivateKey/X509Certificate want it. */
  text: string;
  /** RFC 1421 headers (`Proc-Type: 4,ENCRYPTED`) of a legacy OpenSSL encrypted key. */
  headers: string;
}

/**
 * Finds the PEM blocks in a text. Text around them (`Bag Attributes` from `openssl pkcs12`,
 * comments) is ignored; CRLF line ends are fine.
 */
export function pemBlocks(text: string): PemBlock[] {
  const blocks: PemBlock[] = [];
  const re = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n([\s\S]*?)-----END \1-----/g;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    const label = m[1] ?? '';
    const body = m[2] ?? '';
    const headerEnd = body.search(/\r?\n\r?\n/);
    const headers = /^[A-Za-z-]+:/.test(body) && headerEnd >= 0 ? body.slice(0, headerEnd) : '';
    blocks.push({ label, text: m[0].replace(/\r\n/g, '\n'), headers });
  }
  return blocks;
}

const KEY_LABELS = new Set(['PRIVATE KEY', 'ENCRYPTED PRIVATE KEY', 'RSA PRIVATE KEY', 'EC PRIVATE KEY', 'DSA PRIVATE KEY']);

const base64url = (bytes: Buffer): string => bytes.toString('base64url');

/**
 * Reads a PEM bundle: one private key (PKCS#8 `PRIVATE KEY`, PKCS#1 `RSA PRIVATE KEY`, or an
 * encrypted `ENCRYPTED PRIVATE KEY` / legacy `Proc-Type: 4,ENCRYPTED` key with `password`) and
 * one or more certificates, in any order. The first certificate whose public key matches the
 * key is the credential; a chain after it is allowed. Every problem is a UsageError that says
 * what is missing or wrong and how to fix it.
 */
export function loadCertificate(pemText: string, password?: string, now: Date = new Date()): LoadedCertificate {
  const blocks = pemBlocks(pemText);
  if (blocks.length === 0) {
    throw new UsageError('the file is not PEM text (no -----BEGIN ...----- block)', {
      hint: 'A .pfx/.p12 file must be converted first: openssl pkcs12 -in cert.pfx -out cert.pem -noenc',
    });
  }

  const keys = blocks.filter((b) => KEY_LABELS.has(b.label));
  if (keys.length === 0) {
    throw new UsageError('the PEM file has no private key', {
      hint: 'Put the private key (-----BEGIN PRIVATE KEY-----) and the certificate in one file: cat key.pem cert.pem > credential.pem',
    });
  }
  if (keys.length > 1) {
    throw new UsageError(`the PEM file has ${keys.length} private keys; keep only the one that belongs to the certificate`);
  }
  const privateKey = parsePrivateKey(keys[0] as PemBlock, password);

  const certBlocks = blocks.filter((b) => b.label === 'CERTIFICATE');
  if (certBlocks.length === 0) {
    throw new UsageError('the PEM file has no certificate, only a private key', {
      hint: 'Append the certificate you uploaded to the app registration: cat key.pem cert.pem > credential.pem',
    });
  }
  let cert: X509Certificate | undefined;
  for (const block of certBlocks) {
    let candidate: X509Certificate;
    try {
      candidate = new X509Certificate(block.text);
    } catch (err) {
      throw new UsageError('a CERTIFICATE block in the PEM file is not a valid X.509 certificate', { cause: err });
    }
    if (candidate.checkPrivateKey(privateKey)) {
      cert = candidate;
      break;
    }
  }
  if (cert === undefined) {
    throw new UsageError(`no certificate in the file matches the private key (${certBlocks.length} checked)`, {
      hint: 'The key and the certificate must be a pair: the certificate made from this key, as uploaded to the app registration.',
    });
  }

  const notBefore = new Date(cert.validFrom);
  const notAfter = new Date(cert.validTo);
  if (now.getTime() > notAfter.getTime()) {
    throw new UsageError(`the certificate expired on ${notAfter.toISOString()}`, {
      hint: 'Make a new certificate, upload it to the app registration (Certificates & secrets), and use it here.',
    });
  }
  if (now.getTime() < notBefore.getTime()) {
    throw new UsageError(`the certificate is not valid before ${notBefore.toISOString()}`, {
      hint: "Check this machine's clock, or wait until the certificate becomes valid.",
    });
  }

  return {
    certificatePem: cert.toString(),
    privateKey,
    x5t: base64url(createHash('sha1').update(cert.raw).digest()),
    x5tS256: base64url(createHash('sha256').update(cert.raw).digest()),
    notAfter,
  };
}

function parsePrivateKey(block: PemBlock, password: string | undefined): KeyObject {
  const encrypted = block.label === 'ENCRYPTED PRIVATE KEY' || /Proc-Type:\s*4,ENCRYPTED/i.test(block.headers);
  if (encrypted && (password === undefined || password === '')) {
    throw new UsageError('the private key is encrypted: set AZURE_CLIENT_CERTIFICATE_PASSWORD');
  }
  let key: KeyObject;
  try {
    key = createPrivateKey(encrypted ? { key: block.text, format: 'pem', passphrase: password ?? '' } : { key: block.text, format: 'pem' });
  } catch (err) {
    if (encrypted) {
      throw new UsageError('AZURE_CLIENT_CERTIFICATE_PASSWORD does not decrypt the private key', { cause: err });
    }
    throw new UsageError(`the private key (${block.label}) in the PEM file cannot be read`, { cause: err });
  }
  if (key.asymmetricKeyType !== 'rsa') {
    throw new UsageError(
      `the private key is ${key.asymmetricKeyType?.toUpperCase() ?? 'of an unknown type'}, not RSA: Entra ID signs client assertions with RSA only (PS256 or RS256)`,
      {
        hint: 'Make an RSA certificate: openssl req -x509 -newkey rsa:2048 -keyout key.pem -out cert.pem -days 365 -noenc -subj "/CN=defender-alerts"',
      },
    );
  }
  const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
  if (bits < MIN_RSA_BITS) {
    throw new UsageError(`the RSA key has ${bits} bits; Entra ID refuses keys shorter than ${MIN_RSA_BITS} bits (AADSTS50032)`);
  }
  return key;
}

/**
 * Signs a client assertion (a compact JWS) for one token request. Each call makes a new `jti`,
 * so sign a fresh assertion per request rather than reusing one.
 */
export function createClientAssertion(opts: ClientAssertionOptions): string {
  if (opts.clientId === '') throw new RangeError('createClientAssertion(): clientId is empty');
  if (!URL.canParse(opts.tokenUrl)) throw new RangeError(`createClientAssertion(): "${opts.tokenUrl}" is not a URL`);
  const alg = opts.alg ?? 'PS256';
  const nowSeconds = Math.floor((opts.now ?? new Date()).getTime() / 1000);

  const header = alg === 'PS256' ? { alg, typ: 'JWT', 'x5t#S256': opts.cert.x5tS256 } : { alg, typ: 'JWT', x5t: opts.cert.x5t };
  const claims = {
    aud: opts.tokenUrl,
    iss: opts.clientId,
    sub: opts.clientId,
    jti: opts.jti ?? randomUUID(),
    nbf: nowSeconds,
    iat: nowSeconds,
    exp: nowSeconds + ASSERTION_LIFETIME_SECONDS,
  };
  const signingInput = `${jsonPart(header)}.${jsonPart(claims)}`;
  return `${signingInput}.${base64url(signJws(alg, signingInput, opts.cert.privateKey))}`;
}

const jsonPart = (value: unknown): string => base64url(Buffer.from(JSON.stringify(value), 'utf8'));

/** RS256 = RSASSA-PKCS1-v1_5 with SHA-256; PS256 = RSASSA-PSS, SHA-256, MGF1-SHA-256, 32-byte salt (RFC 7518 §3.3, §3.5). */
function signJws(alg: AssertionAlgorithm, signingInput: string, key: KeyObject): Buffer {
  const data = Buffer.from(signingInput, 'ascii');
  return alg === 'PS256'
    ? sign('sha256', data, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST })
    : sign('sha256', data, { key, padding: constants.RSA_PKCS1_PADDING });
}
