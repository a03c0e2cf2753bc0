/**
 * Health that sees every tenant, end to end: the built CLI against a simulator fleet where one
 * customer never consented. Its failed runs leave a state without a checkpoint, which `status`
 * (with or without the tenants file) and the metrics file show, and `--max-lag` fails on at once;
 * a tenant of the file never tried is red once the file is older than the lag; once consent is
 * granted, the next run starts from --since and the tenant turns healthy.
 */
import { mkdir, mkdtemp, readFile, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fleetTenantId } from '../../simulator/credentials.js';
import { startSimulator, type Simulator, type SimulatorOptions } from '../../simulator/server.js';
import { runCli, type CliResult } from '../helpers/cli.js';
import { checkMetrics, PROMTOOL } from '../helpers/promtool.js';
import { simEnv } from '../helpers/sim-env.js';

let dir: string;
let sim: Simulator | undefined;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'defender-health-'));
});
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

async function start(options: SimulatorOptions): Promise<Simulator> {
  sim = await startSimulator({ https: false, seed: 17, alerts: 10, windowHours: 2, includeExamples: false, ...options });
  return sim;
}

function cli(s: Simulator, args: string[], extraEnv: Record<string, string | undefined> = {}): Promise<CliResult> {
  return runCli(args, { env: simEnv(s, { DEFENDER_LOG_LEVEL: 'warn', ...extraEnv }), timeoutMs: 60_000 });
}

interface Report {
  state: string;
  label?: string;
  tenant?: string;
  checkpoint?: string;
  problem?: string;
  fresh?: boolean;
  alertsDelivered?: number;
  lastRun?: { outcome: string; exitCode?: number; error?: string };
}

/**
 * The message of the last stderr line, the run's failure: a human line (`defender-alerts: …`) or,
 * off a terminal where stderr may be JSON lines as the log's are, that line's `msg`.
 */
function lastError(stderr: string): string {
  const line = stderr.trimEnd().split('\n').at(-1) ?? '';
  if (line.startsWith('{')) return String((JSON.parse(line) as { msg?: unknown }).msg);
  return line.replace(/^defender-alerts: /, '');
}

/** The alert ids tenant `id` holds (the OData APIs merge SIEM records into alerts that share the AlertId). */
function idsOf(s: Simulator, id: string): Set<string> {
  const store = s.storeOf(id);
  if (!store) throw new Error(`the simulator does not serve ${id}`);
  return new Set([...store.query({ sinceTimeUtc: '2000-01-01T00:00:00Z' }, new Date()).alerts].map((a) => String(a.AlertId)));
}

/** The ids of an ndjson output's alerts, of one tenant label or all. */
function idsIn(stdout: string, label?: string): Set<string> {
  const alerts = stdout
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as { id?: string; AlertId?: string; tenantLabel?: string });
  return new Set(alerts.filter((a) => label === undefined || a.tenantLabel === label).map((a) => String(a.AlertId ?? a.id)));
}
const tableLine = (stdout: string, name: string): string => stdout.split('\n').find((l) => l.includes(`/${name}.json `)) ?? '';

