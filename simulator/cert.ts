/**
 * Self-signed certificates for the simulator, built with `node:crypto` alone: no dependency and
 * no `openssl` binary, so `defender-alerts simulate` works on any machine.
 *
 * - The TLS certificate (EC P-256) is its own CA (basicConstraints CA:TRUE) so a client can trust
 *   it directly, e.g. `NODE_EXTRA_CA_CERTS=ca.pem` or undici's `connect: { ca }`.
 * - The client certificate (RSA) is an application credential for Entra ID's certificate flow:
 *   the app signs a client assertion with its key, and the simulator checks it against this
 *   certificate (simulator/assertion.ts).
 *
 * Structure: RFC 5280 §4.1.
 */
import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import { isIP } from 'node:net';
import { bitString, boolean, explicit, implicitPrimitive, integer, octetString, oid, sequence, set, time, tlv, utf8String } from './der.js';

const OID = {
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  sha256WithRSAEncryption: '1.2.840.113549.1.1.11',
  commonName: '2.5.4.3',
  organization: '2.5.4.10',
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  extKeyUsage: '2.5.29.37',
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
} as const;

const DAY_MS = 86_400_000;
// Tolerate a client clock that is a little behind ours.
const BACKDATE_MS = 3_600_000; // 1 h

export interface SelfSignedCertOptions {
  /** DNS names and IP addresses (v4 or v6) the certificate is valid for. */
  hosts: string[];
  /** Validity from now, in days (default 30). */
  days?: number;
  /** Clock, for tests. */
  now?: Date;
}

export interface SelfSignedCert {
  certPem: string;
  keyPem: string;
}

/**
 * Generates an EC P-256 key and a self-signed X.509 v3 certificate (ecdsa-with-SHA256) for
 * `hosts`, usable both as the server's certificate and as the CA a client trusts.
 */
export function generateSelfSignedCert(opts: SelfSignedCertOptions): SelfSignedCert {
  if (opts.hosts.length === 0) throw new RangeError('generateSelfSignedCert(): give at least one host');
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  // RFC 5280 §4.2.1.2 method (1): SHA-1 of the subjectPublicKey BIT STRING value.
  const keyId = createHash('sha1').update(subjectPublicKeyBits(spki)).digest();
  return selfSign({
    spki,
    privateKey,
    signatureAlgorithm: sequence(oid(OID.ecdsaWithSha256)), // no parameters for ECDSA (RFC 5758 §3.2)
    commonName: 'defender-alerts simulator CA',
    days: opts.days ?? 30,
    now: opts.now ?? new Date(),
    extensions: extensions(opts.hosts, keyId),
  });
}

export interface ClientCertificateOptions {
  /** The subject's (and issuer's) common name (default "defender-alerts simulator client"). */
  commonName?: string;
  /** Validity from now, in days (default 365). */
  days?: number;
  /** Clock, for tests: an expired certificate is one made with a `now` in the past. */
  now?: Date;
  /**
   * The RSA key pair to certify (default: a fresh 2048-bit one). Tests pass one key to several
   * certificates: RSA key generation costs about 0.2 s.
   */
  keyPair?: { publicKey: KeyObject; privateKey: KeyObject };
}

/**
 * Generates a self-signed X.509 v3 certificate (sha256WithRSAEncryption) for an RSA key: an
 * application's client credential for Entra ID's certificate flow. Not a CA; key usage
 * digitalSignature, extended key usage clientAuth.
 */
export function generateClientCertificate(opts: ClientCertificateOptions = {}): SelfSignedCert {
  const { publicKey, privateKey } = opts.keyPair ?? generateKeyPairSync('rsa', { modulusLength: 2048 });
  if (privateKey.asymmetricKeyType !== 'rsa') throw new RangeError('generateClientCertificate(): the key must be RSA');
  // The subjectPublicKey BIT STRING of an RSA key holds the PKCS#1 RSAPublicKey (RFC 3279 §2.3.1).
  const keyId = createHash('sha1')
    .update(publicKey.export({ type: 'pkcs1', format: 'der' }))
    .digest();
  return selfSign({
    spki: publicKey.export({ type: 'spki', format: 'der' }),
    privateKey,
    // RFC 4055 §5: the parameters of sha256WithRSAEncryption are NULL.
    signatureAlgorithm: sequence(oid(OID.sha256WithRSAEncryption), tlv(0x05, Buffer.alloc(0))),
    commonName: opts.commonName ?? 'defender-alerts simulator client',
    days: opts.days ?? 365,
    now: opts.now ?? new Date(),
    extensions: [
      ext(OID.basicConstraints, true, sequence()), // CA:FALSE (the DEFAULT is omitted in DER)
      // digitalSignature (bit 0) alone = 1000 0000; the 7 trailing zero bits are unused.
      ext(OID.keyUsage, true, bitString(Buffer.from([0x80]), 7)),
      ext(OID.extKeyUsage, false, sequence(oid(OID.clientAuth))),
      ext(OID.subjectKeyIdentifier, false, octetString(keyId)),
    ],
  });
}

