import { describe, expect, it } from 'vitest';
import { fleetSettings, resolveFleetConfig, withPathsFrom, type FleetInput } from '../../src/config/fleet.js';
import { problemLine, type Problem } from '../../src/config/problems.js';
import { parseTenantsFile } from '../../src/config/tenants.js';
import { usageMessage } from '../helpers/rejection.js';

const now = new Date('2024-05-01T12:00:00.000Z');
const CLIENT = '00000000-0000-4000-8000-0000000000c1';
const T = (i: number) => `00000000-0000-4000-8001-${String(i).padStart(12, '0')}`;
const env = { AZURE_CLIENT_ID: CLIENT, AZURE_CLIENT_SECRET: 'app-secret', AZURE_TENANT_ID: T(99) };

function fleet(json: unknown[], flags: Record<string, unknown> = {}, more: Partial<FleetInput> = {}) {
  const allFlags = { api: 'graph', tenants: 'tenants.json', ...flags };
  const problems: Problem[] = [];
  const settings = fleetSettings(allFlags, env, problems);
  expect(problems).toEqual([]);
  return resolveFleetConfig({
    flags: allFlags,
    env,
    now,
    settings: settings!,
    entries: parseTenantsFile(JSON.stringify(json), 'tenants.json'),
    secretFromFile: undefined,
    tenantSecrets: new Map(),
    ...more,
  });
}

/** The message that lists `problems`, as config/problems.ts `fail` words it: a summary, then one a line. */
const listing = (problems: string[]) =>
  problems.length === 1
    ? `invalid configuration: ${problems[0]}`
    : `invalid configuration (${problems.length} problems):\n${problems.map((p) => `  ${p}`).join('\n')}`;

