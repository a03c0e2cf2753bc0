import { describe, expect, it } from 'vitest';
import { MdeAlertSchema } from '../../src/alert/mde-schema.js';
import type { SiemAlert } from '../../simulator/alert-types.js';
import { simPerTest, v1Form, v2Form, type SimClient } from '../helpers/sim-client.js';

const NOW = new Date('2026-03-01T12:00:00Z');
const MDE = 'https://api.securitycenter.microsoft.com';
const GRAPH = 'https://graph.microsoft.com';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const sim = simPerTest({ now: () => NOW });

/** A token for `resource` from the v2 endpoint (`scope=<resource>/.default`), or v1 (`resource=`). */
async function tokenFor(s: SimClient, resource: string, version: 'v1' | 'v2' = 'v2'): Promise<string> {
  const { tenantId } = s.sim.credentials;
  const reply =
    version === 'v2'
      ? await s.postForm(`/${tenantId}/oauth2/v2.0/token`, v2Form(s.sim, { scope: `${resource}/.default` }))
      : await s.postForm(`/${tenantId}/oauth2/token`, v1Form(s.sim, { resource }));
  expect(reply.status, reply.text).toBe(200);
  return reply.json<{ access_token: string }>().access_token;
}

interface Page {
  '@odata.context': string;
  '@odata.nextLink'?: string;
  value: Record<string, unknown>[];
}

const detection = (id: string, processed: string, extra: SiemAlert = {}): SiemAlert => ({
  AlertId: id,
  LastProcessedTimeUtc: processed,
  AlertTime: '2026-03-01T08:00:00.5Z',
  AlertTitle: `alert ${id}`,
  Severity: 'High',
  Category: 'Malware',
  Source: 'EDR',
  ...extra,
});

