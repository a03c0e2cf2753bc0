import { describe, expect, it } from 'vitest';
import { problemLine } from '../../src/config/problems.js';
import { fileSafeLabel, parseTenantsFile, tenantFlags, TenantsFileError } from '../../src/config/tenants.js';

const A = '00000000-0000-4000-8001-000000000001';
const B = '00000000-0000-4000-8001-000000000002';

function problems(content: string, file = 'tenants.json'): string[] {
  try {
    parseTenantsFile(content, file);
  } catch (err) {
    expect(err).toBeInstanceOf(TenantsFileError);
    return (err as TenantsFileError).problems.map(problemLine);
  }
  throw new Error('expected a TenantsFileError');
}

describe('the plain list', () => {
  it('takes one tenant id or domain a line, with # comments and blank lines', () => {
    const entries = parseTenantsFile(`# customers\n${A}\n\n  contoso.onmicrosoft.com   # since May\r\n${B}\n`, 'tenants.txt');
    expect(entries.map((e) => [e.tenant, e.label, e.where])).toEqual([
      [A, A, 'tenants.txt:2'],
      ['contoso.onmicrosoft.com', 'contoso.onmicrosoft.com', 'tenants.txt:4'],
      [B, B, 'tenants.txt:5'],
    ]);
    expect(entries.every((e) => Object.keys(e.overrides).length === 0)).toBe(true);
  });

  it('names every bad line by its number', () => {
    expect(problems(`${A}\nnot a tenant\n../etc\n`, 'tenants.txt')).toEqual([
      'tenants.txt:2: "not a tenant": expected the tenant GUID or a verified domain such as contoso.onmicrosoft.com',
      'tenants.txt:3: "../etc": expected the tenant GUID or a verified domain such as contoso.onmicrosoft.com',
    ]);
  });

  it('refuses a file that names no tenant, and a tenant listed twice', () => {
    expect(problems('# nothing yet\n', 'tenants.txt')).toEqual(['tenants.txt: names no tenant']);
    expect(problems(`${A}\n${A}\n`, 'tenants.txt')).toEqual([
      `tenants.txt:2: "${A}" is already listed at tenants.txt:1; give each tenant once (or a distinct "name")`,
    ]);
  });
});

describe('the JSON form', () => {
  it('takes a label and per-tenant settings, as the flags they override', () => {
    const [entry] = parseTenantsFile(
      JSON.stringify([
        {
          tenant: A,
          name: 'contoso',
          api: 'mde',
          region: 'eu',
          clientSecretFile: '/etc/defender/contoso.secret',
          machineGroups: ['Servers'],
          pageSize: 500,
        },
      ]),
      'tenants.json',
    );
    expect(entry).toEqual({
      tenant: A,
      label: 'contoso',
      where: 'tenants.json[0]',
      overrides: { api: 'mde', region: 'eu', clientSecretFile: '/etc/defender/contoso.secret', machineGroup: ['Servers'], pageSize: '500' },
    });
  });

  it('reports every problem of every entry at once, at its path', () => {
    const found = problems(
      JSON.stringify([
        { tenant: A },
        { name: 'x' },
        { tenant: 'bad tenant', region: 7 },
        'contoso',
        { tenant: B, clientSecret: 's', colour: 1 },
      ]),
    );
    expect(found).toEqual([
      'tenants.json[1].tenant: required',
      'tenants.json[2].tenant: expected the tenant GUID or a verified domain such as contoso.onmicrosoft.com',
      'tenants.json[2].region: expected a region',
      'tenants.json[3]: expected an object such as {"tenant": "contoso.onmicrosoft.com"}',
      'tenants.json[4].clientSecret: a tenants file never holds a secret: put it in a file (mode 0600) and name that file with "clientSecretFile"',
      expect.stringMatching(/^tenants\.json\[4\]\.colour: not a setting of a tenant; expected one of tenant, name, api, /) as string,
    ]);
  });

  it('refuses stdin as a per-tenant secret file, and what is not an array', () => {
    expect(problems(JSON.stringify([{ tenant: A, clientSecretFile: '-' }]))).toEqual([
      'tenants.json[0].clientSecretFile: stdin ("-") cannot be read per tenant; name a file',
    ]);
    expect(problems('{"tenant": "x"}')).toEqual([
      'tenants.json: expected a JSON array of tenants, such as [{"tenant": "contoso.onmicrosoft.com"}]',
    ]);
    expect(problems('[{"tenant": ')[0]).toMatch(/^tenants\.json: is not valid JSON \(/);
  });

  it('refuses two labels that would share a state file, also when only their case differs', () => {
    expect(
      problems(
        JSON.stringify([
          { tenant: A, name: 'Contoso' },
          { tenant: B, name: 'contoso' },
        ]),
      ),
    ).toEqual(['tenants.json[1]: "contoso" and "Contoso" (tenants.json[0]) would share the file name "contoso"; give them distinct names']);
  });
});

describe('fileSafeLabel', () => {
  it('keeps tenant ids, domains and plain names as they are', () => {
    for (const label of [A, 'contoso.onmicrosoft.com', 'Contoso_EU-2']) expect(fileSafeLabel(label)).toBe(label);
  });

  it('makes any other label path-safe, stable, and distinct from its neighbours', () => {
    const safe = fileSafeLabel('Contoso / EU');
    expect(safe).toMatch(/^Contoso_EU-[0-9a-f]{8}$/);
    expect(fileSafeLabel('Contoso / EU')).toBe(safe);
    expect(fileSafeLabel('Contoso  EU')).not.toBe(safe);
    expect(fileSafeLabel('..')).toMatch(/^_-[0-9a-f]{8}$/);
    expect(fileSafeLabel('x'.repeat(300)).length).toBeLessThanOrEqual(89);
  });
});

describe('tenantFlags', () => {
  const entry = (overrides: Record<string, unknown>) => ({ tenant: A, label: 'a', where: 'f[0]', overrides });

  it('puts the tenant and its overrides over the command line', () => {
    expect(tenantFlags({ api: 'graph', tenants: 'f', since: '1h' }, entry({ api: 'mde' }))).toEqual({ api: 'mde', tenant: A, since: '1h' });
  });

  it("drops the command line's credential when the tenant names its own", () => {
    expect(tenantFlags({ certificate: '/c.pem', clientSecret: 'x' }, entry({ clientSecretFile: '/s' }))).toEqual({
      tenant: A,
      clientSecretFile: '/s',
    });
    expect(tenantFlags({ clientSecretFile: '/s' }, entry({}))).toEqual({ tenant: A, clientSecretFile: '/s' });
  });
});
