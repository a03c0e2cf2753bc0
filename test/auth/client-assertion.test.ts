import { X509Certificate, constants, createPublicKey, generateKeyPairSync, verify } from 'node:crypto';
import { chmod, mkdtemp, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCertificateFile } from '../../src/auth/certificate-file.js';
import { createClientAssertion, loadCertificate, type LoadedCertificate } from '../../src/auth/client-assertion.js';
import { UsageError } from '../../src/errors.js';
import { generateClientCertificate, generateSelfSignedCert } from '../../simulator/cert.js';

// RSA key generation costs ~0.2 s: two keys serve every test.
const keyPair = generateKeyPairSync('rsa', { modulusLength: 2048 });
const otherKeyPair = generateKeyPairSync('rsa', { modulusLength: 2048 });
const NOW = new Date();
const { certPem, keyPem } = generateClientCertificate({ keyPair, now: NOW });
const otherCertPem = generateClientCertificate({ keyPair: otherKeyPair, now: NOW }).certPem;

const CLIENT_ID = '00000000-0000-4000-8000-0000000000c1';
const TOKEN_URL = 'https://login.microsoftonline.com/00000000-0000-4000-8000-000000000001/oauth2/v2.0/token';

function decode(jwt: string): { header: Record<string, unknown>; claims: Record<string, unknown>; input: string; signature: Buffer } {
  const [h = '', c = '', s = ''] = jwt.split('.');
  return {
    header: JSON.parse(Buffer.from(h, 'base64url').toString()) as Record<string, unknown>,
    claims: JSON.parse(Buffer.from(c, 'base64url').toString()) as Record<string, unknown>,
    input: `${h}.${c}`,
    signature: Buffer.from(s, 'base64url'),
  };
}

/** The thumbprint as Entra shows it (hex with colons, from X509Certificate) → base64url. */
const fingerprintToBase64url = (fingerprint: string): string => Buffer.from(fingerprint.replace(/:/g, ''), 'hex').toString('base64url');

function expectUsageError(fn: () => unknown, message: RegExp): UsageError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    expect((err as UsageError).message).toMatch(message);
    return err as UsageError;
  }
  throw new Error('expected a UsageError');
}