describe('GET /api/alerts with a Defender for Endpoint token', () => {
  it('answers an OData page: one alert per AlertId, documented fields, valid by MdeAlertSchema', async () => {
    const s = await sim({ alerts: 400, seed: 7 });
    const token = await tokenFor(s, MDE);
    const reply = await s.get('/api/alerts', token);
    expect(reply.status).toBe(200);
    expect(reply.headers['content-type']).toBe('application/json; charset=utf-8');
    const page = reply.json<Page>();
    expect(page['@odata.context']).toBe(`${s.sim.url}/api/$metadata#Alerts`);
    expect(page['@odata.nextLink']).toBeUndefined();

    const siem = [...s.sim.store.query({ sinceTimeUtc: '2000-01-01T00:00:00Z' }, NOW).alerts];
    const alertIds = new Set(siem.map((a) => String(a.AlertId)));
    expect(alertIds.size).toBeLessThan(siem.length); // some alerts have several detections
    expect(page.value.map((a) => a['id'])).toEqual([...alertIds]);
    for (const alert of page.value) {
      const parsed = MdeAlertSchema.safeParse(alert);
      expect(parsed.success, JSON.stringify(parsed.error?.issues)).toBe(true);
      expect(alert).not.toHaveProperty('evidence');
      expect(['UnSpecified', 'Informational', 'Low', 'Medium', 'High']).toContain(alert['severity']);
      expect(['New', 'InProgress', 'Resolved']).toContain(alert['status']);
      expect(alert['aadTenantId']).toBe(s.sim.credentials.tenantId);
    }
    // Microsoft's published 2017 example is among them, under its own id.
    expect(page.value.map((a) => a['id'])).toContain('636207535742330111_-1114309685');

    const expanded = (await s.get('/api/alerts?$expand=evidence', token)).json<Page>().value;
    expect(expanded).toHaveLength(page.value.length);
    for (const alert of expanded) {
      const parsed = MdeAlertSchema.safeParse(alert);
      expect(parsed.success, JSON.stringify(parsed.error?.issues)).toBe(true);
      const evidence = alert['evidence'] as Record<string, unknown>[];
      expect(evidence.length, String(alert['id'])).toBeGreaterThan(0);
      for (const e of evidence) expect(['File', 'Process', 'User', 'Ip', 'Url']).toContain(e['entityType']);
    }
  });

  it('maps the SIEM values: lastUpdateTime = LastProcessedTimeUtc, alertCreationTime = AlertTime, detections merged', async () => {
    const s = await sim({ alerts: 0 });
    s.sim.store.add([
      detection('da1_1', '2026-03-01T11:00:00.1200000Z', {
        FileName: 'a.exe',
        FilePath: 'C:\\a',
        Sha1: 'aa',
        CommandLine: 'a.exe -x',
        ComputerDnsName: 'pc1.contoso.com',
        DeviceID: 'dev1',
        MachineGroup: 'UKMachines',
        UserName: 'alice',
        UserDomain: 'CONTOSO',
        ThreatName: 'T',
        ThreatFamily: 'F',
      }),
      detection('da1_1', '2026-03-01T11:00:00.1200000Z', { FileName: 'b.dll', FilePath: 'C:\\b', Sha1: 'bb', Url: 'http://x.test/' }),
    ]);
    const token = await tokenFor(s, MDE);
    const [alert, more] = (await s.get('/api/alerts?$expand=evidence', token)).json<Page>().value;
    expect(more).toBeUndefined();
    expect(alert).toMatchObject({
      id: 'da1_1',
      lastUpdateTime: '2026-03-01T11:00:00.12Z',
      alertCreationTime: '2026-03-01T08:00:00.5Z',
      title: 'alert da1_1',
      severity: 'High',
      category: 'Malware',
      detectionSource: 'WindowsDefenderAtp',
      computerDnsName: 'pc1.contoso.com',
      machineId: 'dev1',
      rbacGroupName: 'UKMachines',
      threatName: 'T',
      threatFamilyName: 'F',
      relatedUser: { userName: 'alice', domainName: 'CONTOSO' },
    });
    const evidence = alert?.['evidence'] as Record<string, unknown>[];
    expect(evidence.map((e) => [e['entityType'], e['fileName'] ?? e['url'] ?? e['accountName']])).toEqual([
      ['File', 'a.exe'],
      ['Process', 'a.exe'],
      ['User', 'alice'],
      ['File', 'b.dll'],
      ['Url', 'http://x.test/'],
    ]);
    expect(evidence[1]).toMatchObject({ processCommandLine: 'a.exe -x', sha1: 'aa', ipAddress: null });
    expect(MdeAlertSchema.safeParse(alert).success).toBe(true);
  });

  it('accepts tokens for every MDE audience, from the v1 and the v2 endpoint', async () => {
    const s = await sim({ alerts: 5, includeExamples: false });
    for (const resource of [
      'https://api.security.microsoft.com',
      'https://api-gcc.securitycenter.microsoft.us',
      'https://api-gov.securitycenter.microsoft.us/',
    ]) {
      const reply = await s.get('/api/alerts', await tokenFor(s, resource));
      expect(reply.status, resource).toBe(200);
      expect(reply.json<Page>()['@odata.context'], resource).toContain('#Alerts');
    }
    const v1 = await s.get('/api/alerts', await tokenFor(s, MDE, 'v1'));
    expect(v1.json<Page>().value.length).toBeGreaterThan(0);
  });

  it('still answers the SIEM array to a SIEM token on the same path', async () => {
    const s = await sim({ alerts: 5, includeExamples: false });
    const reply = await s.get('/api/alerts', await s.token());
    expect(Array.isArray(reply.json())).toBe(true);
  });

  it('pages with $top and an absolute, same-origin, $skip-based nextLink until none remain', async () => {
    const s = await sim({ alerts: 0 });
    s.sim.store.add(Array.from({ length: 23 }, (_, i) => detection(`da${i}_0`, `2026-03-01T10:${String(i).padStart(2, '0')}:00.0000000Z`)));
    const token = await tokenFor(s, MDE);
    const ids: unknown[] = [];
    const links: string[] = [];
    let path: string | undefined = '/api/alerts?$top=10&$filter=lastUpdateTime ge 2026-03-01T10:00:00Z&$expand=evidence';
    while (path !== undefined) {
      const page: Page = (await s.get(path, token)).json<Page>();
      ids.push(...page.value.map((a) => a['id']));
      expect(page.value.every((a) => Array.isArray(a['evidence']))).toBe(true);
      const link: string | undefined = page['@odata.nextLink'];
      if (link === undefined) break;
      links.push(link);
      const next = new URL(link);
      expect(next.origin).toBe(s.sim.url);
      path = `${next.pathname}${next.search}`;
    }
    expect(ids).toEqual(Array.from({ length: 23 }, (_, i) => `da${i}_0`));
    expect(links.map((l) => new URL(l).searchParams.get('$skip'))).toEqual(['10', '20']);
    expect(new URL(links[0] ?? '').searchParams.get('$filter')).toBe('lastUpdateTime ge 2026-03-01T10:00:00Z');
  });

  it('filters on lastUpdateTime and alertCreationTime, both bounds inclusive to the tick', async () => {
    const s = await sim({ alerts: 0 });
    s.sim.store.add([
      detection('before', '2026-03-01T10:59:59.9999999Z', { AlertTime: '2026-03-01T09:00:00Z' }),
      detection('first', '2026-03-01T11:00:00.0000000Z', { AlertTime: '2026-03-01T09:30:00Z' }),
      detection('last', '2026-03-01T11:30:00.1234567Z', { AlertTime: '2026-03-01T10:00:00Z' }),
      detection('after', '2026-03-01T11:30:00.1234568Z', { AlertTime: '2026-03-01T10:30:00Z' }),
    ]);
    const token = await tokenFor(s, MDE);
    const ids = async (filter: string): Promise<unknown[]> => {
      const reply = await s.get(`/api/alerts?$filter=${encodeURIComponent(filter)}`, token);
      expect(reply.status, reply.text).toBe(200);
      return reply.json<Page>().value.map((a) => a['id']);
    };
    expect(await ids('lastUpdateTime ge 2026-03-01T11:00:00Z and lastUpdateTime le 2026-03-01T11:30:00.1234567Z')).toEqual([
      'first',
      'last',
    ]);
    expect(await ids('lastUpdateTime gt 2026-03-01T11:00:00Z')).toEqual(['last', 'after']);
    expect(await ids('alertCreationTime ge 2026-03-01T09:30:00Z and alertCreationTime lt 2026-03-01T10:30:00Z')).toEqual(['first', 'last']);
    expect(await ids('lastUpdateTime ge 2026-03-01T12:00:00Z')).toEqual([]);
  });

  it('orders by $orderby=lastUpdateTime desc', async () => {
    const s = await sim({ alerts: 0 });
    s.sim.store.add([detection('old', '2026-03-01T10:00:00Z'), detection('new', '2026-03-01T11:00:00Z')]);
    const reply = await s.get('/api/alerts?$orderby=lastUpdateTime%20desc', await tokenFor(s, MDE));
    expect(reply.json<Page>().value.map((a) => a['id'])).toEqual(['new', 'old']);
  });

  it.each([
    ['$top=10001', /Top/],
    ['$filter=lastUpdateTime%20ge%20yesterday', /DateTimeOffset/],
    ['$filter=title%20eq%20%27x%27', /title/],
    ["$filter=serviceSource%20eq%20'microsoftDefenderForEndpoint'", /serviceSource/],
    ['$expand=machine', /machine/],
  ])('answers 400 with the API error JSON (code, message, correlation id) for %s', async (query, message) => {
    const s = await sim({ alerts: 3, includeExamples: false });
    const reply = await s.get(`/api/alerts?${query}`, await tokenFor(s, MDE));
    expect(reply.status).toBe(400);
    const { error } = reply.json<{ error: { code: string; message: string; target: string } }>();
    expect(error.code).toBe('BadRequest');
    expect(error.message).toMatch(message);
    expect(error.target).toMatch(UUID);
  });

  it('refuses a Graph token with 401 InvalidAuthenticationToken naming the audience', async () => {
    const s = await sim({ alerts: 3 });
    const reply = await s.get('/api/alerts', await tokenFor(s, GRAPH));
    expect(reply.status).toBe(401);
    expect(reply.json()).toMatchObject({
      error: {
        code: 'InvalidAuthenticationToken',
        message: expect.stringMatching(/Audience validation failed.*graph\.microsoft\.com/),
        target: expect.stringMatching(UUID),
      },
    });
  });

  it('answers 401 to an expired MDE token', async () => {
    let clock = NOW;
    const s = await sim({ alerts: 3, now: () => clock, tokenLifetimeSeconds: 60 });
    const token = await tokenFor(s, MDE);
    expect((await s.get('/api/alerts', token)).status).toBe(200);
    clock = new Date(NOW.getTime() + 60_000);
    const expired = await s.get('/api/alerts', token);
    expect(expired.status).toBe(401);
    expect(expired.text).toContain('expired');
  });

  it('answers 429 with Retry-After once more than mdeCallsPerMinute calls came in a sliding minute', async () => {
    let clock = NOW;
    const s = await sim({ alerts: 3, now: () => clock, mdeCallsPerMinute: 3 });
    const token = await tokenFor(s, MDE);
    const siemToken = await s.token();
    for (let i = 0; i < 3; i++) expect((await s.get('/api/alerts?$top=1', token)).status).toBe(200);
    // SIEM calls are not MDE calls: they neither count nor are refused.
    expect((await s.get('/api/alerts', siemToken)).status).toBe(200);
    clock = new Date(NOW.getTime() + 20_000);
    const refused = await s.get('/api/alerts?$top=1', token);
    expect(refused.status).toBe(429);
    expect(refused.headers['retry-after']).toBe('40');
    expect(refused.json()).toMatchObject({
      error: {
        code: 'TooManyRequests',
        message: 'API calls quota exceeded! maximum allowed 3 per 00:01:00',
        target: expect.stringMatching(UUID),
      },
    });
    clock = new Date(NOW.getTime() + 60_000);
    expect((await s.get('/api/alerts?$top=1', token)).status).toBe(200);
    // Every one of them is an alert request in the stats.
    expect(s.sim.stats.of('alerts').map((r) => r.status)).toEqual([200, 200, 200, 200, 429, 200]);
  });

  it('applies scripted faults, with their extra headers, to MDE requests', async () => {
    const s = await sim({ alerts: 3 });
    const token = await tokenFor(s, MDE);
    s.sim.faults.push({ status: 503, retryAfter: '2', headers: { 'x-ms-diagnostic': 'busy' } });
    const failed = await s.get('/api/alerts', token);
    expect(failed.status).toBe(503);
    expect(failed.headers['retry-after']).toBe('2');
    expect(failed.headers['x-ms-diagnostic']).toBe('busy');
    expect((await s.get('/api/alerts', token)).status).toBe(200);
  });
});
