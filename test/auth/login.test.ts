/**
 * The pieces of user sign-in with plain values and a scripted loopback token endpoint: PKCE,
 * the authorize URL, judging the redirect, device-code polling (interval, slow_down, expiry,
 * denial), the id_token's account name, where the cache lives and how it is written.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { authorizeUrl, listenForRedirect, parseRedirect } from '../../src/auth/authorization-code.js';
import { pollStep, signInWithDeviceCode } from '../../src/auth/device-code.js';
import { createPkcePair, s256Challenge } from '../../src/auth/pkce.js';
import { findEntry, readTokenCache, removeEntries, saveEntry, tokenCachePath } from '../../src/auth/token-store.js';
import { accountFromIdToken, resourceScope } from '../../src/auth/user-credential.js';
import { resolveAuthConfig, resolveLoginConfig } from '../../src/config/resolve.js';
import { AuthError, DataError, UsageError } from '../../src/errors.js';
import { createDispatcher } from '../../src/http/dispatcher.js';
import { fastFailRetry } from '../helpers/retry.js';

// RFC 7636 Appendix B.
const RFC_OCTETS = Buffer.from([
  116, 24, 223, 180, 151, 153, 224, 37, 79, 250, 96, 125, 216, 173, 187, 186, 22, 212, 37, 77, 105, 214, 191, 240, 91, 88, 5, 88, 83, 132,
  141, 121,
]);

describe('PKCE', () => {
  it('matches RFC 7636 Appendix B', () => {
    const pair = createPkcePair(() => RFC_OCTETS);
    expect(pair.verifier).toBe('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk');
    expect(pair.challenge).toBe('E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM');
    expect(s256Challenge(pair.verifier)).toBe(pair.challenge);
  });

  it('makes a fresh 43-character verifier each time', () => {
    const a = createPkcePair();
    const b = createPkcePair();
    expect(a.verifier).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(a.verifier).not.toBe(b.verifier);
  });
});

describe('the authorize URL and the redirect', () => {
  it('asks for a code with S256 PKCE, the API scope plus offline_access, and the state', () => {
    const pkce = createPkcePair(() => RFC_OCTETS);
    const url = authorizeUrl({
      authorityHost: new URL('https://login.microsoftonline.com'),
      tenant: 'contoso.onmicrosoft.com',
      clientId: 'c1',
      redirectUri: 'http://127.0.0.1:5000/',
      scope: resourceScope({ version: 'v1', resource: 'https://WDATPAlertExport.Seville.onmicrosoft.com/' }),
      pkce,
      state: 'st',
    });
    expect(url.origin + url.pathname).toBe('https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/authorize');
    expect(Object.fromEntries(url.searchParams)).toEqual({
      client_id: 'c1',
      response_type: 'code',
      redirect_uri: 'http://127.0.0.1:5000/',
      scope: 'https://WDATPAlertExport.Seville.onmicrosoft.com/.default openid profile offline_access',
      code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
      code_challenge_method: 'S256',
      state: 'st',
    });
  });

  it('takes the code only with the right state; a wrong state wins over everything else', () => {
    expect(parseRedirect(new URLSearchParams({ code: 'abc', state: 's' }), 's')).toEqual({ ok: true, code: 'abc' });
    const forged = parseRedirect(new URLSearchParams({ code: 'abc', state: 'x' }), 's');
    expect(!forged.ok && forged.error.code).toBe('STATE_MISMATCH');
    const noState = parseRedirect(new URLSearchParams({ error: 'access_denied' }), 's');
    expect(!noState.ok && noState.error.code).toBe('STATE_MISMATCH');
  });

  it('reports a declined sign-in with the AADSTS sentence', () => {
    const out = parseRedirect(
      new URLSearchParams({
        error: 'access_denied',
        error_description: 'AADSTS65004: User declined to consent to access the app.\r\nTrace ID: x',
        state: 's',
      }),
      's',
    );
    expect(out.ok).toBe(false);
    if (!out.ok) {
      expect(out.error).toBeInstanceOf(AuthError);
      expect(out.error.message).toBe('the sign-in was declined: AADSTS65004: User declined to consent to access the app.');
    }
  });

  it('the loopback listener binds 127.0.0.1, ignores other paths, and answers the redirect once', async () => {
    const listener = await listenForRedirect(0);
    try {
      expect(listener.redirectUri).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
      expect((await fetch(new URL('favicon.ico', listener.redirectUri))).status).toBe(404);
      const page = fetch(`${listener.redirectUri}?code=c&state=s`);
      const redirect = await listener.next;
      expect(redirect.query.get('code')).toBe('c');
      redirect.respond(true, 'done <ok>');
      const res = await page;
      expect(res.status).toBe(200);
      const text = await res.text();
      expect(text).toContain('You can close this tab');
      expect(text).toContain('done &#60;ok&#62;');
      expect((await fetch(`${listener.redirectUri}?code=again&state=s`)).status).toBe(404);
    } finally {
      await listener.close();
    }
  });
});

describe('id_token account name', () => {
  const jwt = (claims: object) => `e30.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.sig`;
  it('reads preferred_username, else upn, email, name; never throws on garbage', () => {
    expect(accountFromIdToken(jwt({ preferred_username: 'a@b.c', name: 'A' }))).toBe('a@b.c');
    expect(accountFromIdToken(jwt({ name: 'A' }))).toBe('A');
    expect(accountFromIdToken('not-a-jwt')).toBeUndefined();
    expect(accountFromIdToken('x.!!!.y')).toBeUndefined();
    expect(accountFromIdToken(undefined)).toBeUndefined();
  });
});

describe('device code polling', () => {
  it('pollStep: pending keeps the interval, slow_down adds 5 s, expired/declined stop', () => {
    expect(pollStep('authorization_pending', 5000)).toEqual({ next: 'poll', intervalMs: 5000 });
    expect(pollStep('slow_down', 5000)).toEqual({ next: 'poll', intervalMs: 10_000 });
    const expired = pollStep('expired_token', 5000);
    expect(expired?.next === 'stop' && expired.error.code).toBe('DEVICE_CODE_EXPIRED');
    for (const e of ['access_denied', 'authorization_declined']) {
      const step = pollStep(e, 5000);
      expect(step?.next === 'stop' && step.error.code).toBe('SIGN_IN_DECLINED');
    }
    expect(pollStep('invalid_grant', 5000)).toBeUndefined();
  });

  let server: http.Server | undefined;
  afterEach(async () => {
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    server = undefined;
  });

  /** A token endpoint that answers the device code request, then the scripted polls in order. */
  async function scripted(polls: Array<{ status: number; body: object }>): Promise<{ url: URL; forms: URLSearchParams[] }> {
    const forms: URLSearchParams[] = [];
    server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        forms.push(new URLSearchParams(body));
        const answer = req.url?.endsWith('/devicecode')
          ? {
              status: 200,
              body: { device_code: 'dev-code-secret', user_code: 'ABC', verification_uri: 'https://x/device', expires_in: 60, interval: 2 },
            }
          : (polls.shift() ?? { status: 500, body: {} });
        res.writeHead(answer.status, { 'content-type': 'application/json' }).end(JSON.stringify(answer.body));
      });
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    return { url: new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}`), forms };
  }

  const pending = { status: 400, body: { error: 'authorization_pending' } };

  async function run(polls: Array<{ status: number; body: object }>, clock = { ms: 0 }) {
    const { url, forms } = await scripted(polls);
    const sleeps: number[] = [];
    const messages: string[] = [];
    const dispatcher = createDispatcher({ timeoutMs: 5000 });
    try {
      const result = await signInWithDeviceCode({
        authorityHost: url,
        tenant: 'contoso.onmicrosoft.com',
        clientId: 'c1',
        scope: 'https://graph.microsoft.com/.default',
        announce: (m) => messages.push(m),
        sleep: async (ms) => {
          sleeps.push(ms);
          clock.ms += ms;
        },
        now: () => clock.ms,
        dispatcher,
        retry: fastFailRetry(),
        timeoutMs: 5000,
        log: pino({ level: 'silent' }),
      }).then(
        (tokens) => ({ tokens }),
        (error: unknown) => ({ error }),
      );
      return { result, sleeps, messages, forms };
    } finally {
      await dispatcher.destroy();
    }
  }

  it('honours the interval and slow_down, and returns the tokens once approved', async () => {
    const { result, sleeps, messages, forms } = await run([
      pending,
      { status: 400, body: { error: 'slow_down' } },
      pending,
      { status: 200, body: { token_type: 'Bearer', access_token: 'access-token-1', expires_in: 3600, refresh_token: 'refresh-token-1' } },
    ]);
    expect(sleeps).toEqual([2000, 2000, 7000, 7000]);
    expect(messages[0]).toContain('https://x/device');
    expect(messages[0]).toContain('ABC');
    expect(forms[0]?.get('scope')).toBe('https://graph.microsoft.com/.default openid profile offline_access');
    expect(forms[1]?.get('grant_type')).toBe('urn:ietf:params:oauth:grant-type:device_code');
    expect(forms[1]?.get('device_code')).toBe('dev-code-secret');
    expect(forms[1]?.has('client_secret')).toBe(false);
    expect('tokens' in result && result.tokens.refreshToken).toBe('refresh-token-1');
  });

  it('stops with exit 3 on expired_token, on a declined sign-in, and once expires_in has passed', async () => {
    const expired = await run([pending, { status: 400, body: { error: 'expired_token' } }]);
    expect('error' in expired.result && (expired.result.error as AuthError).code).toBe('DEVICE_CODE_EXPIRED');
    const declined = await run([{ status: 400, body: { error: 'authorization_declined' } }]);
    expect('error' in declined.result && (declined.result.error as AuthError).exitCode).toBe(3);
    expect('error' in declined.result && (declined.result.error as AuthError).code).toBe('SIGN_IN_DECLINED');
    const forever = await run(Array.from({ length: 40 }, () => pending));
    expect('error' in forever.result && (forever.result.error as AuthError).code).toBe('DEVICE_CODE_EXPIRED');
    expect(forever.sleeps.length).toBe(30); // 60 s at 2 s intervals
  });
});

describe('token cache file', () => {
  it('lives under XDG_CONFIG_HOME, ~/.config, %APPDATA%, or DEFENDER_TOKEN_CACHE', () => {
    expect(tokenCachePath({}, 'linux', '/home/u')).toBe('/home/u/.config/defender-alerts/tokens.json');
    expect(tokenCachePath({ XDG_CONFIG_HOME: '/x' }, 'linux', '/home/u')).toBe('/x/defender-alerts/tokens.json');
    expect(tokenCachePath({ XDG_CONFIG_HOME: 'relative' }, 'linux', '/home/u')).toBe('/home/u/.config/defender-alerts/tokens.json');
    expect(tokenCachePath({ APPDATA: 'C:\\Users\\u\\AppData\\Roaming' }, 'win32', 'C:\\Users\\u')).toContain('defender-alerts');
    expect(tokenCachePath({ DEFENDER_TOKEN_CACHE: '/t.json', XDG_CONFIG_HOME: '/x' }, 'linux', '/h')).toBe('/t.json');
  });

  const entry = (tenant: string, scope: string) => ({
    tenant,
    clientId: 'C1',
    scope,
    authorityHost: 'https://login.microsoftonline.com/',
    accessToken: 'a',
    expiresOnMs: 1,
    savedAt: '2024-01-01T00:00:00.000Z',
  });

  it('is written with mode 0600 in a new 0700 directory, keyed by tenant + client id + scope', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'defender-store-'));
    const path = join(dir, 'sub', 'tokens.json');
    await saveEntry(path, entry('T1', 's1'));
    await saveEntry(path, entry('T1', 's2'));
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect((await stat(join(dir, 'sub'))).mode & 0o777).toBe(0o700);
    expect(await findEntry(path, 't1', 'c1', 's2')).toBeDefined(); // GUIDs and domains are case-insensitive
    expect(await findEntry(path, 'T1', 'C1', 's3')).toBeUndefined();
    expect(await removeEntries(path, { tenant: 'T1', clientId: 'C1', scope: 's1' })).toBe(1);
    expect(Object.keys((await readTokenCache(path)).entries)).toHaveLength(1);
    expect(await removeEntries(path, { tenant: 'T1', clientId: 'C1', scope: 's2' })).toBe(1);
    await expect(stat(path)).rejects.toThrow(); // the last entry takes the file with it
  });

  it('a corrupt cache is a data error naming the file, and logout --all still removes it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'defender-store-'));
    const path = join(dir, 'tokens.json');
    await writeFile(path, '{"not":"ours"}');
    await expect(readTokenCache(path)).rejects.toBeInstanceOf(DataError);
    await expect(readTokenCache(path)).rejects.toThrow(path);
    expect(await removeEntries(path, { all: true })).toBe(1);
    await expect(readFile(path)).rejects.toThrow();
  });
});

describe('configuration of user sign-in', () => {
  const env = { AZURE_TENANT_ID: 'contoso.onmicrosoft.com', AZURE_CLIENT_ID: '00000000-0000-4000-8000-0000000000c1' };
  const now = new Date('2024-05-01T00:00:00Z');

  it('--auth user (or DEFENDER_AUTH=user) needs no secret, and ignores one in the environment', () => {
    expect(resolveAuthConfig({ flags: { auth: 'user' }, env, now }).credential).toEqual({ kind: 'user' });
    expect(resolveAuthConfig({ flags: {}, env: { ...env, DEFENDER_AUTH: 'user', AZURE_CLIENT_SECRET: 's' }, now }).credential).toEqual({
      kind: 'user',
    });
    expect(() => resolveAuthConfig({ flags: {}, env, now })).toThrow(/--auth user/);
  });

  it('--auth user with a secret or certificate flag, or an unknown --auth, is a usage error', () => {
    expect(() => resolveAuthConfig({ flags: { auth: 'user', certificate: 'c.pem' }, env, now })).toThrow(
      /--certificate: not used with --auth user/,
    );
    expect(() => resolveAuthConfig({ flags: { auth: 'robot' }, env: { ...env, AZURE_CLIENT_SECRET: 's' }, now })).toThrow(UsageError);
  });

  it('login: defaults (free port, browser, 300 s) and checked values', () => {
    const c = resolveLoginConfig({ flags: {}, env, now });
    expect([c.redirectPort, c.openBrowser, c.waitMs, c.deviceCode]).toEqual([0, true, 300_000, false]);
    const d = resolveLoginConfig({ flags: { redirectPort: '8400', browser: false, wait: '60' }, env, now });
    expect([d.redirectPort, d.openBrowser, d.waitMs]).toEqual([8400, false, 60_000]);
    expect(() => resolveLoginConfig({ flags: { redirectPort: '70000' }, env, now })).toThrow(/--redirect-port/);
    expect(() => resolveLoginConfig({ flags: { deviceCode: true, redirectPort: '1' }, env, now })).toThrow(/not used with --device-code/);
  });
});
