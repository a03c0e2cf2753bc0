/**
 * Many tenants in one run, end to end: the built CLI against a simulator serving a fleet of
 * tenants, some of which fail in the ways real customer tenants do (no consent, a permission never
 * granted, a service that keeps failing). The others deliver every alert and move their state; the
 * failed ones do not, and deliver everything once they are mended.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fleetTenantId } from '../../simulator/credentials.js';
import { generateClientCertificate } from '../../simulator/cert.js';
import { startSimulator, type Simulator, type SimulatorOptions } from '../../simulator/server.js';
import type { TenantTrouble } from '../../simulator/tenants.js';
import { lastErrorLine, runCli, type CliResult } from '../helpers/cli.js';
import { simEnv } from '../helpers/sim-env.js';

let dir: string;
let sim: Simulator | undefined;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'defender-tenants-'));
});
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

async function start(options: SimulatorOptions): Promise<Simulator> {
  sim = await startSimulator({ https: false, seed: 11, alerts: 12, windowHours: 2, includeExamples: false, ...options });
  return sim;
}

const APIS = ['siem', 'mde', 'graph'] as const;
type Api = (typeof APIS)[number];

/** Tenant i of the fleet: a name, and an API by turns. */
function entry(i: number): { tenant: string; name: string; api: Api } {
  return { tenant: fleetTenantId(i), name: `customer-${i}`, api: APIS[i % 3] as Api };
}

/** The alert ids tenant `id` holds now (SIEM records, merged into alerts by the OData APIs, share the AlertId). */
function idsOf(s: Simulator, id: string): Set<string> {
  const store = s.storeOf(id);
  if (!store) throw new Error(`the simulator does not serve ${id}`);
  return new Set([...store.query({ sinceTimeUtc: '2000-01-01T00:00:00Z' }, new Date()).alerts].map((a) => String(a.AlertId)));
}

interface Line {
  tenantLabel?: string;
  AlertId?: string;
  id?: string;
}

/** Every line of an ndjson output, parsed (a line that is not JSON fails the test). */
function lines(text: string): Line[] {
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Line);
}

const idOf = (alert: Line): string => String(alert.AlertId ?? alert.id);

function byTenant(alerts: Line[]): Map<string, Set<string>> {
  const map = new Map<string, Set<string>>();
  for (const alert of alerts) {
    const label = String(alert.tenantLabel);
    const ids = map.get(label) ?? new Set<string>();
    ids.add(idOf(alert));
    map.set(label, ids);
  }
  return map;
}

function pull(s: Simulator, args: string[], extraEnv: Record<string, string> = {}): Promise<CliResult> {
  // AZURE_TENANT_ID stays in the environment, as in an env file made for single pulls: --tenants wins.
  return runCli(['pull', '--since', '3h', '--format', 'ndjson', '--max-retries', '1', ...args], {
    env: simEnv(s, { DEFENDER_LOG_LEVEL: 'info', ...extraEnv }),
    timeoutMs: 120_000,
  });
}