describe('status --tenants: every tenant of the file', () => {
  it('a customer that never consented is red at once, shown with its error everywhere, and healthy once it consents', async () => {
    const never = fleetTenantId(2);
    const s = await start({ tenants: 4, tenantTrouble: { [never]: 'no-consent' } });
    const file = join(dir, 'tenants.json');
    const names = [1, 2, 3].map((i) => ({ tenant: fleetTenantId(i), name: `customer-${i}` }));
    await writeFile(file, JSON.stringify(names));
    const stateDir = join(dir, 'state');
    const metrics = join(dir, 'fleet.prom');
    const pull = () =>
      cli(s, [
        'pull',
        '--api',
        'graph',
        '--since',
        '3h',
        '--format',
        'ndjson',
        '--tenants',
        file,
        '--state-dir',
        stateDir,
        '--metrics-file',
        metrics,
      ]);

    const first = await pull();
    expect(first.code, first.stderr).toBe(7);
    expect(lastError(first.stderr)).toContain('customer-2 (exit 3, AADSTS65001)');

    // The state file holds the failure and no checkpoint.
    const record = JSON.parse(await readFile(join(stateDir, 'customer-2.json'), 'utf8')) as Record<string, unknown>;
    expect(record).toMatchObject({ version: 3, api: 'graph', tenant: never, lastRun: { outcome: 'failed', exitCode: 3 } });
    expect(record).toMatchObject({ totals: { runs: 1, failedRuns: 1, alerts: 0 } });
    expect(record).not.toHaveProperty('readUntil');

    // The metrics file shows it with its failure, and no checkpoint.
    const text = await readFile(metrics, 'utf8');
    expect(text).toContain('defender_alerts_failed_runs_total{api="graph",tenant="customer-2"} 1');
    expect(text).toContain('defender_alerts_last_attempt_success{api="graph",tenant="customer-2"} 0');
    expect(text).toContain('defender_alerts_last_attempt_exit_code{api="graph",tenant="customer-2"} 3');
    expect(text).not.toMatch(/defender_alerts_checkpoint_timestamp_seconds\{[^}]*tenant="customer-2"/);
    expect(text).toMatch(/defender_alerts_checkpoint_timestamp_seconds\{api="graph",tenant="customer-1"\} \d/);
    if (PROMTOOL !== undefined) expect(checkMetrics(text)).toEqual({ status: 0, output: '' });

    // The probe: exit 8 whatever the lag, the tenant named with its error.
    const probe = await cli(s, ['status', '--tenants', file, '--state-dir', stateDir, '--max-lag', '15m']);
    expect(probe.code, probe.stderr).toBe(8);
    expect(lastError(probe.stderr)).toMatch(
      /^1 of 3 checkpoint\(s\) are older than --max-lag: customer-2 \(none: its runs fail, exit 3, AADSTS65001\)( — |$)/,
    );
    const line = tableLine(probe.stdout, 'customer-2');
    expect(line).toMatch(/ graph +\S+ +none yet +- STALE +.+ ago +failed \(exit 3\) +0 +- +AADSTS65001: Entra ID refused the sign-in: /);
    expect(tableLine(probe.stdout, 'customer-1')).toMatch(/ graph .* ok +\d+ +- +-$/);

    const json = await cli(s, ['status', '--tenants', file, '--state-dir', stateDir, '--max-lag', '15m', '--json']);
    expect(json.code).toBe(8);
    const reports = JSON.parse(json.stdout) as Report[];
    expect(reports.map((r) => [r.label, r.fresh])).toEqual([
      ['customer-1', true],
      ['customer-2', false],
      ['customer-3', true],
    ]);
    expect(reports[1]).toMatchObject({
      state: join(stateDir, 'customer-2.json'),
      tenant: never,
      problem: 'no checkpoint yet: every run so far failed before delivering',
      alertsDelivered: 0,
      lastRun: { outcome: 'failed', exitCode: 3, error: expect.stringMatching(/^AADSTS65001: Entra ID refused the sign-in: /) },
    });
    expect(reports[1]).not.toHaveProperty('checkpoint');

    // Without the tenants file, the directory's files show it all the same.
    const plain = await cli(s, ['status', '--state-dir', stateDir]);
    expect(plain.code, plain.stderr).toBe(0);
    expect(tableLine(plain.stdout, 'customer-2')).toMatch(/none yet .* failed \(exit 3\) .* AADSTS65001/);
    expect((await cli(s, ['status', '--state-dir', stateDir, '--max-lag', '15m'])).code).toBe(8);

    // Consent granted: the next run starts from --since, delivers everything, and is healthy.
    s.setTenantTrouble(never, null);
    const second = await pull();
    expect(second.code, second.stderr).toBe(0);
    expect(idsIn(second.stdout, 'customer-2')).toEqual(idsOf(s, never));
    const mended = JSON.parse(await readFile(join(stateDir, 'customer-2.json'), 'utf8')) as Record<string, unknown>;
    expect(mended).toMatchObject({
      version: 2,
      lastRun: { outcome: 'ok' },
      totals: { runs: 2, failedRuns: 1, alerts: idsOf(s, never).size },
    });
    expect(mended).toHaveProperty('readUntil');
    const healthy = await cli(s, ['status', '--tenants', file, '--state-dir', stateDir, '--max-lag', '15m', '--json']);
    expect(healthy.code, healthy.stderr).toBe(0);
    expect((JSON.parse(healthy.stdout) as Report[]).every((r) => r.fresh === true && r.checkpoint !== undefined)).toBe(true);

    // A tenant just added to the file has one lag's grace; once the file is older, it is red.
    await writeFile(file, JSON.stringify([...names, { tenant: fleetTenantId(4), name: 'customer-4' }]));
    const added = await cli(s, ['status', '--tenants', file, '--state-dir', stateDir, '--max-lag', '15m', '--json']);
    expect(added.code, added.stderr).toBe(0);
    expect((JSON.parse(added.stdout) as Report[])[3]).toEqual({
      state: join(stateDir, 'customer-4.json'),
      label: 'customer-4',
      tenant: fleetTenantId(4),
      problem: 'no state yet: never tried',
      fresh: true,
    });
    const hourAgo = new Date(Date.now() - 3_600_000);
    await utimes(file, hourAgo, hourAgo);
    const late = await cli(s, ['status', '--tenants', file, '--state-dir', stateDir, '--max-lag', '15m']);
    expect(late.code).toBe(8);
    expect(lastError(late.stderr)).toContain('1 of 4 checkpoint(s) are older than --max-lag: customer-4 (none: never tried)');
    expect(tableLine(late.stdout, 'customer-4')).toMatch(/ - +\S+ +- +- STALE +- +no state yet: never tried/);
    // A longer lag gives the same listing its grace again.
    expect((await cli(s, ['status', '--tenants', file, '--state-dir', stateDir, '--max-lag', '2h'])).code).toBe(0);

    // The metrics follow the file: a tenant taken out of it leaves them with the next run.
    await writeFile(file, JSON.stringify([names[0], { tenant: fleetTenantId(4), name: 'customer-4' }]));
    expect((await pull()).code).toBe(0);
    const after = await readFile(metrics, 'utf8');
    expect(after).toContain('tenant="customer-4"');
    expect(after).not.toContain('tenant="customer-2"');
  }, 120_000);

  it('bad input: one line, exit 2, no stack', async () => {
    const s = await start({ tenants: 1 });
    const stateDir = join(dir, 'state');
    await mkdir(stateDir);
    const file = join(dir, 'tenants.txt');
    await writeFile(file, `${fleetTenantId(1)}\nnot a tenant\n`);
    const cases: [string[], RegExp][] = [
      [['--tenants', file, '--state-dir', stateDir], /^invalid configuration: tenants\.txt:2: "not a tenant": expected the tenant GUID/],
      [['--tenants', join(dir, 'missing.txt'), '--state-dir', stateDir], /^cannot read --tenants ".*missing\.txt": /],
      [['--tenants', file], /^invalid configuration: --tenants \(or DEFENDER_TENANTS_FILE\): needs --state-dir/],
    ];
    await writeFile(join(dir, 'good.txt'), `${fleetTenantId(1)}\n`);
    cases.push([['--tenants', join(dir, 'good.txt'), '--state-dir', join(dir, 'nope')], /^cannot read --state-dir ".*nope": /]);
    for (const [args, message] of cases) {
      const result = await cli(s, ['status', ...args, '--max-lag', '15m']);
      expect(result.code, result.stderr).toBe(2);
      expect(result.stderr.trim().split('\n'), result.stderr).toHaveLength(1);
      expect(lastError(result.stderr)).toMatch(message);
      expect(result.stderr).not.toMatch(/internal error|\n +at /);
      expect(result.stdout).toBe('');
    }
  });
});

