/**
 * Interactive sign-in end to end: `login` (authorization code + PKCE, driven by a test client that
 * reads the printed URL and follows the simulator's redirect to the CLI's loopback listener;
 * device code, approved through the simulator's hook), `pull --auth user` from the cache with a
 * refresh after expiry, `logout`; and every refusal is exit 3 with a clear line. No token ever
 * appears in any output, even at trace level.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../simulator/server.js';
import { lastErrorLine, runCli, type CliResult } from '../helpers/cli.js';
import { simEnv, tokensSeen } from '../helpers/sim-env.js';

let sim: Simulator;
let shortSim: Simulator;
let dir: string;
let agent: Agent;
beforeAll(async () => {
  // Default token lifetime: a fresh sign-in is reused as is. The short one (60 s < the 5 min
  // margin) forces a refresh on every use, and a 1 s device polling interval keeps tests quick.
  sim = await startSimulator({ alerts: 10 });
  shortSim = await startSimulator({ alerts: 10, tokenLifetimeSeconds: 60, deviceIntervalSeconds: 1 });
  dir = await mkdtemp(join(tmpdir(), 'defender-login-'));
  agent = new Agent({ connect: { ca: [sim.caCertPem!, shortSim.caCertPem!] } });
});
afterAll(async () => {
  await agent.close();
  await sim.close();
  await shortSim.close();
});

let n = 0;
const freshCache = (): string => join(dir, `tokens-${++n}.json`);
const userEnv = (s: Simulator, cache: string) =>
  simEnv(s, { AZURE_CLIENT_SECRET: undefined, DEFENDER_TOKEN_CACHE: cache, DEFENDER_LOG_LEVEL: 'trace' });

/** Resolves with the first match of `pattern` in the child's stderr. */
function watchStderr(pattern: RegExp): { onSpawn: (child: ChildProcess) => void; match: Promise<RegExpExecArray> } {
  let onSpawn: (child: ChildProcess) => void = () => {};
  const match = new Promise<RegExpExecArray>((resolve) => {
    onSpawn = (child) => {
      let text = '';
      child.stderr?.on('data', (d: string | Buffer) => {
        text += d.toString();
        const m = pattern.exec(text);
        if (m) resolve(m);
      });
    };
  });
  return { onSpawn, match };
}

const AUTHORIZE_URL = /(https:\/\/\S+\/oauth2\/v2\.0\/authorize\?\S+)/;

/**
 * The user in the browser: opens the authorize URL (optionally tampered with), and follows the
 * redirect to the CLI's listener (optionally with another state). Returns that page's status and text.
 */
async function browse(
  url: string,
  tamper: { url?: (u: URL) => void; redirect?: (u: URL) => void } = {},
): Promise<{ status: number; text: string }> {
  const authorize = new URL(url);
  tamper.url?.(authorize);
  const res = await request(authorize, { dispatcher: agent });
  await res.body.text();
  expect(res.statusCode).toBe(302);
  const location = new URL(String(res.headers['location']));
  expect(location.origin).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  tamper.redirect?.(location);
  const page = await request(location);
  return { status: page.statusCode, text: await page.body.text() };
}

async function loginWithBrowser(
  s: Simulator,
  cache: string,
  tamper?: Parameters<typeof browse>[1],
): Promise<{ result: CliResult; page: { status: number; text: string } }> {
  const watch = watchStderr(AUTHORIZE_URL);
  const running = runCli(['login', '--no-browser', '--wait', '30'], { env: userEnv(s, cache), onSpawn: watch.onSpawn, timeoutMs: 30_000 });
  const [, url] = await watch.match;
  const page = await browse(url!, tamper);
  return { result: await running, page };
}

async function cachedTokens(cache: string): Promise<string[]> {
  const file = JSON.parse(await readFile(cache, 'utf8')) as { entries: Record<string, { accessToken: string; refreshToken?: string }> };
  return Object.values(file.entries).flatMap((e) => [e.accessToken, ...(e.refreshToken ? [e.refreshToken] : [])]);
}

function expectNoTokens(s: Simulator, output: string, extra: string[] = []): void {
  for (const token of [...tokensSeen(s), ...extra]) expect(output).not.toContain(token);
  expect(output).not.toMatch(/sim-refresh\.|sim-code\.|sim-device\./);
}

