import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createTcpServer, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Dispatcher } from 'undici';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { createDispatcher } from '../../src/http/dispatcher.js';
import { TransportError } from '../../src/http/errors.js';
import { send } from '../../src/http/send.js';
import { startConnectProxy, type ConnectProxy } from '../helpers/connect-proxy.js';
import { makeTestCert, type TestCert } from '../helpers/tls.js';
import { rejection } from '../helpers/rejection.js';
import { dispatcherPerTest } from '../helpers/dispatcher.js';

const run = promisify(execFile);

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((fn) => fn()));
});

let cert: TestCert;
beforeAll(async () => {
  cert = await makeTestCert();
});

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return (server.address() as AddressInfo).port;
}

/** An HTTPS origin on loopback with the test certificate; answers its own name. */
async function httpsOrigin(withCert: TestCert = cert): Promise<URL> {
  const port = await listen(createHttpsServer({ cert: withCert.certPem, key: withCert.keyPem }, (_req, res) => res.end('https-origin')));
  return new URL(`https://localhost:${port}/api/alerts`);
}

async function httpOrigin(): Promise<URL> {
  const port = await listen(createServer((_req, res) => res.end('http-origin')));
  return new URL(`http://127.0.0.1:${port}/api/alerts`);
}

async function proxy(opts?: Parameters<typeof startConnectProxy>[0]): Promise<ConnectProxy> {
  const p = await startConnectProxy(opts);
  cleanups.push(() => p.close());
  return p;
}

const dispatcher = dispatcherPerTest();

async function get(url: URL, d: Dispatcher): Promise<string> {
  const sent = await send({ method: 'GET', url }, { dispatcher: d });
  const parts: Buffer[] = [];
  for await (const chunk of sent.body) parts.push(chunk);
  return Buffer.concat(parts).toString('utf8');
}

describe('createDispatcher', () => {
  it('tunnels HTTPS through the CONNECT proxy named by HTTPS_PROXY', async () => {
    const origin = await httpsOrigin();
    const p = await proxy();
    const d = dispatcher({ timeoutMs: 5_000, ca: cert.certPem, env: { HTTPS_PROXY: p.url } });
    expect(await get(origin, d)).toBe('https-origin');
    expect(p.connects).toEqual([origin.host]);
  });

  it('sends plain HTTP through HTTP_PROXY', async () => {
    const origin = await httpOrigin();
    const p = await proxy();
    const d = dispatcher({ timeoutMs: 5_000, env: { HTTP_PROXY: p.url } });
    expect(await get(origin, d)).toBe('http-origin');
    // undici tunnels plain HTTP too (ProxyAgent proxyTunnel defaults to true).
    expect(p.connects).toEqual([origin.host]);
  });

  it('uses HTTP_PROXY for HTTPS when HTTPS_PROXY is unset, and accepts a proxy without a scheme', async () => {
    const origin = await httpsOrigin();
    const p = await proxy();
    const d = dispatcher({ timeoutMs: 5_000, ca: cert.certPem, env: { HTTP_PROXY: new URL(p.url).host } });
    expect(await get(origin, d)).toBe('https-origin');
    expect(p.connects).toHaveLength(1);
  });

  it('prefers the lower-case variable, as curl does', async () => {
    const origin = await httpsOrigin();
    const good = await proxy();
    const bad = await proxy({ refuse: true });
    const d = dispatcher({ timeoutMs: 5_000, ca: cert.certPem, env: { https_proxy: good.url, HTTPS_PROXY: bad.url } });
    expect(await get(origin, d)).toBe('https-origin');
    expect(bad.connects).toEqual([]);
  });

  it('sends user:password from the proxy URL as Basic credentials, percent-decoded', async () => {
    const origin = await httpsOrigin();
    const pass = 'p@ss:w/rd%';
    const p = await proxy({ auth: { user: 'DOMAIN\\alice', pass } });
    const proxyUrl = new URL(p.url);
    proxyUrl.username = encodeURIComponent('DOMAIN\\alice');
    proxyUrl.password = encodeURIComponent(pass);
    const d = dispatcher({ timeoutMs: 5_000, ca: cert.certPem, env: { HTTPS_PROXY: proxyUrl.href } });
    expect(await get(origin, d)).toBe('https-origin');
  });

  it('reports a 407 from the proxy as a TransportError naming HTTPS_PROXY', async () => {
    const origin = await httpsOrigin();
    const p = await proxy({ auth: { user: 'alice', pass: 'right' } });
    const wrong = new URL(p.url);
    wrong.username = 'alice';
    wrong.password = 'wrong';
    const err = await rejection(get(origin, dispatcher({ timeoutMs: 5_000, env: { HTTPS_PROXY: wrong.href } })));
    expect(err).toBeInstanceOf(TransportError);
    expect((err as TransportError).transportCode).toBe('PROXY_407');
    expect((err as TransportError).message).toContain('HTTPS_PROXY');
    expect((err as TransportError).message).not.toContain('wrong');
  });

  it('reports a proxy that forbids the target as PROXY_403', async () => {
    const origin = await httpsOrigin();
    const p = await proxy({ refuse: true });
    const err = await rejection(get(origin, dispatcher({ timeoutMs: 5_000, env: { HTTPS_PROXY: p.url } })));
    expect((err as TransportError).transportCode).toBe('PROXY_403');
    expect(p.connects).toEqual([origin.host]);
  });

  it('goes direct for hosts in NO_PROXY', async () => {
    const origin = await httpsOrigin();
    const p = await proxy();
    const d = dispatcher({ timeoutMs: 5_000, ca: cert.certPem, env: { HTTPS_PROXY: p.url, NO_PROXY: 'example.test,localhost' } });
    expect(await get(origin, d)).toBe('https-origin');
    expect(p.connects).toEqual([]);
  });

  it('checks the origin certificate inside the tunnel: untrusted', async () => {
    const origin = await httpsOrigin();
    const p = await proxy();
    const err = await rejection(get(origin, dispatcher({ timeoutMs: 5_000, env: { HTTPS_PROXY: p.url } })));
    expect((err as TransportError).transportCode).toBe('DEPTH_ZERO_SELF_SIGNED_CERT');
    expect((err as TransportError).message).toContain('set NODE_EXTRA_CA_CERTS to a PEM file with your CA');
  });

  it('checks the origin certificate inside the tunnel: wrong host name', async () => {
    const elsewhere = await makeTestCert(['elsewhere.test']);
    const origin = await httpsOrigin(elsewhere);
    const p = await proxy();
    const err = await rejection(get(origin, dispatcher({ timeoutMs: 5_000, ca: elsewhere.certPem, env: { HTTPS_PROXY: p.url } })));
    expect(err).toBeInstanceOf(TransportError);
    expect((err as TransportError).transportCode).toBe('ERR_TLS_CERT_ALTNAME_INVALID');
  });

  it('times out a proxy that accepts the connection but never answers CONNECT', { timeout: 10_000 }, async () => {
    const accepted: Socket[] = [];
    const silent = createTcpServer((socket) => void accepted.push(socket)); // accept, say nothing
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    cleanups.push(
      () =>
        new Promise((resolve) => {
          for (const socket of accepted) socket.destroy();
          silent.close(resolve);
        }),
    );
    const silentUrl = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
    const d = dispatcher({ timeoutMs: 300, env: { HTTPS_PROXY: silentUrl } });
    const err = await rejection(get(new URL('https://example.test/api/alerts'), d));
    expect((err as TransportError).transportCode).toBe('UND_ERR_HEADERS_TIMEOUT');
  });

  it('applies the body timeout through the tunnel too', async () => {
    const port = await listen(
      createServer((_req, res) => {
        res.writeHead(200).write('[');
      }),
    );
    const p = await proxy();
    const d = dispatcher({ timeoutMs: 300, env: { HTTP_PROXY: p.url } });
    const err = await rejection(get(new URL(`http://127.0.0.1:${port}/`), d));
    expect((err as TransportError).transportCode).toBe('UND_ERR_BODY_TIMEOUT');
    expect(p.connects).toHaveLength(1);
  });

  it.each([['http://[::1'], ['ftp://proxy.test:21']])('rejects the proxy setting %s with a UsageError', (value) => {
    expect(() => createDispatcher({ timeoutMs: 1_000, env: { HTTPS_PROXY: value } })).toThrow(UsageError);
  });
});

