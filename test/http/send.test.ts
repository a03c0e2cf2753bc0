import { createServer, type IncomingHttpHeaders, type RequestListener, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Dispatcher } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { HttpStatusError, TransportError } from '../../src/http/errors.js';
import { send } from '../../src/http/send.js';
import { makeTestCert } from '../helpers/tls.js';
import { rejection } from '../helpers/rejection.js';
import { dispatcherPerTest } from '../helpers/dispatcher.js';

interface Loopback {
  url: URL;
  /** Request headers of every request received, in order. */
  hits: IncomingHttpHeaders[];
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((fn) => fn()));
});

async function listen(server: Server, protocol: 'http' | 'https'): Promise<URL> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(
    () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return new URL(`${protocol}://127.0.0.1:${(server.address() as AddressInfo).port}/`);
}

async function serve(handler: RequestListener): Promise<Loopback> {
  const hits: IncomingHttpHeaders[] = [];
  const server = createServer((req, res) => {
    hits.push(req.headers);
    handler(req, res);
  });
  return { url: await listen(server, 'http'), hits };
}

const testDispatcher = dispatcherPerTest();
const dispatcher = (timeoutMs = 5_000): Dispatcher => testDispatcher({ timeoutMs });

async function text(body: AsyncIterable<Buffer>): Promise<string> {
  const parts: Buffer[] = [];
  for await (const chunk of body) {
    expect(Buffer.isBuffer(chunk)).toBe(true);
    parts.push(chunk);
  }
  return Buffer.concat(parts).toString('utf8');
}

