/**
 * A self-signed TLS certificate for the simulator, built with `node:crypto` alone: no
 * dependency and no `openssl` binary, so `defender-alerts simulate` works on any machine.
 *
 * The certificate is its own CA (basicConstraints CA:TRUE) so a client can trust it directly,
 * e.g. `NODE_EXTRA_CA_CERTS=ca.pem` or undici's `connect: { ca }`. Structure: RFC 5280 §4.1.
 */
import { createHash, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { isIP } from 'node:net';
import {
  bitString,
  boolean,
  explicit,
  implicitPrimitive,
  integer,
  octetString,
  oid,
  sequence,
  set,
  time,
  utf8String,
} from './der.js';

const OID = {
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  commonName: '2.5.4.3',
  organization: '2.5.4.10',
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  extKeyUsage: '2.5.29.37',
  serverAuth: '1.3.6.1.5.5.7.3.1',
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
  const days = opts.days ?? 30;
  const now = opts.now ?? new Date();
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const spki = publicKey.export({ type: 'spki', format: 'der' });

  const signatureAlgorithm = sequence(oid(OID.ecdsaWithSha256)); // no parameters for ECDSA (RFC 5758 §3.2)
  const name = sequence(
    set(sequence(oid(OID.organization), utf8String('defender-alerts simulator (TEST ONLY)'))),
    set(sequence(oid(OID.commonName), utf8String('defender-alerts simulator CA'))),
  );
  const serial = randomBytes(16);
  serial[0] = ((serial[0] ?? 0) & 0x7f) | 0x01; // positive and non-zero (RFC 5280 §4.1.2.2)

  const tbs = sequence(
    explicit(0, integer(2)), // v3
    integer(serial),
    signatureAlgorithm,
    name,
    sequence(time(new Date(now.getTime() - BACKDATE_MS)), time(new Date(now.getTime() + days * DAY_MS))),
    name,
    spki,
    explicit(3, sequence(...extensions(opts.hosts, spki))),
  );
  // ECDSA signatures from node:crypto are DER `Ecdsa-Sig-Value`, which is what X.509 wants.
  const signature = sign('sha256', tbs, privateKey);
  const der = sequence(tbs, signatureAlgorithm, bitString(signature));

  return {
    certPem: toPem('CERTIFICATE', der),
    keyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
}

function extensions(hosts: string[], spki: Buffer): Buffer[] {
  const ext = (id: string, critical: boolean, value: Buffer): Buffer =>
    critical ? sequence(oid(id), boolean(true), octetString(value)) : sequence(oid(id), octetString(value));

  const altNames = [...new Set(hosts)].map((host) =>
    isIP(host) ? implicitPrimitive(7, ipBytes(host)) : implicitPrimitive(2, dnsNameBytes(host)),
  );
  // digitalSignature (bit 0) + keyCertSign (bit 5) = 1000 0100; the 2 trailing zero bits are unused.
  const keyUsage = bitString(Buffer.from([0x84]), 2);
  // RFC 5280 §4.2.1.2 method (1): SHA-1 of the subjectPublicKey BIT STRING value.
  const keyId = createHash('sha1').update(subjectPublicKeyBits(spki)).digest();

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
