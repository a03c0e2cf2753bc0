/**
 * Secrets: the client secret and every access token stay out of stdout, stderr, the
 * output file and its temp file, and the error objects (with their causes) — at `trace`, and
 * even when a server echoes the request back in headers, error pages and Entra error texts.
 */
import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { pullCommand } from '../../src/commands/pull.js';
import { runCli } from '../helpers/cli.js';
import {
  alert,
  answerToken,
  head,
  HOSTILE_CREDENTIALS,
  hostileEnv,
  isTokenRequest,
  respond,
  startHostileServer,
  type HostileRequest,
} from '../helpers/hostile-server.js';

const SECRET = HOSTILE_CREDENTIALS.clientSecret;

/** Everything a server could echo: the request's headers and body, raw and as JSON. */
const echo = (req: HostileRequest): string => `${JSON.stringify(req.headers)}\n${req.body}\n${req.headers['authorization'] ?? ''}`;

function expectClean(label: string, text: string, tokens: readonly string[]): void {
  expect(text, `${label} holds the client secret`).not.toContain(SECRET);
  expect(text, `${label} holds the URL-encoded client secret`).not.toContain(encodeURIComponent(SECRET));
  for (const token of tokens) expect(text, `${label} holds an access token`).not.toContain(token);
}

describe('secrets never leave the process', () => {
  it('a full run at trace against an echoing server: stdout, stderr, the output file and its temp file are clean', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'defender-alerts-secrets-'));
    const target = join(dir, 'alerts.json');
    const tokens: string[] = [];
    let release: () => void = () => {};
    const released = new Promise<void>((resolve) => (release = resolve));
    let tokenCalls = 0;
    let apiCalls = 0;
    const server = await startHostileServer(async (req, socket) => {
      if (isTokenRequest(req)) {
        // First sign-in: a 503 whose page and headers echo the form (client_secret=…).
        if (++tokenCalls === 1) respond(socket, 503, echo(req), { 'x-echo': encodeURIComponent(req.body) });
        else tokens.push(answerToken(socket));
        return;
      }
      // First alert request: a 500 echoing the bearer token; then a slow success that also
      // echoes it in a header (logged at trace) and holds the answer open while the test reads
      // the temp file.
      if (++apiCalls === 1) {
        respond(socket, 500, echo(req), { 'x-echo': req.headers['authorization'] ?? '' });
        return;
      }
      socket.write(head(200, { 'content-type': 'application/json', 'x-echo': req.headers['authorization'] ?? '' }));
      socket.write(`[${JSON.stringify(alert(1))},${JSON.stringify(alert(2))},`);
      await released;
      socket.end(`${JSON.stringify(alert(3))}]`);
    });
    const tempContents: string[] = [];
    try {
      const result = await runCli(['pull', '--log-level', 'trace', '--output', target], {
        env: hostileEnv(server),
        onSpawn: () => {
          const poll = setInterval(() => {
            void (async () => {
              for (const name of await readdir(dir)) {
                if (!name.endsWith('.tmp')) continue;
                const text = await readFile(join(dir, name), 'utf8').catch(() => '');
                if (text.includes('"AlertId"')) {
                  tempContents.push(text);
                  clearInterval(poll);
                  release();
                }
              }
            })();
          }, 20);
          setTimeout(() => {
            clearInterval(poll);
            release();
          }, 10_000);
        },
      });
      expect(result.code, result.stderr).toBe(0);
      expect(result.stderr).toContain('"level":10'); // trace really was on
      expect(result.stderr).toContain('[redacted]'); // the echoed header was logged, censored
      expect(tokens.length).toBeGreaterThanOrEqual(1);
      expect(tempContents).toHaveLength(1);
      const files = await readdir(dir);
      expect(files).toEqual(['alerts.json']);
      const artefacts: Array<[string, string]> = [
        ['stdout', result.stdout],
        ['stderr', result.stderr],
        ['temp file', tempContents.join('')],
        ['output file', await readFile(target, 'utf8')],
      ];
      for (const [label, text] of artefacts) expectClean(label, text, tokens);
    } finally {
      release();
      await server.close();
    }
  });

  it('an Entra error that quotes the secret back: the one-line message shows [redacted]', async () => {
    const server = await startHostileServer((req, socket) => {
      const sent = new URLSearchParams(req.body).get('client_secret') ?? '';
      respond(
        socket,
        401,
        JSON.stringify({
          error: 'invalid_client',
          error_description: `AADSTS7000215: Invalid client secret provided: '${sent}'.\r\nTrace ID: 1`,
          error_codes: [7000215],
        }),
      );
    });
    try {
      const result = await runCli(['pull', '--log-level', 'trace'], { env: hostileEnv(server) });
      expect(result.code).toBe(3);
      expect(result.stderr).toContain("Invalid client secret provided: '[redacted]'");
      expectClean('stderr', result.stderr, []);
    } finally {
      await server.close();
    }
  });

  it.each([
    ['the API answers 500 echoing the request', 'api-500'],
    ['the API resets the connection', 'api-reset'],
    ['the token endpoint answers 400 echoing the form', 'token-400'],
  ])('the error thrown when %s carries no secret, down its whole cause chain', async (_what, fault) => {
    const tokens: string[] = [];
    const server = await startHostileServer((req, socket) => {
      if (isTokenRequest(req)) {
        if (fault === 'token-400')
          respond(socket, 400, JSON.stringify({ error: 'invalid_request', error_description: echo(req) }), { 'x-echo': req.body });
        else tokens.push(answerToken(socket));
      } else if (fault === 'api-reset') {
        socket.resetAndDestroy();
      } else {
        respond(socket, 500, echo(req), { 'x-echo': req.headers['authorization'] ?? '' });
      }
    });
    const stdout = new Writable({ write: (_c, _e, cb) => cb() });
    let thrown: unknown;
    try {
      await pullCommand(
        { maxRetries: '0', logLevel: 'silent' },
        {
          stdout,
          stdin: Readable.from([]),
          env: { ...hostileEnv(server), DEFENDER_LOG_LEVEL: 'silent' },
          signal: new AbortController().signal,
          now: () => new Date(),
        },
      );
    } catch (err) {
      thrown = err;
    } finally {
      await server.close();
    }
    expect(thrown).toBeInstanceOf(Error);
    const dump = inspect(thrown, { depth: Infinity, showHidden: true, maxStringLength: Infinity, maxArrayLength: Infinity });
    if (fault !== 'token-400') expect(tokens).toHaveLength(1);
    expectClean('the error', dump, tokens);
  });
});
