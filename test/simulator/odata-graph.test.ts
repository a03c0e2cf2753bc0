import { describe, expect, it } from 'vitest';
import { GraphAlertSchema } from '../../src/alert/graph-schema.js';
import type { SiemAlert } from '../../simulator/alert-types.js';
import { simPerTest, v2Form, type SimClient } from '../helpers/sim-client.js';

const NOW = new Date('2026-03-01T12:00:00Z');
const GRAPH = 'https://graph.microsoft.com';
const ALERTS = '/v1.0/security/alerts_v2';
const TYPE = '#microsoft.graph.security.';

const sim = simPerTest({ now: () => NOW });

async function tokenFor(s: SimClient, resource: string): Promise<string> {
  const reply = await s.postForm(`/${s.sim.credentials.tenantId}/oauth2/v2.0/token`, v2Form(s.sim, { scope: `${resource}/.default` }));
  expect(reply.status, reply.text).toBe(200);
  return reply.json<{ access_token: string }>().access_token;
}

interface Page {
  '@odata.context': string;
  '@odata.count'?: number;
  '@odata.nextLink'?: string;
  value: Record<string, unknown>[];
}

const detection = (id: string, processed: string, extra: SiemAlert = {}): SiemAlert => ({
  AlertId: id,
  LastProcessedTimeUtc: processed,
  AlertTime: '2026-03-01T08:00:00.5Z',
  AlertTitle: `alert ${id}`,
  Severity: 'Medium',
  Source: 'WindowsDefenderAv',
  ...extra,
});

const path = (query: Record<string, string>): string => `${ALERTS}?${new URLSearchParams(query).toString()}`;