describe('resolveFleetConfig', () => {
  it('resolves each tenant as a single pull, with its overrides and its own state file', () => {
    const c = fleet(
      [
        { tenant: T(1), name: 'contoso' },
        { tenant: T(2), api: 'mde', region: 'eu' },
      ],
      { stateDir: '/var/lib/d', format: 'ndjson' },
    );
    expect(c.tenants.map((t) => [t.label, t.config.tenant, t.config.api, t.config.baseUrl.href, t.config.state?.path])).toEqual([
      ['contoso', T(1), 'graph', 'https://graph.microsoft.com/', '/var/lib/d/contoso.json'],
      [T(2), T(2), 'mde', 'https://eu.api.security.microsoft.com/', `/var/lib/d/${T(2)}.json`],
    ]);
    expect(c.tenants.every((t) => t.config.credential.kind === 'secret')).toBe(true);
    expect(c.shared).toEqual({ format: 'ndjson', output: undefined, append: false });
    expect(c.concurrency).toBe(16);
    // Tenants at once keep the machine busy: each reads its windows one at a time unless asked.
    expect(c.tenants.map((t) => t.config.state?.parallel)).toEqual([1, 1]);
    const asked = fleet([{ tenant: T(1) }], { stateDir: '/var/lib/d', parallel: '3' });
    expect(asked.tenants[0]?.config.state?.parallel).toBe(3);
  });

  it('gives each tenant its own file where --output has {tenant}, and its own secret', () => {
    const c = fleet(
      [{ tenant: T(1), name: 'a', clientSecretFile: '/s/a' }, { tenant: T(2) }],
      { output: '/out/{tenant}.json' },
      {
        tenantSecrets: new Map([['/s/a', 'secret-of-a']]),
      },
    );
    expect(c.shared).toBeUndefined();
    expect(c.tenants.map((t) => [t.config.output, t.config.credential])).toEqual([
      ['/out/a.json', { kind: 'secret', secret: 'secret-of-a' }],
      [`/out/${T(2)}.json`, { kind: 'secret', secret: 'app-secret' }],
    ]);
  });

  it("reports a tenant's problem at the key it set, a shared one once", () => {
    const found = usageMessage(() =>
      fleet(
        [
          { tenant: T(1), api: 'siem', region: 'mars' },
          { tenant: T(2), api: 'mde', pageSize: 20000 },
          { tenant: T(3), api: 'siem', name: 'c' },
        ],
        { format: 'xml' },
      ),
    );
    expect(found).toBe(
      listing([
        '--format: expected json, ndjson, cef or leef',
        'tenants.json[0].region: expected eu, us, uk for --api siem, got "mars"',
        'tenants.json[1].pageSize: must be at most 10000',
        'tenants.json[2] (c): --region (or DEFENDER_REGION): required unless --base-url (or DEFENDER_BASE_URL) is given; one of eu, us, uk',
      ]),
    );
  });

  it("reports an entry's bad region together with its other problems", () => {
    const found = usageMessage(() => fleet([{ tenant: T(1), api: 'siem', region: 'mars', clientId: 'not-a-guid' }, { tenant: T(2) }]));
    expect(found).toBe(
      listing([
        'tenants.json[0].clientId: expected the application (client) id, a GUID',
        'tenants.json[0].region: expected eu, us, uk for --api siem, got "mars"',
      ]),
    );
  });

  it('warns of a region that does not apply: once when every tenant has it, else by entry', () => {
    const shared = fleet([{ tenant: T(1) }, { tenant: T(2) }], { region: 'eu' });
    expect(shared.warnings).toEqual(['--region (or DEFENDER_REGION): --api graph has no regions; "eu" is ignored']);
    const own = fleet([{ tenant: T(1), region: 'eu', name: 'a' }, { tenant: T(2) }]);
    expect(own.warnings).toEqual(['tenants.json[0] (a): --region (or DEFENDER_REGION): --api graph has no regions; "eu" is ignored']);
    expect(own.tenants.map((t) => t.config.baseUrl.href)).toEqual(['https://graph.microsoft.com/', 'https://graph.microsoft.com/']);
  });

  it('refuses what a many-tenant pull cannot do', () => {
    expect(usageMessage(() => fleet([{ tenant: T(1) }], { state: 's.json', tenant: T(1), auth: 'user' }))).toBe(
      listing([
        '--state (or DEFENDER_STATE_FILE): not with --tenants; give --state-dir <dir>, which holds one state file per tenant',
        '--tenant: not with --tenants (the file names the tenants)',
        '--auth user: not with --tenants; many tenants sign in as the app (a secret or certificate consented in each)',
      ]),
    );
    expect(usageMessage(() => fleet([{ tenant: T(1) }], { stateDir: 'd', output: 'all.json' }))).toMatch(
      /^invalid configuration: --output: with --state-dir, one file for all tenants must be --append/,
    );
  });

  it('keeps only the tenants of its shard', () => {
    const all = Array.from({ length: 30 }, (_, i) => ({ tenant: T(i + 1) }));
    const shards = [0, 1, 2].map((i) => fleet(all, { shard: `${i}/3` }));
    expect(shards.map((s) => s.listed)).toEqual([30, 30, 30]);
    expect(shards.flatMap((s) => s.tenants.map((t) => t.config.tenant)).sort()).toEqual(all.map((a) => a.tenant).sort());
  });
});

describe('fleetSettings', () => {
  it('is absent without --tenants, and its flags are refused then', () => {
    const problems: Problem[] = [];
    expect(fleetSettings({ stateDir: 'd', concurrency: '4', shard: '0/2' }, {}, problems)).toBeUndefined();
    expect(problems.map(problemLine)).toEqual([
      '--state-dir: only with --tenants <file>',
      '--concurrency: only with --tenants <file>',
      '--shard: only with --tenants <file>',
    ]);
    // A machine-wide variable does not break a single-tenant run.
    expect(fleetSettings({}, { DEFENDER_STATE_DIR: '/d', DEFENDER_CONCURRENCY: '4' }, ((problems.length = 0), problems))).toBeUndefined();
    expect(problems).toEqual([]);
  });

  it('validates its own values', () => {
    const problems: Problem[] = [];
    fleetSettings({ tenants: 't', concurrency: '0', shard: '5/5' }, {}, problems);
    expect(problems.map(problemLine)).toEqual([
      '--concurrency (or DEFENDER_CONCURRENCY): must be at least 1',
      '--shard (or DEFENDER_SHARD): the shard index counts from 0 and must be below 5, got 5',
    ]);
  });
});

describe('withPathsFrom', () => {
  it("reads an entry's relative paths from the tenants file's directory", () => {
    const [entry] = parseTenantsFile(JSON.stringify([{ tenant: T(1), clientSecretFile: 'a.secret', certificate: '/abs/c.pem' }]), 't.json');
    expect(withPathsFrom(entry!, '/etc/defender').overrides).toEqual({
      clientSecretFile: '/etc/defender/a.secret',
      certificate: '/abs/c.pem',
    });
  });
});