describe('pull --state that fails before its first delivery', () => {
  it('leaves the same record: status fails --max-lag on it, and the next run starts from --since', async () => {
    const s = await start({});
    const state = join(dir, 'state.json');
    const args = ['pull', '--api', 'mde', '--since', '3h', '--format', 'ndjson', '--state', state];
    const refused = await cli(s, args, { AZURE_CLIENT_SECRET: 'wrong' });
    expect(refused.code).toBe(3);
    expect(JSON.parse(await readFile(state, 'utf8'))).toMatchObject({
      version: 3,
      lastRun: { outcome: 'failed', exitCode: 3, error: expect.stringMatching(/^AADSTS7000215: /) },
      totals: { runs: 1, failedRuns: 1 },
    });
    const probe = await cli(s, ['status', '--state', state, '--max-lag', '1h']);
    expect(probe.code).toBe(8);
    expect(lastError(probe.stderr)).toContain(`${state} (none: its runs fail, exit 3, AADSTS7000215)`);

    const ok = await cli(s, args);
    expect(ok.code, ok.stderr).toBe(0);
    // Every alert of the three hours: a first run's range, not one cut short by the failure.
    expect(idsIn(ok.stdout)).toEqual(idsOf(s, s.credentials.tenantId));
    expect(JSON.parse(await readFile(state, 'utf8'))).toMatchObject({ version: 2, totals: { runs: 2, failedRuns: 1 } });
    expect((await cli(s, ['status', '--state', state, '--max-lag', '1h'])).code).toBe(0);
  });
});
