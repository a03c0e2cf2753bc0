import { describe, expect, it } from 'vitest';
import { resolveAuthConfig, resolvePullConfig, type ResolveInput } from '../../src/config/resolve.js';
import { UsageError } from '../../src/errors.js';

const now = new Date('2024-05-01T12:00:00.000Z');
const TENANT = '00000000-0000-4000-8000-000000000001';
const CLIENT = '00000000-0000-4000-8000-0000000000c1';

function input(flags: Record<string, unknown>, env: Record<string, string> = {}, secretFromFile?: string): ResolveInput {
  return { flags, env, secretFromFile, now };
}

const goodEnv = { AZURE_TENANT_ID: TENANT, AZURE_CLIENT_ID: CLIENT, AZURE_CLIENT_SECRET: 's3cret', DEFENDER_REGION: 'eu' };

function problemsOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return (err as UsageError).message;
  }
  throw new Error('expected a UsageError');
}

describe('resolvePullConfig', () => {
  it('takes everything from the Azure SDK environment names and applies the documented defaults', () => {
    const c = resolvePullConfig(input({}, goodEnv));
    expect(c.tenant).toBe(TENANT);
    expect(c.clientId).toBe(CLIENT);
    expect(c.clientSecret).toBe('s3cret');
    expect(c.baseUrl.href).toBe('https://wdatp-alertexporter-eu.windows.com/');
    expect(c.resource).toBe('https://WDATPAlertExport.Seville.onmicrosoft.com');
    expect(c.authorityHost.href).toBe('https://login.microsoftonline.com/');
    expect(c.timeoutMs).toBe(30_000);
    expect(c.maxRetries).toBe(4);
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
    expect(c.clientSecret).toBe('from-file');
  });

  it('lets --base-url replace the region and keeps a path prefix', () => {
    const c = resolvePullConfig(input({ baseUrl: 'https://proxy.example/defender/' }, { ...goodEnv, DEFENDER_REGION: '' }));
    expect(c.baseUrl.href).toBe('https://proxy.example/defender');
  });

  it('reports every missing value at once, naming flag and variable', () => {
    const message = problemsOf(() => resolvePullConfig(input({})));
    expect(message).toContain('--tenant (or AZURE_TENANT_ID): required');
    expect(message).toContain('--client-id (or AZURE_CLIENT_ID): required');
    expect(message).toContain('--client-secret-file (or AZURE_CLIENT_SECRET): required');
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
    ['ago', '10m', '--ago'],
    ['format', 'csv', '--format'],
    ['timeout', '0', '--timeout'],
    ['maxRetries', '-1', '--max-retries'],
    ['logLevel', 'loud', '--log-level'],
  ])('rejects %s=%j before any request', (key, value, fragment) => {
    expect(problemsOf(() => resolvePullConfig(input({ [key]: value }, goodEnv)))).toContain(fragment);
  });

  it('allows plain http only on loopback (the simulator)', () => {
    const c = resolvePullConfig(input({ baseUrl: 'http://127.0.0.1:8080', authorityHost: 'http://localhost:8080' }, goodEnv));
    expect(c.baseUrl.origin).toBe('http://127.0.0.1:8080');
  });

  it('refuses --ago with --since, and an --until before --since', () => {
    expect(problemsOf(() => resolvePullConfig(input({ ago: 'PT10M', since: '2h' }, goodEnv)))).toContain('--ago and --since');
    expect(problemsOf(() => resolvePullConfig(input({ since: '1h', until: '2h' }, goodEnv)))).toContain('--until: must be later');
  });

  it('refuses both --client-secret and --client-secret-file', () => {
    expect(problemsOf(() => resolvePullConfig(input({ clientSecret: 'a', clientSecretFile: '-' }, goodEnv, 'b')))).toContain(
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
    expect(problemsOf(() => resolvePullConfig(input({}, { ...goodEnv, AZURE_TENANT_ID: '' })))).toContain('--tenant');
  });
});

describe('resolveAuthConfig', () => {
  it('needs no region (token only)', () => {
    const c = resolveAuthConfig(input({}, { ...goodEnv, DEFENDER_REGION: '' }));
    expect(c.baseUrl).toBeUndefined();
    expect(c.timeoutMs).toBe(30_000);
  });
});