describe('GET /v1.0/security/alerts_v2 with a Graph token', () => {
  it('answers a page of 50, most recently created first, every alert valid by GraphAlertSchema', async () => {
    const s = await sim({ alerts: 400, seed: 3 });
    const reply = await s.get(ALERTS, await tokenFor(s, GRAPH));
    expect(reply.status).toBe(200);
    const page = reply.json<Page>();
    expect(page['@odata.context']).toBe(`${s.sim.url}/v1.0/$metadata#security/alerts_v2`);
    expect(page.value).toHaveLength(50);
    expect(page['@odata.nextLink']).toMatch(new RegExp(`^${s.sim.url}${ALERTS}\\?`));
    const created = page.value.map((a) => String(a['createdDateTime']));
    expect(created).toEqual([...created].sort().reverse());
    for (const alert of page.value) {
      const parsed = GraphAlertSchema.safeParse(alert);
      expect(parsed.success, JSON.stringify(parsed.error?.issues)).toBe(true);
      expect(alert['@odata.type']).toBe(`${TYPE}alert`);
      expect(alert['serviceSource']).toBe('microsoftDefenderForEndpoint');
      expect(['new', 'inProgress', 'resolved']).toContain(alert['status']);
      expect(['unknown', 'informational', 'low', 'medium', 'high']).toContain(alert['severity']);
      expect(alert['providerAlertId']).toBe(alert['id']);
      expect(typeof alert['incidentId']).toBe('string');
    }
  });

  it('validates every alert of a large store, page by page through nextLink ($skiptoken, past the $skip cap)', async () => {
    const s = await sim({ alerts: 3000, seed: 11, windowHours: 24 });
    const token = await tokenFor(s, GRAPH);
    const expected = new Set([...s.sim.store.query({ sinceTimeUtc: '2000-01-01T00:00:00Z' }, NOW).alerts].map((a) => String(a.AlertId)));
    const seen: string[] = [];
    let next: string | undefined = path({ $top: '1000' });
    while (next !== undefined) {
      const reply = await s.get(next, token);
      expect(reply.status, reply.text).toBe(200);
      // Graph writes the next link before `value`.
      if (reply.text.includes('@odata.nextLink')) expect(reply.text.indexOf('@odata.nextLink')).toBeLessThan(reply.text.indexOf('"value"'));
      const page = reply.json<Page>();
      for (const alert of page.value) {
        const parsed = GraphAlertSchema.safeParse(alert);
        expect(parsed.success, `${String(alert['id'])}: ${JSON.stringify(parsed.error?.issues)}`).toBe(true);
        seen.push(String(alert['id']));
      }
      const link = page['@odata.nextLink'];
      next = link === undefined ? undefined : `${new URL(link).pathname}${new URL(link).search}`;
    }
    expect(seen.length).toBe(expected.size);
    expect(new Set(seen)).toEqual(expected);
    expect(expected.size).toBeGreaterThan(1000);
  });

  it('maps the SIEM values and carries device, file and process evidence as Microsoft documents them', async () => {
    const s = await sim({ alerts: 0 });
    s.sim.store.add([
      detection('da9_9', '2026-03-01T11:00:00.1200000Z', {
        ComputerDnsName: 'pc1.contoso.com',
        DeviceID: 'dev1',
        MachineGroup: 'UKMachines',
        DeviceCreatedMachineTags: 'VIP',
        CloudCreatedMachineTags: 'Finance, Laptops',
        Actor: 'STRONTIUM',
        FileName: 'a.exe',
        FilePath: 'C:\\a',
        Sha1: 'aa',
        Sha256: 'bb',
        Md5: 'cc',
        CommandLine: 'a.exe -x',
        UserName: 'alice',
        UserDomain: 'CONTOSO',
        ThreatName: 'Trojan:Win32/X',
        ThreatFamily: 'X',
        RemediationIsSuccess: true,
      }),
      detection('da9_9', '2026-03-01T11:00:00.1200000Z', { FileName: 'b.dll', FilePath: 'C:\\b', Sha1: 'dd', Sha256: '', Md5: null }),
    ]);
    const [alert] = (await s.get(ALERTS, await tokenFor(s, GRAPH))).json<Page>().value;
    expect(alert).toMatchObject({
      id: 'da9_9',
      createdDateTime: '2026-03-01T08:00:00.5000000Z',
      lastUpdateDateTime: '2026-03-01T11:00:00.1200000Z',
      resolvedDateTime: '2026-03-01T11:00:00.1200000Z',
      status: 'resolved',
      severity: 'medium',
      detectionSource: 'antivirus',
      actorDisplayName: 'STRONTIUM',
      threatDisplayName: 'Trojan:Win32/X',
      threatFamilyName: 'X',
      alertWebUrl: `https://security.microsoft.com/alerts/da9_9?tid=${s.sim.credentials.tenantId}`,
    });
    const evidence = alert?.['evidence'] as Record<string, unknown>[];
    expect(evidence.map((e) => e['@odata.type'])).toEqual([
      `${TYPE}deviceEvidence`,
      `${TYPE}fileEvidence`,
      `${TYPE}processEvidence`,
      `${TYPE}fileEvidence`,
      `${TYPE}userEvidence`,
    ]);
    expect(evidence[0]).toMatchObject({
      deviceDnsName: 'pc1.contoso.com',
      mdeDeviceId: 'dev1',
      rbacGroupName: 'UKMachines',
      tags: ['VIP', 'Finance', 'Laptops'],
    });
    expect(evidence[1]).toMatchObject({ fileDetails: { sha1: 'aa', sha256: 'bb', md5: 'cc', fileName: 'a.exe', filePath: 'C:\\a' } });
    expect(evidence[2]).toMatchObject({
      processCommandLine: 'a.exe -x',
      imageFile: { fileName: 'a.exe' },
      userAccount: { accountName: 'alice', domainName: 'CONTOSO' },
    });
    expect(evidence[3]?.['fileDetails']).toEqual({
      sha1: 'dd',
      sha256: null,
      fileName: 'b.dll',
      filePath: 'C:\\b',
      fileSize: null,
      filePublisher: null,
      signer: null,
      issuer: null,
    });
  });

  it('filters on lastUpdateDateTime (inclusive) and serviceSource, ordered ascending on request', async () => {
    const s = await sim({ alerts: 0 });
    s.sim.store.add([
      detection('a', '2026-03-01T10:00:00.0000000Z', { AlertTime: '2026-03-01T09:59:00Z' }),
      detection('b', '2026-03-01T10:30:00.1234567Z', { AlertTime: '2026-03-01T09:00:00Z' }),
      detection('c', '2026-03-01T11:00:00.0000000Z', { AlertTime: '2026-03-01T09:30:00Z' }),
    ]);
    const token = await tokenFor(s, GRAPH);
    const ids = async (query: Record<string, string>): Promise<unknown[]> => {
      const reply = await s.get(path(query), token);
      expect(reply.status, reply.text).toBe(200);
      return reply.json<Page>().value.map((a) => a['id']);
    };
    const asc = { $orderby: 'lastUpdateDateTime asc' };
    expect(
      await ids({ ...asc, $filter: 'lastUpdateDateTime ge 2026-03-01T10:30:00.1234567Z and lastUpdateDateTime le 2026-03-01T11:00:00Z' }),
    ).toEqual(['b', 'c']);
    expect(
      await ids({ ...asc, $filter: "lastUpdateDateTime gt 2026-03-01T10:00:00Z and serviceSource eq 'microsoftDefenderForEndpoint'" }),
    ).toEqual(['b', 'c']);
    expect(await ids({ $filter: "serviceSource eq 'microsoftDefenderForOffice365'" })).toEqual([]);
    // Default order: the most recently created first.
    expect(await ids({})).toEqual(['a', 'c', 'b']);
    expect(await ids({ $orderby: 'lastUpdateDateTime desc' })).toEqual(['c', 'b', 'a']);
  });

  it('adds @odata.count with $count=true', async () => {
    const s = await sim({ alerts: 0 });
    s.sim.store.add([detection('a', '2026-03-01T10:00:00Z'), detection('b', '2026-03-01T10:01:00Z')]);
    const page = (await s.get(path({ $count: 'true', $top: '1' }), await tokenFor(s, GRAPH))).json<Page>();
    expect(page['@odata.count']).toBe(2);
    expect(page.value).toHaveLength(1);
  });

  it.each([
    [{ $top: '1001' }, /Top/],
    [{ $skip: '501' }, /Skip/],
    [{ $filter: 'lastUpdateDateTime ge 2026-03-01' }, /DateTimeOffset/],
    [{ $filter: 'lastUpdateTime ge 2026-03-01T00:00:00Z' }, /lastUpdateTime/],
    [{ $orderby: 'severity desc' }, /orderby/],
  ])('answers 400 with Graph error JSON for %j', async (query, message) => {
    const s = await sim({ alerts: 3 });
    const reply = await s.get(path(query), await tokenFor(s, GRAPH), { 'client-request-id': 'c0ffee00-0000-4000-8000-000000000000' });
    expect(reply.status).toBe(400);
    const { error } = reply.json<{ error: { code: string; message: string; innerError: Record<string, string> } }>();
    expect(error.code).toBe('BadRequest');
    expect(error.message).toMatch(message);
    expect(error.innerError['client-request-id']).toBe('c0ffee00-0000-4000-8000-000000000000');
  });

  it('accepts $skip up to 500', async () => {
    const s = await sim({ alerts: 3 });
    const reply = await s.get(path({ $skip: '500' }), await tokenFor(s, GRAPH));
    expect(reply.status).toBe(200);
    expect(reply.json<Page>().value).toEqual([]);
  });

  it('accepts tokens for the US Government Graph audiences', async () => {
    const s = await sim({ alerts: 3 });
    for (const resource of ['https://graph.microsoft.us', 'https://dod-graph.microsoft.us']) {
      expect((await s.get(ALERTS, await tokenFor(s, resource))).status, resource).toBe(200);
    }
  });

  it('answers 401 with an audience message to MDE and SIEM tokens, and 401 without a token', async () => {
    const s = await sim({ alerts: 3 });
    for (const token of [await tokenFor(s, 'https://api.securitycenter.microsoft.com'), await s.token()]) {
      const reply = await s.get(ALERTS, token);
      expect(reply.status).toBe(401);
      expect(reply.json()).toMatchObject({ error: { code: 'InvalidAuthenticationToken', message: expect.stringMatching(/audience/i) } });
    }
    const none = await s.get(ALERTS);
    expect(none.status).toBe(401);
    expect(none.json()).toMatchObject({ error: { code: 'InvalidAuthenticationToken', message: 'Access token is empty.' } });
  });

  it('answers a scripted 206 with the Warning header and the page as its body (a partial answer)', async () => {
    const s = await sim({ alerts: 10 });
    const token = await tokenFor(s, GRAPH);
    const warning = '199 - "Microsoft/WDATP/401/2107"';
    s.sim.faults.push({ status: 206, headers: { warning } });
    const partial = await s.get(ALERTS, token);
    expect(partial.status).toBe(206);
    expect(partial.headers['warning']).toBe(warning);
    expect(partial.json<Page>().value.length).toBeGreaterThan(0);
    const after = await s.get(ALERTS, token);
    expect(after.status).toBe(200);
    expect(after.headers['warning']).toBeUndefined();
    expect(s.sim.stats.of('alerts').map((r) => [r.path, r.status])).toEqual([
      [ALERTS, 206],
      [ALERTS, 200],
    ]);
  });

  it('takes the 206 fault over HTTP too, and refuses a header that could not be sent', async () => {
    const s = await sim({ alerts: 3 });
    expect((await s.postJson('/_sim/faults', { status: 206, headers: { 'bad name': 'x' } })).status).toBe(400);
    expect((await s.postJson('/_sim/faults', { status: 206, headers: { warning: 'a\r\nb' } })).status).toBe(400);
    expect((await s.postJson('/_sim/faults', { status: 206, headers: { warning: '199 - "Microsoft/WDATP/504/10000"' } })).status).toBe(200);
    const partial = await s.get(ALERTS, await tokenFor(s, GRAPH));
    expect([partial.status, partial.headers['warning']]).toEqual([206, '199 - "Microsoft/WDATP/504/10000"']);
  });

  it('is not rate limited by the Defender for Endpoint limit', async () => {
    const s = await sim({ alerts: 3, mdeCallsPerMinute: 1 });
    const token = await tokenFor(s, GRAPH);
    for (let i = 0; i < 3; i++) expect((await s.get(ALERTS, token)).status).toBe(200);
  });
});
