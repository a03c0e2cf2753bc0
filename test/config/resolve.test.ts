import { describe, expect, it } from 'vitest';
import { resolveAuthConfig, resolvePullConfig, type ResolveInput } from '../../src/config/resolve.js';
import { usageMessage } from '../helpers/rejection.js';

const now = new Date('2024-05-01T12:00:00.000Z');
const TENANT = '00000000-0000-4000-8000-000000000001';
const CLIENT = '00000000-0000-4000-8000-0000000000c1';

function input(flags: Record<string, unknown>, env: Record<string, string> = {}, secretFromFile?: string): ResolveInput {
  return { flags, env, secretFromFile, now };
}

const goodEnv = { AZURE_TENANT_ID: TENANT, AZURE_CLIENT_ID: CLIENT, AZURE_CLIENT_SECRET: 's3cret', DEFENDER_REGION: 'eu' };

describe('resolvePullConfig', () => {
  it('takes everything from the Azure SDK environment names and applies the documented defaults', () => {
    const c = resolvePullConfig(input({}, goodEnv));
    expect(c.tenant).toBe(TENANT);
    expect(c.clientId).toBe(CLIENT);
    expect(c.credential).toEqual({ kind: 'secret', secret: 's3cret' });
    expect(c.baseUrl.href).toBe('https://wdatp-alertexporter-eu.windows.com/');
    expect(c.api).toBe('siem');
    expect(c.cloud).toBe('public');
    expect(c.audience).toEqual({ version: 'v1', resource: 'https://WDATPAlertExport.Seville.onmicrosoft.com' });
    expect(c.authorityHost.href).toBe('https://login.microsoftonline.com/');
    expect(c.timeoutMs).toBe(30_000);
    expect(c.maxRetries).toBe(4);
    expect(c.maxThrottleWaitMs).toBe(3_600_000);
    expect(c.logLevel).toBe('info');
    expect(c.format).toBe('json');
    expect(c.query).toEqual({ machineGroups: [] });
  });

  it('lets a flag win over the environment', () => {
    const c = resolvePullConfig(input({ region: 'uk', tenant: 'contoso.onmicrosoft.com' }, goodEnv));
    expect(c.baseUrl.hostname).toBe('wdatp-alertexporter-uk.windows.com');
    expect(c.tenant).toBe('contoso.onmicrosoft.com');
  });

  it('prefers the secret file over the flag-less environment secret', () => {
    const c = resolvePullConfig(input({ clientSecretFile: '/x' }, goodEnv, 'from-file'));
    expect(c.credential).toEqual({ kind: 'secret', secret: 'from-file' });
  });

  it('lets --base-url replace the region and keeps a path prefix', () => {
    const c = resolvePullConfig(input({ baseUrl: 'https://proxy.example/defender/' }, { ...goodEnv, DEFENDER_REGION: '' }));
    expect(c.baseUrl.href).toBe('https://proxy.example/defender');
  });

  it('reports every missing value at once, naming flag and variable', () => {
    const message = usageMessage(() => resolvePullConfig(input({})));
    expect(message).toContain('--tenant (or AZURE_TENANT_ID): required');
    expect(message).toContain('--client-id (or AZURE_CLIENT_ID): required');
    expect(message).toContain(
      '--client-secret-file (or AZURE_CLIENT_SECRET), or --certificate (or AZURE_CLIENT_CERTIFICATE_PATH): required',
    );
    expect(message).toContain('--region (or DEFENDER_REGION): required unless --base-url');
  });

  it.each([
    ['tenant', 'common/../x', '--tenant'],
    ['tenant', 'not a tenant', '--tenant'],
    ['clientId', 'abc', '--client-id'],
    ['region', 'fr', '--region'],
    ['baseUrl', 'http://alerts.example.com', 'must use https://'],
    ['baseUrl', 'https://x.example/?a=1', 'must not carry a query'],
    ['authorityHost', 'ftp://login', '--authority-host'],
    ['since', 'yesterday', '--since'],
    ['limit', '0', '--limit'],
    ['limit', '1.5', '--limit'],
    ['ago', 'ten minutes', '--ago'],
    ['format', 'csv', '--format'],
    ['timeout', '0', '--timeout'],
    ['maxRetries', '-1', '--max-retries'],
    ['maxThrottleWait', '2d', '--max-throttle-wait (or DEFENDER_MAX_THROTTLE_WAIT): must be from 0s to 1d'],
    ['maxThrottleWait', '10', '--max-throttle-wait'],
    ['logLevel', 'loud', '--log-level'],
  ])('rejects %s=%j before any request', (key, value, fragment) => {
    expect(usageMessage(() => resolvePullConfig(input({ [key]: value }, goodEnv)))).toContain(fragment);
  });

  it('takes --max-throttle-wait from the flag or DEFENDER_MAX_THROTTLE_WAIT; 0s never waits', () => {
    expect(resolvePullConfig(input({}, { ...goodEnv, DEFENDER_MAX_THROTTLE_WAIT: '15m' })).maxThrottleWaitMs).toBe(900_000);
    expect(resolvePullConfig(input({ maxThrottleWait: '0s' }, { ...goodEnv, DEFENDER_MAX_THROTTLE_WAIT: '15m' })).maxThrottleWaitMs).toBe(
      0,
    );
  });

  it('allows plain http only on loopback (the simulator)', () => {
    const c = resolvePullConfig(input({ baseUrl: 'http://127.0.0.1:8080', authorityHost: 'http://localhost:8080' }, goodEnv));
    expect(c.baseUrl.origin).toBe('http://127.0.0.1:8080');
  });

  it('refuses --ago with --since, and an --until before --since', () => {
    expect(usageMessage(() => resolvePullConfig(input({ ago: 'PT10M', since: '2h' }, goodEnv)))).toContain('--ago and --since');
    expect(usageMessage(() => resolvePullConfig(input({ since: '1h', until: '2h' }, goodEnv)))).toContain('--until: must be later');
  });

  it('signs in with a certificate from the flag or AZURE_CLIENT_CERTIFICATE_PATH; an environment secret wins over an environment certificate', () => {
    const noSecret = { ...goodEnv, AZURE_CLIENT_SECRET: '' };
    expect(resolvePullConfig(input({ certificate: '/etc/app.pem' }, goodEnv)).credential).toEqual({
      kind: 'certificate',
      path: '/etc/app.pem',
    });
    expect(resolvePullConfig(input({}, { ...noSecret, AZURE_CLIENT_CERTIFICATE_PATH: '/c.pem' })).credential).toEqual({
      kind: 'certificate',
      path: '/c.pem',
    });
    expect(resolvePullConfig(input({}, { ...goodEnv, AZURE_CLIENT_CERTIFICATE_PATH: '/c.pem' })).credential.kind).toBe('secret');
    expect(usageMessage(() => resolvePullConfig(input({ certificate: '/c.pem', clientSecretFile: '/s' }, goodEnv, 'x')))).toContain(
      '--certificate and a client secret',
    );
  });

  it('refuses both --client-secret and --client-secret-file', () => {
    expect(usageMessage(() => resolvePullConfig(input({ clientSecret: 'a', clientSecretFile: '-' }, goodEnv, 'b')))).toContain(
      'give only one',
    );
  });

  it('builds the query from the filters given, and only those', () => {
    const c = resolvePullConfig(
      input(
        { since: '2h', until: '2024-05-01T11:30:00Z', limit: '25', machineGroup: ['UK', 'FR'], deviceTag: 'dt', cloudTag: 'ct' },
        goodEnv,
      ),
    );
    expect(c.query).toEqual({
      since: new Date('2024-05-01T10:00:00.000Z'),
      until: new Date('2024-05-01T11:30:00.000Z'),
      limit: 25,
      machineGroups: ['UK', 'FR'],
      deviceTag: 'dt',
      cloudTag: 'ct',
    });
  });

  it('treats an empty environment variable as unset', () => {
    expect(usageMessage(() => resolvePullConfig(input({}, { ...goodEnv, AZURE_TENANT_ID: '' })))).toContain('--tenant');
  });
});

