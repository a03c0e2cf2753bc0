import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { CLIENT_ASSERTION_TYPE, createClientAssertion, loadCertificate } from '../../src/auth/client-assertion.js';
import type { CommandIo } from '../../src/context/command-context.js';
import { simulateCommand } from '../../src/commands/simulate.js';
import { UsageError } from '../../src/errors.js';
import type { SiemAlert } from '../../simulator/alert-types.js';
import { SIMULATOR_CREDENTIALS, fleetTenantDomain, fleetTenantId, fleetTenantIndex, servedTenantId } from '../../simulator/credentials.js';
import { describeSimulator, startSimulator } from '../../simulator/server.js';
import type { AlertStore } from '../../simulator/store.js';
import type { TenantTrouble } from '../../simulator/tenants.js';
import { simPerTest, v1Form, v2Form, type SimClient } from '../helpers/sim-client.js';

const NOW = new Date('2026-03-01T12:00:00Z');
const DEFAULT_TENANT = SIMULATOR_CREDENTIALS.tenantId;
const SIEM = 'https://WDATPAlertExport.Seville.onmicrosoft.com';
const MDE = 'https://api.securitycenter.microsoft.com';
const GRAPH = 'https://graph.microsoft.com';
const EVERYTHING = '/api/alerts?sinceTimeUtc=2000-01-01T00:00:00Z';

const sim = simPerTest({ https: false, now: () => NOW, alerts: 20 });

/** A token for `resource` in `tenant` (v2 for the OData APIs, v1 for the SIEM API); fails the test if refused. */
async function tokenIn(s: SimClient, tenant: string, resource = SIEM): Promise<string> {
  const reply = await tokenRequest(s, tenant, resource);
  expect(reply.status, reply.text).toBe(200);
  return reply.json<{ access_token: string }>().access_token;
}

function tokenRequest(s: SimClient, tenant: string, resource = SIEM): ReturnType<SimClient['postForm']> {
  return resource === SIEM
    ? s.postForm(`/${tenant}/oauth2/token`, v1Form(s.sim, { resource }))
    : s.postForm(`/${tenant}/oauth2/v2.0/token`, v2Form(s.sim, { scope: `${resource}/.default` }));
}

/** Everything `store` holds up to NOW, as the SIEM API would write it. */
function contentOf(store: AlertStore | undefined): SiemAlert[] {
  if (store === undefined) throw new Error('no such tenant');
  return JSON.parse(JSON.stringify([...store.query({ sinceTimeUtc: '2000-01-01T00:00:00Z' }, NOW).alerts])) as SiemAlert[];
}

const alertIds = (alerts: readonly SiemAlert[]): Set<string> => new Set(alerts.map((a) => String(a.AlertId)));

/** Entra's error fields that tell one refusal from another. */
function entraError(reply: Awaited<ReturnType<SimClient['postForm']>>): { status: number; error: unknown; error_codes: unknown } {
  const body = reply.json<Record<string, unknown>>();
  return { status: reply.status, error: body.error, error_codes: body.error_codes };
}

describe('fleet tenant ids', () => {
  it('are the prefix and the index in 12 digits, and parse back from id or domain', () => {
    expect(fleetTenantId(7)).toBe('00000000-0000-4000-8001-000000000007');
    expect(fleetTenantId(123_456_789_012)).toBe('00000000-0000-4000-8001-123456789012');
    expect(fleetTenantDomain(7)).toBe('tenant-7.simulator.onmicrosoft.com');
    expect(fleetTenantIndex('00000000-0000-4000-8001-000000000007')).toBe(7);
    expect(fleetTenantIndex('TENANT-42.Simulator.OnMicrosoft.com')).toBe(42);
    for (const other of [
      '00000000-0000-4000-8001-000000000000',
      'tenant-0.simulator.onmicrosoft.com',
      'tenant-07.simulator.onmicrosoft.com',
      DEFAULT_TENANT,
    ]) {
      expect(fleetTenantIndex(other)).toBeUndefined();
    }
    expect(() => fleetTenantId(0)).toThrow(RangeError);
    expect(() => fleetTenantId(1.5)).toThrow(RangeError);
  });

  it('are served up to the fleet size, beside the default tenant', () => {
    expect(servedTenantId('simulator.onmicrosoft.com', 0)).toBe(DEFAULT_TENANT);
    expect(servedTenantId(fleetTenantDomain(3), 3)).toBe(fleetTenantId(3));
    expect(servedTenantId(fleetTenantId(4), 3)).toBeUndefined();
  });
});