describe('send', () => {
  it('returns a 2xx answer with its headers and a Buffer stream of its body', async () => {
    const server = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('[{"AlertId":');
      res.end('"da1"}]');
    });
    const sent = await send({ method: 'GET', url: new URL('/api/alerts', server.url) }, { dispatcher: dispatcher() });
    expect(sent.status).toBe(200);
    expect(sent.headers['content-type']).toBe('application/json');
    expect(await text(sent.body)).toBe('[{"AlertId":"da1"}]');
  });

  it('sends the method, headers and body it is given', async () => {
    let received = '';
    const server = await serve((req, res) => {
      req.setEncoding('utf8');
      req.on('data', (c: string) => (received += c));
      req.on('end', () => res.end(JSON.stringify({ method: req.method })));
    });
    const sent = await send(
      {
        method: 'POST',
        url: server.url,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'grant_type=client_credentials',
      },
      { dispatcher: dispatcher() },
    );
    expect(await text(sent.body)).toBe('{"method":"POST"}');
    expect(received).toBe('grant_type=client_credentials');
    expect(server.hits[0]?.['content-type']).toBe('application/x-www-form-urlencoded');
  });

  it('throws HttpStatusError with status, headers and body for a 4xx', async () => {
    const server = await serve((_req, res) => {
      res.writeHead(401, { 'www-authenticate': 'Bearer' }).end('{"error":"invalid_token"}');
    });
    const err = await rejection(send({ method: 'GET', url: server.url }, { dispatcher: dispatcher() }));
    expect(err).toBeInstanceOf(HttpStatusError);
    expect(err).toMatchObject({ status: 401, bodyText: '{"error":"invalid_token"}', headers: { 'www-authenticate': 'Bearer' } });
    expect(server.hits).toHaveLength(1);
  });

  it('keeps only the first 64 KiB of a large error body', async () => {
    const server = await serve((_req, res) => {
      res.writeHead(500);
      res.end('x'.repeat(1024 * 1024));
    });
    const err = await rejection(send({ method: 'GET', url: server.url }, { dispatcher: dispatcher() }));
    expect(err).toBeInstanceOf(HttpStatusError);
    expect((err as HttpStatusError).bodyText).toHaveLength(64 * 1024);
  });

  it('does not follow a redirect, so the Authorization header never reaches the other host', async () => {
    const elsewhere = await serve((_req, res) => res.end('[]'));
    const server = await serve((_req, res) => {
      res.writeHead(302, { location: new URL('/api/alerts', elsewhere.url).href }).end();
    });
    const err = await rejection(
      send({ method: 'GET', url: server.url, headers: { authorization: 'Bearer secret-token' } }, { dispatcher: dispatcher() }),
    );
    expect(err).toBeInstanceOf(HttpStatusError);
    expect((err as HttpStatusError).status).toBe(302);
    expect((err as HttpStatusError).message).toContain('not followed');
    expect(server.hits[0]?.authorization).toBe('Bearer secret-token');
    expect(elsewhere.hits).toHaveLength(0);
  });

  it('turns a headers timeout into a TransportError that names the limit', async () => {
    const server = await serve(() => {
      // never answer
    });
    const err = await rejection(send({ method: 'GET', url: server.url }, { dispatcher: dispatcher(300), timeoutMs: 300 }));
    expect(err).toBeInstanceOf(TransportError);
    expect((err as TransportError).transportCode).toBe('UND_ERR_HEADERS_TIMEOUT');
    expect((err as TransportError).message).toContain('no response within 0.3 s; raise --timeout');
  });

  it('turns a stall between body chunks into a TransportError while iterating', async () => {
    const server = await serve((_req, res) => {
      res.writeHead(200);
      res.write('[{"AlertId":"da1"},'); // …and then nothing, connection kept open
    });
    const sent = await send({ method: 'GET', url: server.url }, { dispatcher: dispatcher(300), timeoutMs: 300 });
    const err = await rejection(text(sent.body));
    expect(err).toBeInstanceOf(TransportError);
    expect((err as TransportError).transportCode).toBe('UND_ERR_BODY_TIMEOUT');
  });

  it('turns a body cut off mid-stream into a TransportError', async () => {
    const server = await serve((_req, res) => {
      res.writeHead(200, { 'content-length': '1000' });
      res.write('[{"AlertId":"da1"},', () => res.socket?.destroy());
    });
    const sent = await send({ method: 'GET', url: server.url }, { dispatcher: dispatcher() });
    const err = await rejection(text(sent.body));
    expect(err).toBeInstanceOf(TransportError);
    expect((err as TransportError).transportCode).toBe('UND_ERR_SOCKET');
  });

  it('turns a refused connection into a TransportError', async () => {
    const server = createServer();
    const url = await listen(server, 'http');
    await new Promise((resolve) => server.close(resolve));
    const err = await rejection(send({ method: 'GET', url }, { dispatcher: dispatcher() }));
    expect(err).toBeInstanceOf(TransportError);
    expect((err as TransportError).transportCode).toBe('ECONNREFUSED');
    expect((err as TransportError).message).toContain(`cannot connect to ${url.host}`);
  });

  it('rejects an untrusted certificate, pointing at NODE_EXTRA_CA_CERTS', async () => {
    const cert = await makeTestCert();
    const server = createHttpsServer({ cert: cert.certPem, key: cert.keyPem }, (_req, res) => res.end('[]'));
    const url = await listen(server, 'https');
    const err = await rejection(send({ method: 'GET', url }, { dispatcher: dispatcher() }));
    expect(err).toBeInstanceOf(TransportError);
    expect((err as TransportError).transportCode).toBe('DEPTH_ZERO_SELF_SIGNED_CERT');
    expect((err as TransportError).message).toContain('NODE_EXTRA_CA_CERTS');
  });

  it('lets an abort through as-is, while waiting for headers and while reading the body', async () => {
    const server = await serve((req, res) => {
      if (req.url === '/body') res.writeHead(200).write('[');
    });
    const reason = new Error('interrupted');

    const early = new AbortController();
    const pending = send({ method: 'GET', url: server.url }, { dispatcher: dispatcher(), signal: early.signal });
    early.abort(reason);
    expect(await rejection(pending)).toBe(reason);

    const late = new AbortController();
    const sent = await send({ method: 'GET', url: new URL('/body', server.url) }, { dispatcher: dispatcher(), signal: late.signal });
    const reading = text(sent.body);
    late.abort(reason);
    expect(await rejection(reading)).toBe(reason);
  });
});
