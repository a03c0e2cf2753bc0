import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimClient, v1Form, v2Form, type SimClient } from '../helpers/sim-client.js';

const TENANT = '00000000-0000-4000-8000-000000000001';
const v1 = `/${TENANT}/oauth2/token`;
const v2 = `/${TENANT}/oauth2/v2.0/token`;

describe('token endpoint', () => {
  let c: SimClient;
  beforeAll(async () => {
    c = await startSimClient({ tokenLifetimeSeconds: 3599, now: () => new Date('2026-03-01T10:00:00Z') });
  });
  afterAll(async () => c.close());

  it('v1 answers like Entra ID: numbers as strings, resource echoed, an opaque token', async () => {
    const reply = await c.postForm(v1, v1Form(c.sim));
    expect(reply.status).toBe(200);
    const body = reply.json<Record<string, unknown>>();
    expect(Object.keys(body)).toEqual([
      'token_type',
      'expires_in',
      'ext_expires_in',
      'expires_on',
      'not_before',
      'resource',
      'access_token',
    ]);
    expect(body).toMatchObject({
      token_type: 'Bearer',
      expires_in: '3599',
      ext_expires_in: '3599',
      expires_on: String(Date.parse('2026-03-01T10:00:00Z') / 1000 + 3599),
      not_before: String(Date.parse('2026-03-01T10:00:00Z') / 1000),
      resource: 'https://WDATPAlertExport.Seville.onmicrosoft.com',
    });
    expect(body.access_token).toMatch(/^sim\.[\w-]{40,}$/);
  });

  it('v2 answers with numbers and no resource, for scope <resource>/.default', async () => {
    const reply = await c.postForm(v2, v2Form(c.sim));
    expect(reply.status).toBe(200);
    const body = reply.json<Record<string, unknown>>();
    expect(body).toEqual({ token_type: 'Bearer', expires_in: 3599, ext_expires_in: 3599, access_token: expect.any(String) });
  });

  it('accepts the tenant domain, the graph.windows.net resource, and any case or trailing slash', async () => {
    const reply = await c.postForm('/simulator.onmicrosoft.com/oauth2/token', v1Form(c.sim, { resource: 'https://graph.windows.net/' }));
    expect(reply.status).toBe(200);
    expect(reply.json<{ resource: string }>().resource).toBe('https://graph.windows.net/');
    const lower = await c.postForm(v1, v1Form(c.sim, { resource: 'https://wdatpalertexport.seville.onmicrosoft.com' }));
    expect(lower.status).toBe(200);
  });

  it('issues a different token each time', async () => {
    const [a, b] = await Promise.all([c.token(), c.token()]);
    expect(a).not.toBe(b);
  });

  const cases: [
    string,
    string,
    Record<string, string> | ((f: Record<string, string>) => Record<string, string>),
    number,
    string,
    number,
  ][] = [
    ['unknown tenant', '/contoso.onmicrosoft.com/oauth2/token', {}, 400, 'invalid_request', 90002],
    ['missing grant_type', v1, (f) => without(f, 'grant_type'), 400, 'invalid_request', 900144],
    ['unsupported grant_type', v1, { grant_type: 'password' }, 400, 'unsupported_grant_type', 70003],
    ['unknown client', v1, { client_id: '11111111-1111-4111-8111-111111111111' }, 400, 'unauthorized_client', 700016],
    ['wrong secret', v1, { client_secret: 'nope' }, 401, 'invalid_client', 7000215],
    ['missing secret', v1, (f) => without(f, 'client_secret'), 401, 'invalid_client', 7000218],
    ['unknown resource', v1, { resource: 'https://unknown-api.example.com' }, 400, 'invalid_resource', 500011],
    ['missing resource (v1)', v1, (f) => without(f, 'resource'), 400, 'invalid_request', 900144],
    ['resource sent to v2', v2, { resource: 'https://graph.windows.net' }, 400, 'invalid_request', 901002],
    ['v2 scope without /.default', v2, { scope: 'https://graph.windows.net' }, 400, 'invalid_scope', 1002012],
    ['missing scope (v2)', v2, (f) => without(f, 'scope'), 400, 'invalid_request', 900144],
  ];

  it.each(cases)("%s → %i %s AADSTS%i in Entra's error shape", async (_name, path, change, status, error, code) => {
    const base = path.includes('v2.0') ? v2Form(c.sim) : v1Form(c.sim);
    const form = typeof change === 'function' ? change(base) : { ...base, ...change };
    const reply = await c.postForm(path, form, { 'client-request-id': 'a1b2c3d4-0000-4000-8000-000000000abc' });
    expect(reply.status).toBe(status);
    const body = reply.json<Record<string, unknown>>();
    expect(Object.keys(body)).toEqual([
      'error',
      'error_description',
      'error_codes',
      'timestamp',
      'trace_id',
      'correlation_id',
      'error_uri',
    ]);
    expect(body.error).toBe(error);
    expect(body.error_codes).toEqual([code]);
    expect(body.timestamp).toBe('2026-03-01 10:00:00Z');
    expect(body.correlation_id).toBe('a1b2c3d4-0000-4000-8000-000000000abc');
    expect(body.trace_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(body.error_uri).toBe(`https://login.microsoftonline.com/error?code=${code}`);
    expect(body.error_description).toMatch(
      new RegExp(
        `^AADSTS${code}: .+\\r\\nTrace ID: ${String(body.trace_id)}\\r\\nCorrelation ID: a1b2c3d4-0000-4000-8000-000000000abc\\r\\nTimestamp: 2026-03-01 10:00:00Z$`,
        's',
      ),
    );
  });

  it('names the app in the wrong-secret message, as Entra does', async () => {
    const reply = await c.postForm(v1, v1Form(c.sim, { client_secret: 'wrong' }));
    expect(reply.json<{ error_description: string }>().error_description).toContain(
      "AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '00000000-0000-4000-8000-0000000000c1'.",
    );
  });

  it('refuses GET: the token endpoint only accepts POST (AADSTS900561)', async () => {
    const res = await c.get(v1);
    expect(res.status).toBe(400);
    expect(res.json<{ error_codes: number[] }>().error_codes).toEqual([900561]);
  });

  it('ignores a body that is not form-encoded, as Entra does (grant_type missing)', async () => {
    const res = await c.postForm(v1, v1Form(c.sim), { 'content-type': 'application/json' });
    expect(res.status).toBe(400);
    expect(res.json<{ error_codes: number[] }>().error_codes).toEqual([900144]);
  });
});

function without(form: Record<string, string>, key: string): Record<string, string> {
  const copy = { ...form };
  delete copy[key];
  return copy;
}