describe('--api, --cloud and the options of one API', () => {
  const noRegion = { ...goodEnv, DEFENDER_REGION: '' };

  it('mde: the public host and a v2 token for the Defender API; a geo host with --region', () => {
    const c = resolvePullConfig(input({ api: 'mde' }, noRegion));
    expect(c.baseUrl.href).toBe('https://api.security.microsoft.com/');
    expect(c.audience).toEqual({ version: 'v2', scope: 'https://api.securitycenter.microsoft.com/.default' });
    expect(c.mde).toEqual({ filterOn: 'lastUpdateTime', expandEvidence: false, pageSize: 10_000 });
    expect(resolvePullConfig(input({ api: 'mde', region: 'au' }, noRegion)).baseUrl.hostname).toBe('au.api.security.microsoft.com');
  });

  it("graph: Graph's host and scope, no region", () => {
    const c = resolvePullConfig(input({ api: 'graph', serviceSource: 'microsoftDefenderForEndpoint' }, noRegion));
    expect(c.baseUrl.href).toBe('https://graph.microsoft.com/');
    expect(c.audience).toEqual({ version: 'v2', scope: 'https://graph.microsoft.com/.default' });
    expect(c.graph).toEqual({ serviceSource: 'microsoftDefenderForEndpoint', pageSize: 1000 });
  });

  it('warns of a region where it does not apply (graph, a government cloud), and ignores it', () => {
    // An env file written for siem (DEFENDER_REGION=eu) keeps working when --api changes.
    const graph = resolvePullConfig(input({ api: 'graph' }, { ...noRegion, DEFENDER_REGION: 'eu' }));
    expect(graph.baseUrl.href).toBe('https://graph.microsoft.com/');
    expect(graph.warnings).toEqual(['--region (or DEFENDER_REGION): --api graph has no regions; "eu" is ignored']);
    const gov = resolvePullConfig(input({ api: 'mde', cloud: 'gcc', region: 'eu' }, noRegion));
    expect(gov.baseUrl.href).toBe('https://api-gcc.securitycenter.microsoft.us/');
    expect(gov.warnings).toEqual(['--region (or DEFENDER_REGION): --api mde has one host in --cloud gcc; "eu" is ignored']);
    expect(resolvePullConfig(input({ api: 'mde', region: 'au' }, noRegion)).warnings).toEqual([]);
    // A region no API of that kind has is still a mistake.
    expect(usageMessage(() => resolvePullConfig(input({ api: 'mde', region: 'mars' }, noRegion)))).toContain(
      '--region (or DEFENDER_REGION): expected us, eu, uk, au, swa, ina, aea for --api mde, got "mars"',
    );
  });

  it.each([
    ['gcc', 'siem', 'https://wdatp-alertexporter-us.gcc.securitycenter.windows.us/', 'https://login.microsoftonline.com/'],
    ['gcc-high', 'siem', 'https://wdatp-alertexporter-us.securitycenter.windows.us/', 'https://login.microsoftonline.us/'],
    ['gcc', 'mde', 'https://api-gcc.securitycenter.microsoft.us/', 'https://login.microsoftonline.com/'],
    ['dod', 'mde', 'https://api-gov.securitycenter.microsoft.us/', 'https://login.microsoftonline.us/'],
    ['gcc-high', 'graph', 'https://graph.microsoft.us/', 'https://login.microsoftonline.us/'],
    ['dod', 'graph', 'https://dod-graph.microsoft.us/', 'https://login.microsoftonline.us/'],
  ])('--cloud %s with --api %s picks the API host and the sign-in host', (cloud, api, base, authority) => {
    const c = resolvePullConfig(input({ cloud, api }, noRegion));
    expect(c.baseUrl.href).toBe(base);
    expect(c.authorityHost.href).toBe(authority);
  });

  it('lets explicit URLs override the cloud', () => {
    const c = resolvePullConfig(
      input({ cloud: 'dod', api: 'graph', baseUrl: 'https://proxy.example', authorityHost: 'https://login.example' }, noRegion),
    );
    expect(c.baseUrl.href).toBe('https://proxy.example/');
    expect(c.authorityHost.href).toBe('https://login.example/');
  });

  it.each([
    [{ api: 'graph', ago: 'PT10M' }, '--ago: only with --api siem'],
    [{ api: 'mde', machineGroup: ['UK'] }, '--machine-group: only with --api siem'],
    [{ api: 'graph', expand: 'evidence' }, '--expand: only with --api mde'],
    [{ api: 'mde', serviceSource: 'x' }, '--service-source: only with --api graph'],
    [{ pageSize: '10' }, '--page-size: only with --api mde or graph'],
    [{ api: 'graph', pageSize: '5000' }, 'at most 1000'],
    [{ api: 'soap' }, '--api'],
    [{ cloud: 'mars' }, '--cloud'],
  ])('refuses %j', (flags, fragment) => {
    expect(usageMessage(() => resolvePullConfig(input(flags, { ...noRegion, DEFENDER_REGION: 'eu' })))).toContain(fragment);
  });
});

describe('resolveAuthConfig', () => {
  it('needs no region (token only)', () => {
    const c = resolveAuthConfig(input({}, { ...goodEnv, DEFENDER_REGION: '' }));
    expect(c.baseUrl).toBeUndefined();
    expect(c.timeoutMs).toBe(30_000);
  });
});

describe('--window', () => {
  const state = (flags: Record<string, unknown>) => resolvePullConfig(input({ state: '/var/lib/d/state.json', ...flags }, goodEnv)).state;

  it('is auto by default: the first windows an hour, the next sized by what they held', () => {
    expect(state({})).toMatchObject({ windowMs: 3_600_000, adaptiveWindows: true });
    expect(state({ window: 'auto' })).toMatchObject({ windowMs: 3_600_000, adaptiveWindows: true });
  });

  it('a duration fixes the size', () => {
    expect(state({ window: '30m' })).toMatchObject({ windowMs: 1_800_000, adaptiveWindows: false });
  });

  it.each(['10s', '8d', 'often'])('refuses %s, naming what it takes', (window) => {
    expect(usageMessage(() => state({ window }))).toContain('--window');
  });
});