describe('a simulator serving many tenants', () => {
  it('gives each fleet tenant its own alerts, each what storeOf() holds, none sharing an id', async () => {
    const s = await sim({ tenants: 3 });
    const one = fleetTenantId(1);
    // The domain names the same tenant as the id.
    const two = fleetTenantDomain(2);
    const served = {
      default: (await s.get(EVERYTHING, await s.token())).json<SiemAlert[]>(),
      one: (await s.get(EVERYTHING, await tokenIn(s, one))).json<SiemAlert[]>(),
      two: (await s.get(EVERYTHING, await tokenIn(s, two))).json<SiemAlert[]>(),
    };
    expect(served.one).toEqual(contentOf(s.sim.storeOf(one)));
    expect(served.two).toEqual(contentOf(s.sim.storeOf(fleetTenantId(2))));
    // The default tenant is as it always was: its store is sim.store, Microsoft's examples among its alerts.
    expect(s.sim.storeOf(DEFAULT_TENANT)).toBe(s.sim.store);
    expect(s.sim.storeOf('simulator.onmicrosoft.com')).toBe(s.sim.store);
    expect(served.default).toEqual(contentOf(s.sim.store));
    expect(served.one).toHaveLength(20);
    const ids = [alertIds(served.default), alertIds(served.one), alertIds(served.two)];
    const all = ids.flatMap((set) => [...set]);
    expect(new Set(all).size).toBe(all.length);
  });

  it('answers the OData APIs from the token’s tenant, naming that tenant in each alert', async () => {
    const s = await sim({ tenants: 2 });
    const tenant = fleetTenantId(2);
    const expected = alertIds(contentOf(s.sim.storeOf(tenant)));
    const mde = (await s.get('/api/alerts', await tokenIn(s, tenant, MDE))).json<{ value: Record<string, unknown>[] }>().value;
    expect(new Set(mde.map((a) => a['id']))).toEqual(expected);
    expect(new Set(mde.map((a) => a['aadTenantId']))).toEqual(new Set([tenant]));
    const graph = (await s.get('/v1.0/security/alerts_v2', await tokenIn(s, tenant, GRAPH))).json<{ value: Record<string, unknown>[] }>()
      .value;
    expect(new Set(graph.map((a) => a['id']))).toEqual(expected);
    expect(new Set(graph.map((a) => a['tenantId']))).toEqual(new Set([tenant]));
  });

  it('accepts the published certificate in a fleet tenant too', async () => {
    const s = await sim({ tenants: 1 });
    const path = `/${fleetTenantId(1)}/oauth2/v2.0/token`;
    const assertion = createClientAssertion({
      clientId: s.sim.credentials.clientId,
      tokenUrl: `${s.sim.url}${path}`,
      cert: loadCertificate(s.sim.clientCertificatePem ?? ''),
      now: NOW,
    });
    const reply = await s.postForm(path, {
      grant_type: 'client_credentials',
      client_id: s.sim.credentials.clientId,
      scope: `${MDE}/.default`,
      client_assertion_type: CLIENT_ASSERTION_TYPE,
      client_assertion: assertion,
    });
    expect(reply.status, reply.text).toBe(200);
  });

  it('does not know tenants beyond the fleet (AADSTS90002)', async () => {
    const s = await sim({ tenants: 2 });
    for (const tenant of [fleetTenantId(3), fleetTenantDomain(3), '00000000-0000-4000-8001-000000000000']) {
      const reply = await tokenRequest(s, tenant);
      expect(entraError(reply)).toEqual({ status: 400, error: 'invalid_request', error_codes: [90002] });
      expect(reply.json<{ error_description: string }>().error_description).toContain(`Tenant '${tenant}' not found.`);
    }
    expect(s.sim.storeOf(fleetTenantId(3))).toBeUndefined();
  });

  it('records the tenant of each token and alert request', async () => {
    const s = await sim({ tenants: 2 });
    const token = await tokenIn(s, fleetTenantDomain(2));
    await s.get(EVERYTHING, token);
    await s.get(EVERYTHING, await s.token());
    await tokenRequest(s, fleetTenantId(9));
    expect(s.sim.stats.requests.map((r) => [r.route, r.tenant])).toEqual([
      ['token', fleetTenantId(2)],
      ['alerts', fleetTenantId(2)],
      ['token', DEFAULT_TENANT],
      ['alerts', DEFAULT_TENANT],
      // A tenant the simulator does not serve has no canonical id.
      ['token', undefined],
    ]);
  });

  it('keeps a Defender for Endpoint quota per tenant', async () => {
    const s = await sim({ tenants: 2, mdeCallsPerMinute: 2 });
    const one = await tokenIn(s, fleetTenantId(1), MDE);
    const two = await tokenIn(s, fleetTenantId(2), MDE);
    const statuses = async (token: string, n: number): Promise<number[]> => {
      const seen: number[] = [];
      for (let i = 0; i < n; i++) seen.push((await s.get('/api/alerts?$top=1', token)).status);
      return seen;
    };
    expect(await statuses(one, 3)).toEqual([200, 200, 429]);
    // Tenant 1 used its minute up; tenant 2 and the default tenant still have theirs.
    expect(await statuses(two, 3)).toEqual([200, 200, 429]);
    expect(await statuses(await tokenIn(s, DEFAULT_TENANT, MDE), 1)).toEqual([200]);
  });

  it('charges quotaUsed to every tenant', async () => {
    const s = await sim({ tenants: 1, mdeCallsPerMinute: 3, quotaUsed: 2 });
    for (const tenant of [DEFAULT_TENANT, fleetTenantId(1)]) {
      const token = await tokenIn(s, tenant, MDE);
      expect((await s.get('/api/alerts?$top=1', token)).status).toBe(200);
      expect((await s.get('/api/alerts?$top=1', token)).status).toBe(429);
    }
  });

  it('builds a tenant only when it is first used, so a large fleet starts at once', async () => {
    let clock = NOW;
    const s = await sim({ tenants: 10_000, alerts: 5, now: () => clock });
    expect(s.sim.tenants).toBe(10_000);
    expect(s.sim.storeOf(fleetTenantId(10_001))).toBeUndefined();
    // Built an hour after the start, a tenant still holds the alerts it had at the start.
    clock = new Date(NOW.getTime() + 3_600_000);
    const served = (await s.get(EVERYTHING, await tokenIn(s, fleetTenantDomain(9_999)))).json<SiemAlert[]>();
    expect(served).toHaveLength(5);
    expect(served).toEqual(contentOf(s.sim.storeOf(fleetTenantId(9_999))));
    const early = await startSimulator({ https: false, now: () => NOW, alerts: 5, tenants: 10_000 });
    try {
      expect(contentOf(early.storeOf(fleetTenantId(9_999)))).toEqual(served);
      expect(contentOf(early.storeOf(fleetTenantId(10_000)))).toHaveLength(5);
    } finally {
      await early.close();
    }
  });
});