/** The pino lines of stderr, parsed. */
function logLines(stderr: string): Record<string, unknown>[] {
  return stderr
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe('pull --tenants', () => {
  it('50 tenants, three failing three ways: the 47 deliver everything and move their state, the 3 do not until mended', async () => {
    const trouble: Record<string, TenantTrouble> = {
      [fleetTenantId(7)]: 'no-consent',
      [fleetTenantId(20)]: 'forbidden',
      [fleetTenantId(33)]: 'server-error',
    };
    const s = await start({ tenants: 50, tenantTrouble: trouble });
    const tenants = Array.from({ length: 50 }, (_, i) => entry(i + 1));
    const file = join(dir, 'tenants.json');
    await writeFile(file, JSON.stringify(tenants));
    const stateDir = join(dir, 'state');
    // The state directory is made on the first run (as systemd's StateDirectory= would).
    const args = ['--tenants', file, '--state-dir', stateDir, '--concurrency', '8'];

    const first = await pull(s, args);
    expect(first.code, first.stderr).toBe(7);
    const failedNames = ['customer-7', 'customer-20', 'customer-33'];
    // The last line says which tenants failed, and how.
    const last = lastErrorLine(first.stderr);
    expect(last).toMatch(/^defender-alerts: 3 of 50 tenant\(s\) failed: /);
    expect(last).toContain('customer-7 (exit 3, AADSTS65001)');
    expect(last).toContain('customer-20 (exit 4,');
    expect(last).toContain('customer-33 (exit 5,');
    // Consent, the commonest failure, is said in plain words with where to grant it.
    expect(first.stderr).toContain(`has not been consented in tenant ${fleetTenantId(7)}`);
    expect(first.stderr).toContain(`${s.url}/${fleetTenantId(7)}/adminconsent?client_id=${s.credentials.clientId}`);

    // Every line whole and labelled; every good tenant's alerts all there, once.
    const delivered = lines(first.stdout);
    const got = byTenant(delivered);
    for (const t of tenants) {
      if (failedNames.includes(t.name)) {
        expect(got.has(t.name)).toBe(false);
        continue;
      }
      expect(got.get(t.name), t.name).toEqual(idsOf(s, t.tenant));
    }
    // One summary line per tenant, then the overall one.
    const logs = logLines(first.stderr);
    const summaries = logs.filter((l) => l['msg'] === 'tenant summary');
    expect(summaries).toHaveLength(50);
    expect(summaries.filter((l) => l['outcome'] === 'failed').map((l) => l['tenant'])).toEqual(failedNames);
    const overall = logs.find((l) => String(l['msg']).startsWith('pull finished'));
    expect(overall).toMatchObject({ tenants: 50, succeeded: 47, failed: 3 });

    // States: the 47 moved; the 3 hold how their run failed, and no checkpoint.
    for (const t of tenants) {
      const saved = JSON.parse(await readFile(join(stateDir, `${t.name}.json`), 'utf8')) as Record<string, unknown>;
      expect('readUntil' in saved, t.name).toBe(!failedNames.includes(t.name));
      expect(saved['lastRun'], t.name).toMatchObject({ outcome: failedNames.includes(t.name) ? 'failed' : 'ok' });
    }

    // A second run: new alerts in some tenants, nothing else new. Only the new ones come.
    for (const i of [1, 2, 3]) {
      s.storeOf(fleetTenantId(i))?.add([
        { AlertId: `da${i}new000000000000001_1`, LastProcessedTimeUtc: new Date().toISOString(), AlertTitle: 'new', Severity: 'High' },
      ]);
    }
    const second = await pull(s, args);
    expect(second.code).toBe(7);
    const again = byTenant(lines(second.stdout));
    expect([...again.keys()].sort()).toEqual(['customer-1', 'customer-2', 'customer-3']);
    for (const i of [1, 2, 3]) expect(again.get(`customer-${i}`)).toEqual(new Set([`da${i}new000000000000001_1`]));

    // Mended (consent granted, permission added, service back): they deliver all they hold.
    for (const tenant of Object.keys(trouble)) s.setTenantTrouble(tenant, null);
    const third = await pull(s, args);
    expect(third.code, third.stderr).toBe(0);
    const mended = byTenant(lines(third.stdout));
    expect([...mended.keys()].sort()).toEqual([...failedNames].sort());
    for (const i of [7, 20, 33]) expect(mended.get(`customer-${i}`)).toEqual(idsOf(s, fleetTenantId(i)));
    expect(logLines(third.stderr).find((l) => l['msg'] === 'pull complete')).toMatchObject({ tenants: 50, succeeded: 50, failed: 0 });
  }, 180_000);

  it('a plain list, one file per tenant: unchanged alerts, appended, with their states', async () => {
    const s = await start({ tenants: 5 });
    const file = join(dir, 'tenants.txt');
    await writeFile(file, `# one app, consented in each\n${[1, 2, 3, 4, 5].map(fleetTenantId).join('\n')}\n`);
    const args = ['--api', 'graph', '--tenants', file, '--state-dir', dir, '--output', join(dir, '{tenant}.ndjson'), '--append'];
    const result = await pull(s, args);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe('');
    for (const i of [1, 2, 3, 4, 5]) {
      const alerts = lines(await readFile(join(dir, `${fleetTenantId(i)}.ndjson`), 'utf8'));
      expect(alerts.some((a) => 'tenantLabel' in a)).toBe(false);
      expect(new Set(alerts.map(idOf))).toEqual(idsOf(s, fleetTenantId(i)));
      expect(JSON.parse(await readFile(join(dir, `${fleetTenantId(i)}.json`), 'utf8'))).toMatchObject({ tenant: fleetTenantId(i) });
    }
    // Run again: nothing new, nothing appended.
    const before = await readFile(join(dir, `${fleetTenantId(1)}.ndjson`), 'utf8');
    expect((await pull(s, args)).code).toBe(0);
    expect(await readFile(join(dir, `${fleetTenantId(1)}.ndjson`), 'utf8')).toBe(before);
  }, 60_000);

  it('shards split a fleet over machines: each tenant served by exactly one', async () => {
    const s = await start({ tenants: 30 });
    const file = join(dir, 'tenants.txt');
    await writeFile(file, Array.from({ length: 30 }, (_, i) => fleetTenantId(i + 1)).join('\n'));
    const served: string[] = [];
    for (const shard of ['0/3', '1/3', '2/3']) {
      const result = await pull(s, ['--api', 'mde', '--tenants', file, '--shard', shard]);
      expect(result.code, result.stderr).toBe(0);
      served.push(...byTenant(lines(result.stdout)).keys());
    }
    expect(served.sort()).toEqual(Array.from({ length: 30 }, (_, i) => fleetTenantId(i + 1)).sort());
  }, 60_000);

  it('a bad tenants file: every problem at once, exit 2, nothing fetched', async () => {
    const s = await start({ tenants: 3 });
    const file = join(dir, 'tenants.json');
    await writeFile(
      file,
      JSON.stringify([
        { tenant: fleetTenantId(1) },
        { tenant: fleetTenantId(2), api: 'siem', region: 'mars' },
        { tenant: 'x', clientSecret: 's' },
      ]),
    );
    const result = await pull(s, ['--tenants', file]);
    expect(result.code).toBe(2);
    const stderr = result.stderr.trim().split('\n');
    expect(stderr).toHaveLength(1);
    expect(stderr[0]).toContain('tenants.json[2].tenant: expected the tenant GUID or a verified domain');
    expect(stderr[0]).toContain('tenants.json[2].clientSecret: a tenants file never holds a secret');
    expect(s.stats.requests).toHaveLength(0);

    await writeFile(file, JSON.stringify([{ tenant: fleetTenantId(1) }, { tenant: fleetTenantId(2), api: 'siem', region: 'mars' }]));
    const second = await pull(s, ['--tenants', file, '--api', 'graph']);
    expect(second.code).toBe(2);
    expect(lastErrorLine(second.stderr)).toContain('tenants.json[1].region: expected eu, us, uk for --api siem, got "mars"');
    expect(s.stats.requests).toHaveLength(0);
  });

  it('kill -9 mid-run leaves every state file old or new, and the next run delivers the rest', async () => {
    const s = await start({ tenants: 40, latencyMs: 40 });
    const file = join(dir, 'tenants.txt');
    const ids = Array.from({ length: 40 }, (_, i) => fleetTenantId(i + 1));
    await writeFile(file, ids.join('\n'));
    const stateDir = join(dir, 'state');
    await mkdir(stateDir);
    const out = join(dir, 'all.ndjson');
    const args = ['--api', 'graph', '--tenants', file, '--state-dir', stateDir, '--output', out, '--append', '--concurrency', '4'];
    let child: ChildProcess | undefined;
    const run = runCli(['pull', '--since', '3h', '--format', 'ndjson', ...args], {
      env: simEnv(s, { DEFENDER_LOG_LEVEL: 'info' }),
      timeoutMs: 60_000,
      onSpawn: (c) => (child = c),
    });
    // Kill it once some tenants are done and others are under way.
    for (let i = 0; i < 400 && (await readdir(stateDir)).filter((f) => f.endsWith('.json')).length < 8; i++) {
      await new Promise((r) => setTimeout(r, 25));
    }
    child?.kill('SIGKILL');
    const result = await run;
    expect(result.signal).toBe('SIGKILL');
    const saved = (await readdir(stateDir)).filter((n) => n.endsWith('.json'));
    expect(saved.length).toBeGreaterThan(0);
    expect(saved.length).toBeLessThan(40);
    for (const f of saved) expect(JSON.parse(await readFile(join(stateDir, f), 'utf8'))).toMatchObject({ api: 'graph' });
    const rest = await pull(s, args);
    expect(rest.code, rest.stderr).toBe(0);
    // Whole lines of the file (a line the kill cut is not an alert) hold every alert of every tenant.
    const whole = (await readFile(out, 'utf8'))
      .split('\n')
      .filter((l) => l !== '')
      .flatMap((l) => {
        try {
          return [JSON.parse(l) as Line];
        } catch {
          return [];
        }
      });
    const got = byTenant(whole);
    for (const id of ids) expect(got.get(id), id).toEqual(idsOf(s, id));
  }, 120_000);

  it('each tenant signs in with its own secret file; a wrong one fails that tenant alone, and no secret is printed', async () => {
    const s = await start({ tenants: 3 });
    const good = join(dir, 'good.secret');
    const wrong = join(dir, 'wrong.secret');
    await writeFile(good, `${s.credentials.clientSecret}\n`, { mode: 0o600 });
    await writeFile(wrong, 'not-the-secret\n', { mode: 0o600 });
    const file = join(dir, 'tenants.json');
    await writeFile(
      file,
      JSON.stringify([
        { tenant: fleetTenantId(1), name: 'a', clientSecretFile: 'good.secret' },
        { tenant: fleetTenantId(2), name: 'b', clientSecretFile: 'wrong.secret' },
        { tenant: fleetTenantId(3), name: 'c' },
      ]),
    );
    // No secret on the command line or in the environment: tenant c has none, a and b their own.
    const env = simEnv(s, { DEFENDER_LOG_LEVEL: 'trace', AZURE_CLIENT_SECRET: undefined });
    delete env['AZURE_CLIENT_SECRET'];
    const result = await runCli(['pull', '--api', 'mde', '--tenants', file, '--since', '3h', '--format', 'ndjson'], {
      env,
      timeoutMs: 60_000,
    });
    expect(result.code).toBe(2); // c's missing credential is the command line's to fix: nothing fetched
    expect(result.stderr).toContain('tenants.json[2] (c): --client-secret-file (or AZURE_CLIENT_SECRET)');
    expect(s.stats.requests).toHaveLength(0);

    await writeFile(
      file,
      JSON.stringify([
        { tenant: fleetTenantId(1), name: 'a', clientSecretFile: 'good.secret' },
        { tenant: fleetTenantId(2), name: 'b', clientSecretFile: 'wrong.secret' },
      ]),
    );
    const second = await runCli(['pull', '--api', 'mde', '--tenants', file, '--since', '3h', '--format', 'ndjson'], {
      env,
      timeoutMs: 60_000,
    });
    expect(second.code, second.stderr).toBe(7); // one failed, one succeeded
    expect(byTenant(lines(second.stdout)).get('a')).toEqual(idsOf(s, fleetTenantId(1)));
    expect(second.stderr).toContain('b (exit 3, AADSTS7000215)');
    for (const output of [second.stdout, second.stderr]) {
      expect(output).not.toContain(s.credentials.clientSecret);
      expect(output).not.toContain('not-the-secret');
    }

    // Every tenant failing the same way (one wrong secret for all) is that failure's own exit code.
    await writeFile(file, JSON.stringify([{ tenant: fleetTenantId(1) }, { tenant: fleetTenantId(2) }]));
    const third = await runCli(['pull', '--api', 'mde', '--tenants', file, '--since', '3h', '--client-secret-file', wrong], {
      env,
      timeoutMs: 60_000,
    });
    expect(third.code).toBe(3);
    expect(lastErrorLine(third.stderr)).toMatch(
      /^defender-alerts: 2 of 2 tenant\(s\) failed: .* every tenant failed the same way; the first said: Entra ID refused the sign-in: AADSTS7000215/,
    );
  }, 60_000);

  it('each tenant signs in with its own certificate; one the app does not know fails that tenant alone', async () => {
    const s = await start({ tenants: 2 });
    await writeFile(join(dir, 'app.pem'), s.clientCertificatePem!, { mode: 0o600 });
    const other = generateClientCertificate();
    await writeFile(join(dir, 'other.pem'), other.certPem + other.keyPem, { mode: 0o600 });
    const file = join(dir, 'tenants.json');
    await writeFile(
      file,
      JSON.stringify([
        { tenant: fleetTenantId(1), name: 'a', certificate: 'app.pem' },
        { tenant: fleetTenantId(2), name: 'b', certificate: 'other.pem' },
      ]),
    );
    // No secret anywhere: each tenant's certificate is its credential.
    const env = simEnv(s, { DEFENDER_LOG_LEVEL: 'info', AZURE_CLIENT_SECRET: undefined });
    delete env['AZURE_CLIENT_SECRET'];
    const result = await runCli(['pull', '--api', 'graph', '--tenants', file, '--since', '3h', '--format', 'ndjson'], {
      env,
      timeoutMs: 60_000,
    });
    expect(result.code, result.stderr).toBe(7);
    expect(byTenant(lines(result.stdout)).get('a')).toEqual(idsOf(s, fleetTenantId(1)));
    expect(byTenant(lines(result.stdout)).has('b')).toBe(false);
    expect(result.stderr).toContain('AADSTS700027');
    expect(result.stderr).not.toContain('PRIVATE KEY');
  });

  it('--parallel with --state-dir: each tenant gets what one window at a time gives, and the same state', async () => {
    const s = await start({ tenants: 3, windowHours: 12 });
    const file = join(dir, 'tenants.txt');
    await writeFile(file, [1, 2, 3].map(fleetTenantId).join('\n'));
    const until = new Date().toISOString();
    const run = (parallel: number) =>
      pull(s, [
        '--api',
        'graph',
        '--tenants',
        file,
        '--state-dir',
        join(dir, `k${parallel}`),
        '--since',
        '13h',
        '--until',
        until,
        '--window',
        '1h',
        '--parallel',
        String(parallel),
      ]);
    const one = await run(1);
    const four = await run(4);
    expect(one.code, one.stderr).toBe(0);
    expect(four.code, four.stderr).toBe(0);
    // Tenants run at once, so their lines interleave by chance; each tenant's own lines must match.
    const perTenant = (r: CliResult) => {
      const map = new Map<string, string[]>();
      for (const l of r.stdout.split('\n').filter((x) => x !== '')) {
        const label = String((JSON.parse(l) as Line).tenantLabel);
        map.set(label, [...(map.get(label) ?? []), l]);
      }
      return map;
    };
    expect(perTenant(four)).toEqual(perTenant(one));
    for (const i of [1, 2, 3]) {
      expect(byTenant(lines(four.stdout)).get(fleetTenantId(i))).toEqual(idsOf(s, fleetTenantId(i)));
      const state = async (k: number) => {
        const { readUntil, latestAlert, recent } = JSON.parse(
          await readFile(join(dir, `k${k}`, `${fleetTenantId(i)}.json`), 'utf8'),
        ) as Record<string, unknown>;
        return { readUntil, latestAlert, recent };
      };
      expect(await state(4)).toEqual(await state(1));
    }
  });

  it('a reader that closes the pipe (| head) ends the run quietly: exit 0, the tenants not yet started skipped', async () => {
    const s = await start({ tenants: 30, latencyMs: 20 });
    const file = join(dir, 'tenants.txt');
    await writeFile(file, Array.from({ length: 30 }, (_, i) => fleetTenantId(i + 1)).join('\n'));
    const result = await runCli(
      ['pull', '--api', 'graph', '--tenants', file, '--since', '3h', '--format', 'ndjson', '--concurrency', '2'],
      {
        env: simEnv(s, { DEFENDER_LOG_LEVEL: 'info' }),
        timeoutMs: 60_000,
        onSpawn: (child) => child.stdout?.once('data', () => child.stdout?.destroy()),
      },
    );
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).not.toContain('defender-alerts:');
    const overall = logLines(result.stderr).find((l) => l['msg'] === 'pull complete');
    expect(overall?.['skipped']).toBeGreaterThan(0);
  }, 60_000);

  it('SIGTERM mid-run: exit 143, the JSON array still closed, every state old or new', async () => {
    const s = await start({ tenants: 20, latencyMs: 60 });
    const file = join(dir, 'tenants.txt');
    await writeFile(file, Array.from({ length: 20 }, (_, i) => fleetTenantId(i + 1)).join('\n'));
    const stateDir = join(dir, 'state');
    const result = await runCli(
      ['pull', '--api', 'mde', '--tenants', file, '--since', '3h', '--format', 'json', '--state-dir', stateDir, '--concurrency', '3'],
      {
        env: simEnv(s, { DEFENDER_LOG_LEVEL: 'info' }),
        timeoutMs: 60_000,
        onSpawn: (child) => child.stdout?.once('data', () => setTimeout(() => child.kill('SIGTERM'), 150)),
      },
    );
    expect(result.code).toBe(143);
    const alerts = JSON.parse(result.stdout) as Line[];
    expect(alerts.length).toBeGreaterThan(0);
    const saved = await readdir(stateDir);
    expect(saved.filter((f) => f.endsWith('.lock'))).toEqual([]);
    for (const f of saved) expect(JSON.parse(await readFile(join(stateDir, f), 'utf8'))).toMatchObject({ api: 'mde' });
    // Whatever a saved state covers was delivered: the next run brings the rest and nothing twice.
    const rest = await runCli(['pull', '--api', 'mde', '--tenants', file, '--since', '3h', '--format', 'json', '--state-dir', stateDir], {
      env: simEnv(s, { DEFENDER_LOG_LEVEL: 'info' }),
      timeoutMs: 60_000,
    });
    expect(rest.code, rest.stderr).toBe(0);
    const union = byTenant([...alerts, ...(JSON.parse(rest.stdout) as Line[])]);
    for (let i = 1; i <= 20; i++) expect(union.get(fleetTenantId(i))).toEqual(idsOf(s, fleetTenantId(i)));
  }, 60_000);
});