/**
 * NODE_EXTRA_CA_CERTS is read once at process start, so it is proved in a child process. The
 * child cannot load this TypeScript source, so it builds the EnvHttpProxyAgent with the same
 * TLS-relevant options as createDispatcher (no `ca`, timeouts in connect/proxyTls/requestTls).
 */
describe('NODE_EXTRA_CA_CERTS through the proxy tunnel (child process)', () => {
  const script = `
    const { EnvHttpProxyAgent, request } = require('undici');
    const t = { timeout: 5000 };
    const dispatcher = new EnvHttpProxyAgent({ headersTimeout: 5000, bodyTimeout: 5000, connect: t, proxyTls: t, requestTls: t });
    request(process.env.TARGET, { dispatcher })
      .then((res) => res.body.text())
      .then((text) => { console.log('ok ' + text); process.exit(0); })
      .catch((err) => { console.log('error ' + (err.code ?? err.message)); process.exit(0); });
  `;

  async function runChild(target: URL, proxyUrl: string, extraCa: string | undefined): Promise<string> {
    const env: NodeJS.ProcessEnv = { PATH: process.env['PATH'], TARGET: target.href, HTTPS_PROXY: proxyUrl };
    if (extraCa !== undefined) env['NODE_EXTRA_CA_CERTS'] = extraCa;
    const { stdout } = await run(process.execPath, ['-e', script], { cwd: process.cwd(), env, timeout: 20_000 });
    return stdout.trim();
  }

  it('trusts a CA from NODE_EXTRA_CA_CERTS for an origin reached through the proxy', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'defender-alerts-ca-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const caFile = join(dir, 'ca.pem');
    await writeFile(caFile, cert.certPem);
    const origin = await httpsOrigin();
    const p = await proxy();

    expect(await runChild(origin, p.url, undefined)).toBe('error DEPTH_ZERO_SELF_SIGNED_CERT');
    expect(await runChild(origin, p.url, caFile)).toBe('ok https-origin');
    expect(p.connects).toEqual([origin.host, origin.host]);
  });
});