describe('loadCertificate', () => {
  it('finds the key and its certificate in either order, with the thumbprints X509Certificate computes', () => {
    const x509 = new X509Certificate(certPem);
    for (const bundle of [keyPem + certPem, certPem + keyPem]) {
      const cert = loadCertificate(bundle);
      expect(cert.x5t).toBe(fingerprintToBase64url(x509.fingerprint));
      expect(cert.x5tS256).toBe(fingerprintToBase64url(x509.fingerprint256));
      expect(cert.x5tS256).toMatch(/^[\w-]{43}$/); // 32 bytes, unpadded base64url
      expect(cert.certificatePem.trim()).toBe(certPem.trim());
      expect(cert.notAfter.toISOString()).toBe(new Date(x509.validTo).toISOString());
      expect(cert.privateKey.asymmetricKeyType).toBe('rsa');
    }
  });

  it('picks the certificate that matches the key out of a chain, whatever comes first', () => {
    const cert = loadCertificate(otherCertPem + keyPem + certPem);
    expect(cert.x5tS256).toBe(fingerprintToBase64url(new X509Certificate(certPem).fingerprint256));
  });

  it('reads a PKCS#1 key and tolerates CRLF line ends and text around the blocks', () => {
    const pkcs1 = keyPair.privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
    expect(pkcs1).toMatch(/^-----BEGIN RSA PRIVATE KEY-----/);
    const bundle = `Bag Attributes\n    friendlyName: app\n${pkcs1}subject=CN = app\n${certPem}`.replace(/\n/g, '\r\n');
    expect(loadCertificate(bundle).x5t).toBe(fingerprintToBase64url(new X509Certificate(certPem).fingerprint));
  });

  describe('an encrypted key', () => {
    const pkcs8 = keyPair.privateKey
      .export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'correct horse' })
      .toString();
    const legacy = keyPair.privateKey
      .export({ type: 'pkcs1', format: 'pem', cipher: 'aes-128-cbc', passphrase: 'correct horse' })
      .toString();

    it.each([
      ['PKCS#8 (ENCRYPTED PRIVATE KEY)', pkcs8],
      ['legacy OpenSSL (Proc-Type: 4,ENCRYPTED)', legacy],
    ])('%s: loads with the password', (_name, key) => {
      expect(loadCertificate(key + certPem, 'correct horse').privateKey.asymmetricKeyType).toBe('rsa');
    });

    it.each([
      ['PKCS#8', pkcs8],
      ['legacy', legacy],
    ])('%s: without a password says which variable to set', (_name, key) => {
      expectUsageError(() => loadCertificate(key + certPem), /^the private key is encrypted: set AZURE_CLIENT_CERTIFICATE_PASSWORD$/);
      expectUsageError(() => loadCertificate(key + certPem, ''), /encrypted: set AZURE_CLIENT_CERTIFICATE_PASSWORD/);
    });

    it('with a wrong password says the password does not decrypt it', () => {
      expectUsageError(
        () => loadCertificate(pkcs8 + certPem, 'wrong'),
        /AZURE_CLIENT_CERTIFICATE_PASSWORD does not decrypt the private key/,
      );
    });
  });

  it('refuses a file with no private key, no certificate, or not PEM at all', () => {
    expectUsageError(() => loadCertificate(certPem), /^the PEM file has no private key$/);
    expectUsageError(() => loadCertificate(keyPem), /^the PEM file has no certificate/);
    const pfx = expectUsageError(() => loadCertificate('\u0030\u0082\u0009binary pkcs12'), /not PEM text/);
    expect(pfx.hint).toMatch(/openssl pkcs12/);
  });

  it('refuses two private keys', () => {
    const otherKey = otherKeyPair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    expectUsageError(() => loadCertificate(keyPem + otherKey + certPem), /has 2 private keys/);
  });

  it("refuses a certificate that is not the key's", () => {
    expectUsageError(() => loadCertificate(keyPem + otherCertPem), /^no certificate in the file matches the private key \(1 checked\)$/);
  });

  it('refuses an expired certificate, naming the date', () => {
    const old = generateClientCertificate({ keyPair, now: new Date('2020-01-01T00:00:00Z'), days: 30 });
    const err = expectUsageError(() => loadCertificate(old.keyPem + old.certPem), /^the certificate expired on 2020-01-31T00:00:00.000Z$/);
    expect(err.hint).toMatch(/upload it to the app registration/);
    // The same certificate on its own clock is fine: the check is against `now`.
    expect(() => loadCertificate(old.keyPem + old.certPem, undefined, new Date('2020-01-15T00:00:00Z'))).not.toThrow();
  });

  it('refuses a certificate that is not valid yet', () => {
    const future = generateClientCertificate({ keyPair, now: new Date(NOW.getTime() + 10 * 86_400_000) });
    expectUsageError(() => loadCertificate(future.keyPem + future.certPem), /^the certificate is not valid before /);
  });

  it('refuses EC keys: Entra ID signs client assertions with RSA only', () => {
    const ec = generateSelfSignedCert({ hosts: ['localhost'] });
    const err = expectUsageError(
      () => loadCertificate(ec.keyPem + ec.certPem),
      /^the private key is EC, not RSA: Entra ID signs client assertions with RSA only/,
    );
    expect(err.hint).toMatch(/openssl req -x509 -newkey rsa:2048/);
  });

  it('refuses an RSA key shorter than 2048 bits (AADSTS50032)', () => {
    const small = generateKeyPairSync('rsa', { modulusLength: 1024 });
    const weak = generateClientCertificate({ keyPair: small });
    expectUsageError(
      () => loadCertificate(weak.keyPem + weak.certPem),
      /1024 bits; Entra ID refuses keys shorter than 2048 bits \(AADSTS50032\)/,
    );
  });
});

