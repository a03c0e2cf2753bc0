/**
 * Token endpoint faults: 5xx and throttling, a 200 without `access_token`, an
 * `expires_in` already past, and a token that expires mid-run — the retry must sign in again.
 */
import type { Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { runCli, type CliResult } from '../helpers/cli.js';
import {
  alert,
  answerToken,
  completeAlerts,
  failureLine,
  HOSTILE_CREDENTIALS,
  hostileEnv,
  isTokenRequest,
  newToken,
  respond,
  startHostileServer,
  type HostileRequest,
  type HostileServer,
} from '../helpers/hostile-server.js';

type TokenScript = (req: HostileRequest, socket: Socket, n: number) => void;
type ApiScript = (req: HostileRequest, socket: Socket, n: number) => void;

const okAlerts: ApiScript = (_req, socket) => respond(socket, 200, JSON.stringify([alert(1)]));

async function pullWith(token: TokenScript, api: ApiScript, args: string[] = []): Promise<{ result: CliResult; server: HostileServer }> {
  let tokenCalls = 0;
  let apiCalls = 0;
  const server = await startHostileServer((req, socket) => {
    if (isTokenRequest(req)) token(req, socket, ++tokenCalls);
    else api(req, socket, ++apiCalls);
  });
  try {
    const result = await runCli(['pull', ...args], { env: hostileEnv(server) });
    expect(result.stderr).not.toContain('internal error');
    expect(result.stderr).not.toContain(HOSTILE_CREDENTIALS.clientSecret);
    return { result, server };
  } finally {
    await server.close();
  }
}

const bearer = (req: HostileRequest): string => (req.headers['authorization'] ?? '').replace(/^Bearer /, '');

describe('token endpoint faults', () => {
  it('503 twice, then a token: retried, the run succeeds', async () => {
    const { result, server } = await pullWith((_r, socket, n) => (n <= 2 ? respond(socket, 503, '') : answerToken(socket)), okAlerts);
    expect(result.code, result.stderr).toBe(0);
    expect(completeAlerts(result.stdout, 'json')).toHaveLength(1);
    expect(server.tokenRequests()).toHaveLength(3);
  });

  it('500 forever: exit 5 after the retries, no alert request made', async () => {
    const { result, server } = await pullWith((_r, socket) => respond(socket, 500, '{"error":"server_error"}'), okAlerts, [
      '--max-retries',
      '2',
    ]);
    expect(result.code).toBe(5);
    expect(failureLine(result.stderr)).toMatch(/oauth2\/token answered HTTP 500 Internal Server Error \(after 3 attempts\)/);
    expect(server.apiRequests()).toHaveLength(0);
    expect(result.stdout).toBe('');
  });

  it('429 with Retry-After: honoured, then the run succeeds', async () => {
    const { result, server } = await pullWith(
      (_r, socket, n) => (n === 1 ? respond(socket, 429, '', { 'retry-after': '1' }) : answerToken(socket)),
      okAlerts,
    );
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain('waiting 1s as the server asked');
    expect(server.tokenRequests()).toHaveLength(2);
  });

  it.each([
    ['no access_token', '{"token_type":"Bearer","expires_in":"3599"}'],
    ['an empty access_token', '{"token_type":"Bearer","access_token":""}'],
    ['an HTML page', '<html><body>Sign in to the Wi-Fi</body></html>'],
    ['a JSON array', '[]'],
  ])('200 with %s: exit 3 naming --authority-host, no alert request made', async (_what, body) => {
    const { result, server } = await pullWith((_r, socket) => respond(socket, 200, body), okAlerts);
    expect(result.code).toBe(3);
    expect(failureLine(result.stderr)).toMatch(/answered 200 without an access_token — check --authority-host/);
    expect(server.apiRequests()).toHaveLength(0);
  });

  it('expires_in already past (0, or expires_on in the past): the token is used, the run ends', async () => {
    const { result: zero } = await pullWith((_r, socket) => answerToken(socket, newToken(), 0), okAlerts);
    expect(zero.code, zero.stderr).toBe(0);
    const { result: past } = await pullWith(
      (_r, socket) => respond(socket, 200, JSON.stringify({ token_type: 'Bearer', access_token: newToken(), expires_on: '1000000000' })),
      okAlerts,
    );
    expect(past.code, past.stderr).toBe(0);
    expect(completeAlerts(past.stdout, 'json')).toHaveLength(1);
  });

  it('a token that expires mid-run: the retry gets a fresh token, never the stale one', async () => {
    // Tokens live 1 s; the first alert answer is a 503 asking to wait 2 s, so the retry must not
    // reuse the first token (the server answers 401 to a stale one, which would end the run).
    const issued: string[] = [];
    const { result, server } = await pullWith(
      (_r, socket) => issued.push(answerToken(socket, newToken(), 1)),
      (req, socket, n) => {
        if (n === 1) respond(socket, 503, '', { 'retry-after': '2' });
        else if (bearer(req) !== issued[issued.length - 1]) respond(socket, 401, '{"error":"expired"}');
        else okAlerts(req, socket, n);
      },
    );
    expect(result.code, result.stderr).toBe(0);
    const [first, second] = server.apiRequests().map(bearer);
    expect(first).toBe(issued[0]);
    expect(second).toBe(issued[1]);
    expect(second).not.toBe(first);
    for (const token of issued) expect(result.stderr + result.stdout).not.toContain(token);
  });
});
