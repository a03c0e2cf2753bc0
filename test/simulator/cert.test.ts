import { X509Certificate } from 'node:crypto';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { Agent, request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { generateSelfSignedCert, ipBytes } from '../../simulator/cert.js';

describe('generateSelfSignedCert', () => {
  it('produces a CA certificate that X509Certificate parses, for the given names and addresses', () => {
    const { certPem, keyPem } = generateSelfSignedCert({ hosts: ['localhost', '127.0.0.1', '::1'], days: 2 });
    const cert = new X509Certificate(certPem);

    expect(cert.ca).toBe(true);
    expect(cert.subjectAltName).toBe('DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1');
    expect(cert.checkHost('localhost')).toBe('localhost');
    expect(cert.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(cert.checkIP('::1')).toBe('::1');
    expect(cert.checkHost('example.com')).toBeUndefined();
    expect(cert.checkIssued(cert)).toBe(true);
    expect(cert.verify(cert.publicKey)).toBe(true);
    expect(cert.subject).toContain('CN=defender-alerts simulator CA');
    expect(keyPem).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
  });

  it('is valid from shortly before now until now + days', () => {
    const now = new Date('2030-06-01T00:00:00Z');
    const cert = new X509Certificate(generateSelfSignedCert({ hosts: ['localhost'], days: 10, now }).certPem);
    expect(new Date(cert.validFrom).getTime()).toBeLessThan(now.getTime());
    expect(new Date(cert.validTo).toISOString()).toBe('2030-06-11T00:00:00.000Z');
  });

  it('uses GeneralizedTime for dates from 2050 on', () => {
    const cert = new X509Certificate(
      generateSelfSignedCert({ hosts: ['localhost'], days: 3650, now: new Date('2045-01-01T00:00:00Z') }).certPem,
    );
    expect(new Date(cert.validTo).getUTCFullYear()).toBe(2054);
  });

  it('rejects an empty host list and non-ASCII names', () => {
    expect(() => generateSelfSignedCert({ hosts: [] })).toThrow(RangeError);
    expect(() => generateSelfSignedCert({ hosts: ['bücher.example'] })).toThrow(RangeError);
  });
});

describe('ipBytes', () => {
  it('encodes IPv4 and every IPv6 spelling in network order', () => {
    expect(ipBytes('10.0.0.255').toString('hex')).toBe('0a0000ff');
    expect(ipBytes('::1').toString('hex')).toBe('00000000000000000000000000000001');
    expect(ipBytes('::').toString('hex')).toBe('0'.repeat(32));
    expect(ipBytes('fe80::1:2').toString('hex')).toBe('fe800000000000000000000000010002');
    expect(ipBytes('1:2:3:4:5:6:7:8').toString('hex')).toBe('00010002000300040005000600070008');
    expect(ipBytes('::ffff:1.2.3.4').toString('hex')).toBe('00000000000000000000ffff01020304');
  });
});

describe('a real TLS connection', () => {
  let server: Server | undefined;
  afterEach(async () => {
    server?.closeAllConnections();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    server = undefined;
  });

  async function serve(certPem: string, keyPem: string): Promise<number> {
    server = createServer({ cert: certPem, key: keyPem }, (_req, res) => res.end('hello over TLS'));
    await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
    return (server?.address() as AddressInfo).port;
  }

  it.each(['127.0.0.1', 'localhost'])('succeeds when the client trusts the certificate as its CA (%s)', async (host) => {
    const { certPem, keyPem } = generateSelfSignedCert({ hosts: ['localhost', '127.0.0.1', '::1'] });
    const port = await serve(certPem, keyPem);
    const dispatcher = new Agent({ connect: { ca: certPem } });
    try {
      const res = await request(`https://${host}:${port}/`, { dispatcher });
      expect(res.statusCode).toBe(200);
      expect(await res.body.text()).toBe('hello over TLS');
    } finally {
      await dispatcher.close();
    }
  });

  it('fails when the client does not trust it', async () => {
    const { certPem, keyPem } = generateSelfSignedCert({ hosts: ['127.0.0.1'] });
    const port = await serve(certPem, keyPem);
    const dispatcher = new Agent();
    try {
      await expect(request(`https://127.0.0.1:${port}/`, { dispatcher })).rejects.toMatchObject({
        code: 'DEPTH_ZERO_SELF_SIGNED_CERT',
      });
    } finally {
      await dispatcher.close();
    }
  });

  it('fails for a host name the certificate does not list', async () => {
    const { certPem, keyPem } = generateSelfSignedCert({ hosts: ['127.0.0.1'] });
    const port = await serve(certPem, keyPem);
    const dispatcher = new Agent({ connect: { ca: certPem } });
    try {
      await expect(request(`https://localhost:${port}/`, { dispatcher })).rejects.toMatchObject({
        code: 'ERR_TLS_CERT_ALTNAME_INVALID',
      });
    } finally {
      await dispatcher.close();
    }
  });
});