describe('trouble in one tenant', () => {
  const clientId = SIMULATOR_CREDENTIALS.clientId;
  const tokenCases: [TenantTrouble, number, string, number, string][] = [
    [
      'no-consent',
      400,
      'invalid_grant',
      65001,
      `AADSTS65001: The user or administrator has not consented to use the application with ID '${clientId}' named 'defender-alerts simulator'. Send an interactive authorization request for this user and resource.\r\nTrace ID: `,
    ],
    [
      'missing-service-principal',
      401,
      'invalid_client',
      7000229,
      `AADSTS7000229: The client application ${clientId} is missing service principal in the tenant ${fleetTenantId(1)}. See instructions here: https://go.microsoft.com/fwlink/?linkid=2225119\r\nTrace ID: `,
    ],
    [
      'app-unknown',
      400,
      'unauthorized_client',
      700016,
      `AADSTS700016: Application with identifier '${clientId}' was not found in the directory '${fleetTenantDomain(1)}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.\r\nTrace ID: `,
    ],
  ];

  it.each(tokenCases)('%s: token requests get %i %s AADSTS%i, in that tenant only', async (kind, status, error, code, description) => {
    const s = await sim({ tenants: 2, tenantTrouble: { [fleetTenantId(1)]: kind } });
    for (const [path, resource] of [
      [fleetTenantDomain(1), SIEM],
      [fleetTenantId(1), MDE],
    ] as const) {
      const reply = await tokenRequest(s, path, resource);
      expect(entraError(reply)).toEqual({ status, error, error_codes: [code] });
      const body = reply.json<{ error_description: string; trace_id: string }>();
      // The message names the tenant as the request did (id or domain) only for app-unknown.
      if (kind !== 'app-unknown' || path === fleetTenantDomain(1)) expect(body.error_description.startsWith(description)).toBe(true);
      expect(body.error_description).toMatch(
        /\r\nTrace ID: [0-9a-f-]{36}\r\nCorrelation ID: [0-9a-f-]{36}\r\nTimestamp: 2026-03-01 12:00:00Z$/,
      );
    }
    await tokenIn(s, fleetTenantId(2));
    await tokenIn(s, DEFAULT_TENANT);
  });

  it('forbidden: tokens are issued, every alert request answers 403 in its API’s format', async () => {
    const s = await sim({ tenants: 1, tenantTrouble: { [fleetTenantDomain(1)]: 'forbidden' } });
    const tenant = fleetTenantId(1);
    const siem = await s.get(EVERYTHING, await tokenIn(s, tenant));
    expect(siem.status).toBe(403);
    expect(siem.json()).toEqual({ error: { code: 'Forbidden', message: expect.stringContaining(tenant) } });
    const mde = await s.get('/api/alerts', await tokenIn(s, tenant, MDE));
    expect(mde.status).toBe(403);
    expect(mde.json()).toEqual({
      error: {
        code: 'Forbidden',
        message:
          'The application does not have any of the required application permissions (Alert.Read.All, Alert.ReadWrite.All) to access the resource.',
        target: expect.any(String),
      },
    });
    const graph = await s.get('/v1.0/security/alerts_v2', await tokenIn(s, tenant, GRAPH), { 'client-request-id': 'abc' });
    expect(graph.status).toBe(403);
    expect(graph.json()).toEqual({
      error: {
        code: 'Forbidden',
        message:
          "Missing role permissions on the request. API requires one of 'SecurityAlert.Read.All, SecurityAlert.ReadWrite.All'. Roles on the request ''.",
        innerError: { date: '2026-03-01T12:00:00', 'request-id': expect.any(String), 'client-request-id': 'abc' },
      },
    });
    // The default tenant is untouched.
    expect((await s.get(EVERYTHING, await s.token())).status).toBe(200);
  });

  it('server-error: every alert request of that tenant answers 500', async () => {
    const s = await sim({ tenants: 1, tenantTrouble: { [fleetTenantId(1)]: 'server-error' } });
    const tenant = fleetTenantId(1);
    const siem = await s.get(EVERYTHING, await tokenIn(s, tenant));
    expect(siem.status).toBe(500);
    expect(siem.json()).toMatchObject({ error: { code: 'InternalServerError' } });
    for (const [path, resource] of [
      ['/api/alerts', MDE],
      ['/v1.0/security/alerts_v2', GRAPH],
    ] as const) {
      const reply = await s.get(path, await tokenIn(s, tenant, resource));
      expect(reply.status).toBe(500);
      expect(reply.json()).toMatchObject({ error: { code: 'InternalServerError', message: expect.any(String) } });
    }
  });

  it('is set and cleared at run time with POST /_sim/tenants/trouble', async () => {
    const s = await sim({ tenants: 2 });
    const tenant = fleetTenantId(2);
    const token = await tokenIn(s, tenant);
    const set = await s.postJson('/_sim/tenants/trouble', { tenant: fleetTenantDomain(2), trouble: 'forbidden' });
    expect(set.status).toBe(200);
    expect(set.json()).toEqual({ tenant, trouble: 'forbidden' });
    expect((await s.get(EVERYTHING, token)).status).toBe(403);
    await s.postJson('/_sim/tenants/trouble', { tenant, trouble: 'no-consent' });
    expect(entraError(await tokenRequest(s, tenant)).error_codes).toEqual([65001]);
    const cleared = await s.postJson('/_sim/tenants/trouble', { tenant, trouble: null });
    expect(cleared.json()).toEqual({ tenant, trouble: null });
    expect((await s.get(EVERYTHING, token)).status).toBe(200);
    await tokenIn(s, tenant);

    expect((await s.postJson('/_sim/tenants/trouble', { tenant: fleetTenantId(3), trouble: 'forbidden' })).status).toBe(404);
    expect((await s.postJson('/_sim/tenants/trouble', { tenant, trouble: 'sometimes' })).status).toBe(400);
    expect((await s.postJson('/_sim/tenants/trouble', { trouble: 'forbidden' })).status).toBe(400);
    // In process, the same.
    expect(s.sim.setTenantTrouble(DEFAULT_TENANT, 'server-error')).toBe(true);
    expect((await s.get(EVERYTHING, await s.token())).status).toBe(500);
    expect(s.sim.setTenantTrouble(fleetTenantId(3), null)).toBe(false);
  });
});

