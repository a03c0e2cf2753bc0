/**
 * The simulator's user sign-in (simulator/user-auth.ts) with plain values: what it checks
 * at the authorize endpoint, PKCE at the exchange, one-use codes, rotating refresh tokens, and
 * device-code polling rules.
 */
import { describe, expect, it } from 'vitest';
import { createPkcePair } from '../../src/auth/pkce.js';
import { SIMULATOR_CREDENTIALS } from '../../simulator/credentials.js';
import { DEVICE_CODE_GRANT, UserAuthority } from '../../simulator/user-auth.js';

const T = SIMULATOR_CREDENTIALS.tenantId;
const C = SIMULATOR_CREDENTIALS.clientId;
const SCOPE = 'https://graph.microsoft.com/.default openid profile offline_access';
const REDIRECT = 'http://127.0.0.1:5000/';
const at = (ms: number) => new Date(1_700_000_000_000 + ms);

function authority(deviceIntervalSeconds = 5) {
  let n = 0;
  return new UserAuthority({ issue: () => `access-${++n}`, lifetimeSeconds: 3600, deviceIntervalSeconds });
}

function authorizeQuery(challenge: string, extra: Record<string, string> = {}) {
  return new URLSearchParams({
    client_id: C,
    response_type: 'code',
    redirect_uri: REDIRECT,
    scope: SCOPE,
    code_challenge: challenge,
    code_challenge_method: 'S256',
    state: 'st',
    ...extra,
  });
}

function signIn(auth: UserAuthority) {
  const pkce = createPkcePair();
  const answer = auth.authorize(T, authorizeQuery(pkce.challenge), at(0));
  if (!answer.ok) throw new Error(answer.error.message);
  const location = new URL(answer.location);
  return { pkce, code: location.searchParams.get('code')!, location };
}

const exchange = (auth: UserAuthority, code: string, verifier: string) =>
  auth.token(
    T,
    new URLSearchParams({
      client_id: C,
      grant_type: 'authorization_code',
      code,
      redirect_uri: REDIRECT,
      code_verifier: verifier,
      scope: SCOPE,
    }),
    'http://sim',
    at(1000),
  );

describe('simulated authorize endpoint', () => {
  it('redirects to the loopback redirect_uri with a code and the state', () => {
    const { location, code } = signIn(authority());
    expect(location.origin + location.pathname).toBe(REDIRECT);
    expect(location.searchParams.get('state')).toBe('st');
    expect(code).toMatch(/^sim-code\./);
  });

  it('refuses a non-loopback redirect_uri without redirecting, and a missing PKCE challenge on the redirect', () => {
    const auth = authority();
    const bad = auth.authorize(T, authorizeQuery(createPkcePair().challenge, { redirect_uri: 'https://evil.example/' }), at(0));
    expect(!bad.ok && bad.error.code).toBe(50011);
    const noPkce = auth.authorize(T, authorizeQuery('', {}), at(0));
    expect(noPkce.ok && new URL(noPkce.location).searchParams.get('error')).toBe('invalid_request');
    const plain = auth.authorize(T, authorizeQuery(createPkcePair().challenge, { code_challenge_method: 'plain' }), at(0));
    expect(plain.ok && new URL(plain.location).searchParams.get('error')).toBe('invalid_request');
  });
});

describe('simulated token endpoint, user grants', () => {
  it('exchanges a code once, only with the right verifier', () => {
    const auth = authority();
    const first = signIn(auth);
    const wrong = exchange(auth, first.code, createPkcePair().verifier);
    expect(!wrong.ok && wrong.error.code).toBe(50148);
    const second = signIn(auth);
    const good = exchange(auth, second.code, second.pkce.verifier);
    expect(good.ok && Object.keys(good.body)).toEqual(expect.arrayContaining(['access_token', 'refresh_token', 'id_token', 'expires_in']));
    const again = exchange(auth, second.code, second.pkce.verifier);
    expect(!again.ok && again.error.error).toBe('invalid_grant');
  });

  it('rotates refresh tokens: each is good once', () => {
    const auth = authority();
    const { code, pkce } = signIn(auth);
    const tokens = exchange(auth, code, pkce.verifier);
    const refresh = (token: unknown) =>
      auth.token(
        T,
        new URLSearchParams({ client_id: C, grant_type: 'refresh_token', refresh_token: String(token), scope: SCOPE }),
        'http://sim',
        at(2000),
      );
    const next = refresh(tokens.ok && tokens.body['refresh_token']);
    expect(next.ok).toBe(true);
    expect(next.ok && next.body['refresh_token']).not.toBe(tokens.ok && tokens.body['refresh_token']);
    const reused = refresh(tokens.ok && tokens.body['refresh_token']);
    expect(!reused.ok && reused.error.error).toBe('invalid_grant');
  });

  it('device code: pending, slow_down when polled early, tokens once approved, then gone', () => {
    const auth = authority(5);
    const started = auth.deviceCode(T, new URLSearchParams({ client_id: C, scope: SCOPE }), 'http://sim/_sim/device', at(0));
    if (!started.ok) throw new Error('no device code');
    const poll = (ms: number) =>
      auth.token(
        T,
        new URLSearchParams({ client_id: C, grant_type: DEVICE_CODE_GRANT, device_code: String(started.body['device_code']) }),
        'http://sim',
        at(ms),
      );
    const first = poll(5000);
    expect(!first.ok && first.error.error).toBe('authorization_pending');
    expect(poll(10_000).ok).toBe(false);
    const early = poll(11_000);
    expect(!early.ok && early.error.error).toBe('slow_down');
    const pending = poll(16_000);
    expect(!pending.ok && pending.error.error).toBe('authorization_pending');
    expect(auth.approveDevice(String(started.body['user_code']))).toBe(true);
    expect(poll(21_000).ok).toBe(true);
    const after = poll(26_000);
    expect(!after.ok && after.error.error).toBe('invalid_grant');
  });

  it('device code: expired after its lifetime', () => {
    const auth = authority(5);
    const started = auth.deviceCode(T, new URLSearchParams({ client_id: C, scope: SCOPE }), 'http://sim/_sim/device', at(0));
    if (!started.ok) throw new Error('no device code');
    const late = auth.token(
      T,
      new URLSearchParams({ client_id: C, grant_type: DEVICE_CODE_GRANT, device_code: String(started.body['device_code']) }),
      'http://sim',
      at(901_000),
    );
    expect(!late.ok && late.error.error).toBe('expired_token');
  });
});