describe('createClientAssertion', () => {
  let cert: LoadedCertificate;
  beforeAll(() => {
    cert = loadCertificate(keyPem + certPem);
  });
  const publicKey = createPublicKey(certPem);

  it("PS256 (the default): x5t#S256 header, Entra's claims, a PSS signature the certificate verifies", () => {
    const now = new Date('2026-03-01T10:00:00.900Z');
    const jwt = createClientAssertion({ clientId: CLIENT_ID, tokenUrl: TOKEN_URL, cert, now, jti: 'jti-1' });
    const { header, claims, input, signature } = decode(jwt);
    expect(header).toEqual({ alg: 'PS256', typ: 'JWT', 'x5t#S256': fingerprintToBase64url(new X509Certificate(certPem).fingerprint256) });
    const t = Date.parse('2026-03-01T10:00:00Z') / 1000;
    expect(claims).toEqual({ aud: TOKEN_URL, iss: CLIENT_ID, sub: CLIENT_ID, jti: 'jti-1', nbf: t, iat: t, exp: t + 600 });
    const pss = { key: publicKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 };
    expect(verify('sha256', Buffer.from(input), pss, signature)).toBe(true);
    // And not with PKCS#1 v1.5 padding: the algorithm really is PSS.
    expect(verify('sha256', Buffer.from(input), { key: publicKey, padding: constants.RSA_PKCS1_PADDING }, signature)).toBe(false);
  });

  it('RS256: x5t (SHA-1) header and a PKCS#1 v1.5 signature', () => {
    const { header, input, signature } = decode(createClientAssertion({ clientId: CLIENT_ID, tokenUrl: TOKEN_URL, cert, alg: 'RS256' }));
    expect(header).toEqual({ alg: 'RS256', typ: 'JWT', x5t: fingerprintToBase64url(new X509Certificate(certPem).fingerprint) });
    expect(verify('sha256', Buffer.from(input), { key: publicKey, padding: constants.RSA_PKCS1_PADDING }, signature)).toBe(true);
  });

  it('does not verify with another key, and a changed claim breaks the signature', () => {
    const { input, signature } = decode(createClientAssertion({ clientId: CLIENT_ID, tokenUrl: TOKEN_URL, cert, alg: 'RS256' }));
    expect(verify('sha256', Buffer.from(input), otherKeyPair.publicKey, signature)).toBe(false);
    expect(verify('sha256', Buffer.from(`${input}x`), publicKey, signature)).toBe(false);
  });

  it('gives every assertion its own jti, and the current time by default', () => {
    const before = Math.floor(Date.now() / 1000);
    const a = decode(createClientAssertion({ clientId: CLIENT_ID, tokenUrl: TOKEN_URL, cert })).claims;
    const b = decode(createClientAssertion({ clientId: CLIENT_ID, tokenUrl: TOKEN_URL, cert })).claims;
    expect(a.jti).toMatch(/^[0-9a-f-]{36}$/);
    expect(a.jti).not.toBe(b.jti);
    expect(a.nbf).toBeGreaterThanOrEqual(before);
    expect(a.nbf).toBeLessThanOrEqual(Math.floor(Date.now() / 1000));
  });

  it('is three unpadded base64url parts', () => {
    expect(createClientAssertion({ clientId: CLIENT_ID, tokenUrl: TOKEN_URL, cert })).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
  });

  it('refuses an empty client id or a token URL that is not a URL', () => {
    expect(() => createClientAssertion({ clientId: '', tokenUrl: TOKEN_URL, cert })).toThrow(RangeError);
    expect(() => createClientAssertion({ clientId: CLIENT_ID, tokenUrl: '/oauth2/token', cert })).toThrow(RangeError);
  });
});

describe('readCertificateFile', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'defender-alerts-cert-'));
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  it('loads a private file without a warning', async () => {
    const path = join(dir, 'ok.pem');
    await writeFile(path, keyPem + certPem, { mode: 0o600 });
    const loaded = await readCertificateFile(path);
    expect(loaded.x5tS256).toBe(fingerprintToBase64url(new X509Certificate(certPem).fingerprint256));
    expect(loaded.warning).toBeUndefined();
  });

  it.skipIf(process.platform === 'win32')('warns when others can read the file, and says how to fix it', async () => {
    const path = join(dir, 'open.pem');
    await writeFile(path, keyPem + certPem);
    await chmod(path, 0o644);
    const loaded = await readCertificateFile(path);
    expect(loaded.warning).toBe(
      `the certificate file "${path}" holds a private key and is readable by other users (mode 644); run: chmod 600 "${path}"`,
    );
  });

  it('passes the password on, and names the file in a loading error', async () => {
    const path = join(dir, 'enc.pem');
    const enc = keyPair.privateKey.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'pw' }).toString();
    await writeFile(path, enc + certPem, { mode: 0o600 });
    expect((await readCertificateFile(path, 'pw')).privateKey.asymmetricKeyType).toBe('rsa');
    await expect(readCertificateFile(path)).rejects.toThrow(
      new UsageError(`cannot use --certificate "${path}": the private key is encrypted: set AZURE_CLIENT_CERTIFICATE_PASSWORD`),
    );
  });

  it('keeps the hint of a loading error', async () => {
    const path = join(dir, 'key-only.pem');
    await writeFile(path, keyPem, { mode: 0o600 });
    await expect(readCertificateFile(path)).rejects.toMatchObject({
      message: `cannot use --certificate "${path}": the PEM file has no certificate, only a private key`,
      hint: expect.stringMatching(/cat key.pem cert.pem/),
    });
  });

  it('refuses a missing file, a directory and a huge file, naming the path', async () => {
    const missing = join(dir, 'nope.pem');
    await expect(readCertificateFile(missing)).rejects.toThrow(new UsageError(`cannot read --certificate "${missing}": no such file`));
    await expect(readCertificateFile(dir)).rejects.toThrow(new UsageError(`cannot read --certificate "${dir}": it is a directory`));
    const huge = join(dir, 'huge.pem');
    await writeFile(huge, '');
    await truncate(huge, 2 * 1024 * 1024); // sparse: no 2 MiB written
    await expect(readCertificateFile(huge)).rejects.toThrow(/it is 2097152 bytes; expected a small text file/);
  });
});