describe('options and flags', () => {
  it('refuses a fleet size or trouble the simulator cannot serve', async () => {
    await expect(startSimulator({ https: false, tenants: -1 })).rejects.toThrow(/tenants must be a whole number/);
    await expect(startSimulator({ https: false, tenants: 1.5 })).rejects.toThrow(UsageError);
    await expect(startSimulator({ https: false, tenants: 1, tenantTrouble: { [fleetTenantId(2)]: 'forbidden' } })).rejects.toThrow(
      /does not serve/,
    );
    await expect(
      startSimulator({ https: false, tenants: 1, tenantTrouble: { [fleetTenantId(1)]: 'grumpy' as 'forbidden' } }),
    ).rejects.toThrow(/must be one of no-consent/);
  });

  it('prints the fleet size in the start line when there is a fleet', async () => {
    const s = await sim({ tenants: 4 });
    expect(describeSimulator(s.sim).tenants).toBe(4);
    const none = await startSimulator({ https: false });
    try {
      expect(describeSimulator(none)).not.toHaveProperty('tenants');
    } finally {
      await none.close();
    }
  });

  /** Runs `simulate` with commander-shaped options; resolves with its start line once it serves. */
  async function simulate(
    opts: Record<string, string | string[] | boolean>,
  ): Promise<{ line: Record<string, unknown>; stop: () => Promise<void> }> {
    const stdout = new PassThrough();
    const controller = new AbortController();
    const firstLine = new Promise<string>((resolve) => stdout.once('data', (chunk: Buffer) => resolve(chunk.toString())));
    const running = simulateCommand({ http: true, ...opts }, { stdout, signal: controller.signal } as unknown as CommandIo);
    const text = await Promise.race([firstLine, running.then(() => '{}')]);
    return {
      line: JSON.parse(text) as Record<string, unknown>,
      stop: async () => {
        controller.abort();
        await running;
      },
    };
  }

  it('simulate --tenants --tenant-trouble: serves the fleet with its trouble', async () => {
    const { line, stop } = await simulate({
      tenants: '3',
      tenantTrouble: ['tenant-2.simulator.onmicrosoft.com=forbidden', `${fleetTenantId(3)}=no-consent`],
    });
    try {
      expect(line).toMatchObject({ tenantId: DEFAULT_TENANT, tenants: 3 });
      const reply = await fetch(`${String(line.url)}/${fleetTenantId(3)}/oauth2/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'client_credentials',
          client_id: String(line.clientId),
          client_secret: String(line.clientSecret),
          resource: String(line.resource),
        }).toString(),
      });
      expect(((await reply.json()) as { error_codes: number[] }).error_codes).toEqual([65001]);
    } finally {
      await stop();
    }
  });

  it.each([
    [{ tenants: '-1' }, /^--tenants: expected a whole number from 0 to 100000, got "-1"$/],
    [{ tenants: '100001' }, /^--tenants: /],
    [{ tenants: '2', tenantTrouble: ['tenant-1.simulator.onmicrosoft.com'] }, /^--tenant-trouble: expected <tenant>=<kind>/],
    [{ tenants: '2', tenantTrouble: ['=forbidden'] }, /^--tenant-trouble: expected <tenant>=<kind>/],
    [
      { tenants: '2', tenantTrouble: [`${fleetTenantId(1)}=grumpy`] },
      /^--tenant-trouble: expected a kind of no-consent, .*, got "grumpy"$/,
    ],
    [{ tenants: '2', tenantTrouble: [`${fleetTenantId(3)}=forbidden`] }, /^--tenant-trouble: the simulator serves no tenant/],
  ])('simulate %j: a usage error naming the flag', async (opts, message) => {
    const error = await simulateCommand({ http: true, ...opts }, {
      stdout: new PassThrough(),
      signal: new AbortController().signal,
    } as unknown as CommandIo).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UsageError);
    expect((error as Error).message).toMatch(message);
  });
});
