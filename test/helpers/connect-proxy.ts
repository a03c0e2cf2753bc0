/**
 * A real forward proxy on loopback for tests: HTTP CONNECT tunnels (what undici's ProxyAgent
 * uses for every target by default) and plain absolute-URI requests, with optional Basic auth.
 */
import { createServer, request as httpRequest, type IncomingMessage } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';

export interface ConnectProxyOptions {
  /** Demand these Basic credentials; answer 407 with Proxy-Authenticate otherwise. */
  auth?: { user: string; pass: string };
  /** Answer every request 403 (a proxy whose policy forbids the target). */
  refuse?: boolean;
}

export interface ConnectProxy {
  /** `http://127.0.0.1:<port>` (no credentials: add them yourself). */
  url: string;
  /** `host:port` of each CONNECT received, in order, including refused ones. */
  connects: string[];
  /** Absolute URIs of plain (non-tunnelled) requests received. */
  requests: string[];
  close(): Promise<void>;
}

/** Start a proxy on 127.0.0.1 with an ephemeral port. */
export async function startConnectProxy(opts: ConnectProxyOptions = {}): Promise<ConnectProxy> {
  const connects: string[] = [];
  const requests: string[] = [];
  const sockets = new Set<Duplex>();
  const track = (s: Duplex): void => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  };

  const expected = opts.auth === undefined ? undefined : `Basic ${Buffer.from(`${opts.auth.user}:${opts.auth.pass}`).toString('base64')}`;

  /** The status to refuse with, or undefined to let the request through. */
  const gate = (req: IncomingMessage): 403 | 407 | undefined => {
    if (opts.refuse) return 403;
    if (expected !== undefined && req.headers['proxy-authorization'] !== expected) return 407;
    return undefined;
  };

  const server = createServer((req, res) => {
    requests.push(req.url ?? '');
    const refusal = gate(req);
    if (refusal !== undefined) {
      res.writeHead(refusal, refusal === 407 ? { 'proxy-authenticate': 'Basic realm="test"' } : {}).end();
      return;
    }
    let target: URL;
    try {
      target = new URL(req.url ?? '');
    } catch {
      res.writeHead(400).end('absolute URI required');
      return;
    }
    const headers = { ...req.headers };
    delete headers['proxy-authorization'];
    delete headers['proxy-connection'];
    const upstream = httpRequest(target, { method: req.method, headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    upstream.on('error', () => {
      if (!res.headersSent) res.writeHead(502).end();
      else res.destroy();
    });
    req.pipe(upstream);
  });

  server.on('connection', (s: Socket) => track(s));

  server.on('connect', (req: IncomingMessage, client: Duplex, head: Buffer) => {
    const authority = req.url ?? '';
    connects.push(authority);
    track(client);
    client.on('error', () => client.destroy());

    const refusal = gate(req);
    if (refusal !== undefined) {
      const extra = refusal === 407 ? 'Proxy-Authenticate: Basic realm="test"\r\n' : '';
      const text = refusal === 407 ? 'Proxy Authentication Required' : 'Forbidden';
      client.end(`HTTP/1.1 ${refusal} ${text}\r\n${extra}Content-Length: 0\r\n\r\n`);
      return;
    }

    const { hostname, port } = new URL(`http://${authority}`);
    const upstream = connect({ host: hostname.replace(/^\[|\]$/g, ''), port: Number(port) || 443 });
    track(upstream);
    let established = false;
    upstream.on('connect', () => {
      established = true;
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length > 0) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    upstream.on('error', () => {
      if (!established && client.writable) {
        client.end('HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n');
      } else {
        client.destroy();
      }
    });
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    connects,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
