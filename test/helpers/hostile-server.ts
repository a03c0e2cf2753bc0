/**
 * A loopback server scripted byte by byte, for the hardening suite: each request is parsed just
 * enough to route it (request line, headers, a Content-Length body), then handed with its raw
 * socket to the test's script, which may answer correctly, answer garbage, stall, trickle,
 * reset, or stream a body of any size generated lazily (with backpressure, so a 2 GB answer
 * costs the test no memory).
 *
 * One request per connection: every helper answer carries `connection: close`, so the client
 * (undici) opens a fresh connection per attempt and the script always sees a clean socket.
 */
import { once } from 'node:events';
import { createServer as createNetServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { asHumanLine, baseEnv, exitRecords } from './cli.js';

/** What the script is told about one request. */
export interface HostileRequest {
  method: string;
  /** Path and query as sent. */
  target: string;
  /** `target` resolved against the server, for `pathname` and `searchParams`. */
  url: URL;
  /** Header names lower-cased; repeated headers joined with ", ". */
  headers: Record<string, string>;
  body: string;
  /** 1 for the first request this server received. */
  seq: number;
}

/** Answers one request by writing to (and ending, or destroying) the socket. */
export type Script = (req: HostileRequest, socket: Socket) => void | Promise<void>;

export interface HostileServer {
  /** `http://127.0.0.1:<port>` or `https://127.0.0.1:<port>`. */
  url: string;
  port: number;
  /** Every request received, in order. */
  requests: HostileRequest[];
  /** Requests whose path is not the token endpoint. */
  apiRequests(): HostileRequest[];
  /** Requests to the token endpoint. */
  tokenRequests(): HostileRequest[];
  close(): Promise<void>;
}

export interface HostileServerOptions {
  /** Serve TLS with this certificate and key (PEM). */
  tls?: { certPem: string; keyPem: string };
}

/** The published fake credentials the hostile server's token endpoint accepts. */
export const HOSTILE_CREDENTIALS = {
  tenantId: '00000000-0000-4000-8000-00000000bad1',
  clientId: '00000000-0000-4000-8000-00000000bad2',
  clientSecret: 'hostile-secret-0f7c2b9e4a1d',
} as const;

const TOKEN_PATH = /^\/[^/]+\/oauth2\/(?:v2\.0\/)?token$/;
/** A request head larger than this is not something our client sends. */
const MAX_HEAD_BYTES = 64 * 1024;

/** Whether a request is for the Entra-style token endpoint. */
export function isTokenRequest(req: HostileRequest): boolean {
  return TOKEN_PATH.test(req.url.pathname);
}

/** Starts a server on 127.0.0.1 with an ephemeral port. */
export async function startHostileServer(script: Script, opts: HostileServerOptions = {}): Promise<HostileServer> {
  const requests: HostileRequest[] = [];
  const sockets = new Set<Socket>();
  const scheme = opts.tls ? 'https' : 'http';

  const onSocket = (socket: Socket): void => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    // A client that gives up (timeout, signal) resets the socket; that is the point of most tests.
    socket.on('error', () => {});
    let head = Buffer.alloc(0);
    const onData = (data: Buffer): void => {
      head = Buffer.concat([head, data]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) {
        if (head.length > MAX_HEAD_BYTES) socket.destroy();
        return;
      }
      const lines = head.subarray(0, end).toString('latin1').split('\r\n');
      const [method = '', target = '/'] = (lines[0] ?? '').split(' ');
      const headers: Record<string, string> = {};
      for (const line of lines.slice(1)) {
        const colon = line.indexOf(':');
        if (colon <= 0) continue;
        const name = line.slice(0, colon).trim().toLowerCase();
        const value = line.slice(colon + 1).trim();
        headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
      }
      const length = Number(headers['content-length'] ?? '0');
      const rest = head.subarray(end + 4);
      if (rest.length < length) return;
      socket.off('data', onData);
      const req: HostileRequest = {
        method,
        target,
        url: new URL(target, `${scheme}://127.0.0.1`),
        headers,
        body: rest.subarray(0, length).toString('utf8'),
        seq: requests.length + 1,
      };
      requests.push(req);
      Promise.resolve(script(req, socket)).catch(() => socket.destroy());
    };
    socket.on('data', onData);
  };

  let server: Server;
  if (opts.tls) {
    const tlsServer = createTlsServer({ cert: opts.tls.certPem, key: opts.tls.keyPem }, onSocket);
    // A client that rejects our certificate aborts the handshake: expected in the TLS tests.
    tlsServer.on('tlsClientError', () => {});
    server = tlsServer;
  } else {
    server = createNetServer(onSocket);
  }
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;

  return {
    url: `${scheme}://127.0.0.1:${port}`,
    port,
    requests,
    apiRequests: () => requests.filter((r) => !isTokenRequest(r)),
    tokenRequests: () => requests.filter(isTokenRequest),
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A status line and headers (with `connection: close`), ready to write. */
export function head(status: number, headers: Record<string, string | number> = {}): string {
  const lines = [`HTTP/1.1 ${status} ${status === 200 ? 'OK' : 'Status'}`, 'connection: close'];
  for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
  return `${lines.join('\r\n')}\r\n\r\n`;
}

/** A complete answer with a Content-Length, then the connection closes. */
export function respond(socket: Socket, status: number, body: string | Buffer = '', headers: Record<string, string | number> = {}): void {
  const bytes = typeof body === 'string' ? Buffer.from(body) : body;
  socket.end(
    Buffer.concat([Buffer.from(head(status, { 'content-type': 'application/json', 'content-length': bytes.length, ...headers })), bytes]),
  );
}

/** Writes `chunk` and waits for the socket to take more; false once the client went away. */
export async function writeOrStop(socket: Socket, chunk: Buffer | string): Promise<boolean> {
  if (socket.destroyed) return false;
  if (socket.write(chunk)) return true;
  // The waiter that loses the race is removed: a long body waits for 'drain' thousands of times
  // on one socket, and each 'close' (and 'error') listener left behind would stay until the end.
  const settled = new AbortController();
  try {
    return await Promise.race([
      once(socket, 'drain', { signal: settled.signal }).then(() => true),
      once(socket, 'close', { signal: settled.signal }).then(() => false),
    ]);
  } finally {
    settled.abort();
  }
}

/**
 * Streams a body made by `next()` (undefined = the end) without Content-Length, so the client
 * reads until the connection closes; stops early if the client goes away.
 */
export async function streamBody(
  socket: Socket,
  next: () => Buffer | string | undefined,
  headers: Record<string, string> = { 'content-type': 'application/json' },
): Promise<void> {
  if (!(await writeOrStop(socket, head(200, headers)))) return;
  for (let chunk = next(); chunk !== undefined; chunk = next()) {
    if (!(await writeOrStop(socket, chunk))) return;
  }
  socket.end();
}

let tokenCounter = 0;

/** A fresh, unmistakable access token (`hostile-token-<n>-<random>`), to grep artefacts for. */
export function newToken(): string {
  tokenCounter += 1;
  return `hostile-token-${tokenCounter}-${Math.random().toString(36).slice(2, 12)}`;
}

/** Answers a token request with an Entra v1-shaped token; returns the token. */
export function answerToken(socket: Socket, token = newToken(), expiresInSeconds: number | string = 3599): string {
  respond(socket, 200, JSON.stringify({ token_type: 'Bearer', expires_in: String(expiresInSeconds), access_token: token }));
  return token;
}

/**
 * A script that answers token requests with fresh tokens (recorded in `tokens`) and passes every
 * other request to `api`.
 */
export function withTokens(api: Script, tokens: string[] = []): Script {
  return (req, socket) => {
    if (isTokenRequest(req)) {
      tokens.push(answerToken(socket));
      return;
    }
    return api(req, socket);
  };
}

/** One small valid SIEM alert; `n` makes its ids unique. */
export function alert(n: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const id = `da${String(637_000_000_000_000_000n + BigInt(n))}_${n % 1000}`;
  return {
    AlertId: id,
    FullId: `${id}:${n}`,
    AlertTitle: 'Suspicious PowerShell command line',
    Severity: 'High',
    LastProcessedTimeUtc: '2024-05-01T10:00:00.1234567Z',
    ...extra,
  };
}

/** The CLI's environment pointing both the authority host and the base URL at `server`. */
export function hostileEnv(server: { url: string }, extra: Record<string, string | undefined> = {}): Record<string, string> {
  return baseEnv({
    AZURE_TENANT_ID: HOSTILE_CREDENTIALS.tenantId,
    AZURE_CLIENT_ID: HOSTILE_CREDENTIALS.clientId,
    AZURE_CLIENT_SECRET: HOSTILE_CREDENTIALS.clientSecret,
    DEFENDER_BASE_URL: server.url,
    AZURE_AUTHORITY_HOST: server.url,
    DEFENDER_LOG_LEVEL: 'debug',
    ...extra,
  });
}

/**
 * The alerts in the CLI's stdout, after checking it holds nothing but complete alerts: for
 * `ndjson` every line is one whole alert; for `json` one array — or, when `allowUnclosed`, the
 * start of one whose elements are all complete (what a failed run leaves today). Throws otherwise.
 */
export function completeAlerts(
  stdout: string,
  format: 'json' | 'ndjson',
  opts: { allowUnclosed?: boolean } = {},
): Array<Record<string, unknown>> {
  let alerts: unknown[];
  if (format === 'ndjson') {
    if (stdout !== '' && !stdout.endsWith('\n')) throw new Error(`ndjson output ends mid-line: ${JSON.stringify(stdout.slice(-80))}`);
    alerts =
      stdout === ''
        ? []
        : stdout
            .slice(0, -1)
            .split('\n')
            .map((line) => JSON.parse(line) as unknown);
  } else if (stdout === '') {
    alerts = [];
  } else {
    let text = stdout;
    if (opts.allowUnclosed && !/\]\s*$/.test(text)) text = `${text}]`;
    const parsed = JSON.parse(text) as unknown;
    if (!Array.isArray(parsed)) throw new Error('json output is not an array');
    alerts = parsed;
  }
  for (const a of alerts) {
    if (typeof a !== 'object' || a === null || typeof (a as { AlertId?: unknown }).AlertId !== 'string') {
      throw new Error(`not an alert in the output: ${JSON.stringify(a).slice(0, 80)}`);
    }
  }
  return alerts as Array<Record<string, unknown>>;
}

/**
 * The one error record a failed run ends with (exactly one must be present), as the line a person
 * reads on a terminal: `defender-alerts: <message> — <hint>`.
 */
export function failureLine(stderr: string): string {
  const lines = exitRecords(stderr).filter((r) => r.level >= 50);
  if (lines.length !== 1) throw new Error(`expected one failure line, got ${lines.length}:\n${stderr.slice(-2000)}`);
  return asHumanLine(lines[0]!);
}