describe('login with a browser (authorization code + PKCE)', () => {
  it('signs in, caches the tokens in a 0600 file, and pull --auth user reuses them without a new token request', async () => {
    const cache = freshCache();
    const { result, page } = await loginWithBrowser(sim, cache);
    expect(result.stderr).not.toContain('defender-alerts:');
    expect(result.code).toBe(0);
    expect(page.status).toBe(200);
    expect(page.text).toContain('You can close this tab');
    expect(result.stderr).toContain('Signed in as analyst@simulator.onmicrosoft.com');
    expect((await stat(cache)).mode & 0o777).toBe(0o600);
    const authorize = sim.stats.of('token').find((r) => r.path.endsWith('/authorize'));
    expect(authorize?.query['code_challenge_method']).toEqual(['S256']);
    expect(authorize?.query['scope']?.[0]).toContain('offline_access');

    const tokenRequests = sim.stats.count('token');
    // The hint login prints is the pull that works.
    const hint = /Use it with: defender-alerts (.+)$/m.exec(result.stderr)?.[1];
    expect(hint).toBe('pull --api siem --auth user');
    const pull = await runCli([...(hint ?? '').split(' '), '--since', '3h'], { env: userEnv(sim, cache) });
    expect(pull.stderr).not.toContain('defender-alerts:');
    expect(pull.code).toBe(0);
    expect((JSON.parse(pull.stdout) as unknown[]).length).toBeGreaterThan(5);
    expect(sim.stats.count('token')).toBe(tokenRequests);
    expectNoTokens(sim, result.stdout + result.stderr + pull.stdout + pull.stderr, await cachedTokens(cache));

    // `token --auth user` prints the cached user token, for curl, as `token` does for the app.
    const token = await runCli(['token', '--auth', 'user'], { env: userEnv(sim, cache) });
    expect(token.code).toBe(0);
    const printed = JSON.parse(token.stdout) as { token_type: string; access_token: string };
    expect(printed.token_type).toBe('Bearer');
    expect(await cachedTokens(cache)).toContain(printed.access_token);
  });

  it('a redirect with another state is refused: exit 3, and the browser is told', async () => {
    const { result, page } = await loginWithBrowser(sim, freshCache(), { redirect: (u) => u.searchParams.set('state', 'forged') });
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('state');
    expect(page.status).toBe(400);
  });

  it('a code obtained with another PKCE challenge is refused at the exchange: exit 3 with AADSTS50148', async () => {
    const other = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';
    const { result } = await loginWithBrowser(sim, freshCache(), { url: (u) => u.searchParams.set('code_challenge', other) });
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('AADSTS50148');
  });

  it('a declined sign-in: exit 3 saying so, nothing cached', async () => {
    sim.declineNextSignIn();
    const cache = freshCache();
    const { result } = await loginWithBrowser(sim, cache);
    expect(result.code).toBe(3);
    expect(lastErrorLine(result.stderr)).toMatch(/defender-alerts: the sign-in was declined: AADSTS65004/);
    await expect(stat(cache)).rejects.toThrow();
  });
});

describe('login --device-code, refresh and logout', () => {
  async function deviceLogin(cache: string, decide: (code: string) => boolean): Promise<CliResult> {
    const watch = watchStderr(/enter the code ([A-Z0-9]{9})/);
    const running = runCli(['login', '--device-code'], { env: userEnv(shortSim, cache), onSpawn: watch.onSpawn, timeoutMs: 30_000 });
    const [, code] = await watch.match;
    expect(decide(code!)).toBe(true);
    return running;
  }

  it('signs in after approval; pull --auth user refreshes the short-lived token, rotating the refresh token; logout forgets it', async () => {
    const cache = freshCache();
    const login = await deviceLogin(cache, (code) => shortSim.approveDevice(code));
    expect(login.stderr).not.toContain('defender-alerts:');
    expect(login.code).toBe(0);
    expect(login.stderr).toContain('/_sim/device');
    const [, firstRefresh] = await cachedTokens(cache);

    const pull = await runCli(['pull', '--auth', 'user', '--api', 'graph', '--since', '3h'], { env: userEnv(shortSim, cache) });
    // The sign-in was for the SIEM API (default --api): Graph has no cached sign-in.
    expect(pull.code).toBe(3);
    expect(pull.stderr).toContain('run defender-alerts login');

    const before = shortSim.stats.count('token');
    const first = await runCli(['pull', '--auth', 'user', '--since', '3h'], { env: userEnv(shortSim, cache) });
    expect(first.stderr).not.toContain('defender-alerts:');
    expect(first.code).toBe(0);
    expect(shortSim.stats.count('token')).toBe(before + 1);
    const [, secondRefresh] = await cachedTokens(cache);
    expect(secondRefresh).toBeDefined();
    expect(secondRefresh).not.toBe(firstRefresh);
    // The rotated refresh token works again (the old one no longer would).
    const second = await runCli(['pull', '--auth', 'user', '--since', '3h'], { env: userEnv(shortSim, cache) });
    expect(second.code).toBe(0);
    expectNoTokens(shortSim, [login, first, second].map((r) => r.stdout + r.stderr).join('\n'), [firstRefresh!, secondRefresh!]);

    const logout = await runCli(['logout'], { env: userEnv(shortSim, cache) });
    expect(logout.code).toBe(0);
    expect(logout.stderr).toContain('Signed out');
    await expect(stat(cache)).rejects.toThrow();
    const after = await runCli(['pull', '--auth', 'user', '--since', '3h'], { env: userEnv(shortSim, cache) });
    expect(after.code).toBe(3);
    expect(lastErrorLine(after.stderr)).toMatch(/no cached sign-in .* — run defender-alerts login/);
  });

  it('a refused refresh (revoked sessions) is exit 3 asking to log in again', async () => {
    const cache = freshCache();
    expect((await deviceLogin(cache, (code) => shortSim.approveDevice(code))).code).toBe(0);
    shortSim.revokeRefreshTokens();
    const pull = await runCli(['pull', '--auth', 'user', '--since', '3h'], { env: userEnv(shortSim, cache) });
    expect(pull.code).toBe(3);
    expect(lastErrorLine(pull.stderr)).toMatch(/Entra ID refused the cached sign-in: AADSTS70000.* — run defender-alerts login/);
  });

  it('a declined device sign-in is exit 3 saying so', async () => {
    const result = await deviceLogin(freshCache(), (code) => shortSim.declineDevice(code));
    expect(result.code).toBe(3);
    expect(lastErrorLine(result.stderr)).toContain('defender-alerts: the sign-in was declined');
  });

  it('logout --all removes the whole cache file', async () => {
    const cache = freshCache();
    expect((await deviceLogin(cache, (code) => shortSim.approveDevice(code))).code).toBe(0);
    const result = await runCli(['logout', '--all'], { env: { ...userEnv(shortSim, cache), AZURE_TENANT_ID: undefined } });
    expect(result.code).toBe(0);
    await expect(stat(cache)).rejects.toThrow();
  });
});