interface SelfSignInput {
  spki: Buffer;
  privateKey: KeyObject;
  signatureAlgorithm: Buffer;
  commonName: string;
  days: number;
  now: Date;
  extensions: Buffer[];
}

/** Builds, signs (SHA-256) and PEM-encodes a self-signed certificate: issuer = subject. */
function selfSign(input: SelfSignInput): SelfSignedCert {
  const { now } = input;
  const name = sequence(
    set(sequence(oid(OID.organization), utf8String('defender-alerts simulator (TEST ONLY)'))),
    set(sequence(oid(OID.commonName), utf8String(input.commonName))),
  );
  const serial = randomBytes(16);
  serial[0] = ((serial[0] ?? 0) & 0x7f) | 0x01; // positive and non-zero (RFC 5280 §4.1.2.2)

  const tbs = sequence(
    explicit(0, integer(2)), // v3
    integer(serial),
    input.signatureAlgorithm,
    name,
    sequence(time(new Date(now.getTime() - BACKDATE_MS)), time(new Date(now.getTime() + input.days * DAY_MS))),
    name,
    input.spki,
    explicit(3, sequence(...input.extensions)),
  );
  // ECDSA signatures from node:crypto are DER `Ecdsa-Sig-Value` and RSA ones PKCS#1 v1.5 bytes:
  // both are what X.509 wants in the signatureValue BIT STRING.
  const signature = sign('sha256', tbs, input.privateKey);
  const der = sequence(tbs, input.signatureAlgorithm, bitString(signature));

  return {
    certPem: toPem('CERTIFICATE', der),
    keyPem: input.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
}

function ext(id: string, critical: boolean, value: Buffer): Buffer {
  return critical ? sequence(oid(id), boolean(true), octetString(value)) : sequence(oid(id), octetString(value));
}

function extensions(hosts: string[], keyId: Buffer): Buffer[] {
  const altNames = [...new Set(hosts)].map((host) =>
    isIP(host) ? implicitPrimitive(7, ipBytes(host)) : implicitPrimitive(2, dnsNameBytes(host)),
  );
  // digitalSignature (bit 0) + keyCertSign (bit 5) = 1000 0100; the 2 trailing zero bits are unused.
  const keyUsage = bitString(Buffer.from([0x84]), 2);

  return [
    ext(OID.basicConstraints, true, sequence(boolean(true))),
    ext(OID.keyUsage, true, keyUsage),
    ext(OID.extKeyUsage, false, sequence(oid(OID.serverAuth))),
    ext(OID.subjectAltName, false, sequence(...altNames)),
    ext(OID.subjectKeyIdentifier, false, octetString(keyId)),
  ];
}

/** The key bytes inside SubjectPublicKeyInfo's BIT STRING (its last TLV, minus the unused-bits octet). */
function subjectPublicKeyBits(spki: Buffer): Buffer {
  // P-256 SPKI: the BIT STRING holds one unused-bits octet and a 65-byte uncompressed point.
  return spki.subarray(spki.length - 65);
}

/** A dNSName is an IA5String (ASCII); IDNs must already be in their xn-- form. */
function dnsNameBytes(host: string): Buffer {
  if (!/^[\x21-\x7e]+$/.test(host)) throw new RangeError(`generateSelfSignedCert(): "${host}" is not an ASCII host name`);
  return Buffer.from(host, 'ascii');
}

/** Network-order bytes of an IPv4 (4) or IPv6 (16) address, for the iPAddress GeneralName. */
export function ipBytes(address: string): Buffer {
  if (isIP(address) === 4) return Buffer.from(address.split('.').map(Number));
  if (isIP(address) !== 6) throw new RangeError(`ipBytes(): "${address}" is not an IP address`);
  let text = address.split('%')[0] ?? address; // drop a zone id (fe80::1%eth0)
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4?.[1]) {
    const [a = 0, b = 0, c = 0, d = 0] = v4[1].split('.').map(Number);
    text = `${text.slice(0, -v4[1].length)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = tail === undefined || tail === '' ? [] : tail.split(':');
  const zeros = tail === undefined ? 0 : 8 - headGroups.length - tailGroups.length;
  const groups = [...headGroups, ...Array<string>(zeros).fill('0'), ...tailGroups];
  const out = Buffer.alloc(16);
  groups.forEach((group, i) => out.writeUInt16BE(parseInt(group, 16), i * 2));
  return out;
}

function toPem(label: string, der: Buffer): string {
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}
