/**
 * `pull --follow` as a service, end to end: the built CLI against the simulator, cycle after cycle,
 * with alerts arriving between cycles, a storm of faults and the recovery after it, SIGTERM in each
 * phase, a log rotation, and the metrics file and `status` checked after each.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rename, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fleetTenantId } from '../../simulator/credentials.js';
import { startSimulator, type Simulator } from '../../simulator/server.js';
import { CLI, lastErrorLine, runCli } from '../helpers/cli.js';
import { checkMetrics, PROMTOOL } from '../helpers/promtool.js';
import { simEnv } from '../helpers/sim-env.js';

let dir: string;
let sim: Simulator | undefined;
let child: ChildProcess | undefined;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'defender-follow-'));
});
afterEach(async () => {
  child?.kill('SIGKILL');
  child = undefined;
  await sim?.close();
  sim = undefined;
});

/** A running service: its stderr so far, a way to wait for log lines, and its end. */
interface Service {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  /** Resolves once `count` log lines have `msg`. */
  waitFor: (msg: string, count?: number) => Promise<void>;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function serve(s: Simulator, args: string[], env: Record<string, string | undefined> = {}, readStdout = true): Service {
  const proc = spawn(process.execPath, ['--', CLI, 'pull', ...args], {
    env: simEnv(s, { DEFENDER_LOG_LEVEL: 'info', ...env }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child = proc;
  let out = '';
  let err = '';
  if (readStdout) proc.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  proc.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    proc.on('close', (code, signal) => resolve({ code, signal })),
  );
  const count = (msg: string) => err.split('\n').filter((l) => l.includes(`"msg":"${msg}`)).length;
  return {
    child: proc,
    stdout: () => out,
    stderr: () => err,
    exit,
    waitFor: async (msg, n = 1) => {
      for (let i = 0; i < 600 && count(msg) < n; i++) {
        if (proc.exitCode !== null) throw new Error(`the service ended (exit ${proc.exitCode}) before "${msg}" x${n}:\n${err}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      if (count(msg) < n) throw new Error(`no "${msg}" x${n} within 30 s:\n${err}`);
    },
  };
}

let added = 0;
function addAlerts(s: Simulator, n: number): string[] {
  const ids = Array.from({ length: n }, () => `da8${String(++added).padStart(17, '0')}_1`);
  s.store.add(ids.map((id) => ({ AlertId: id, LastProcessedTimeUtc: new Date().toISOString(), AlertTitle: 'arrived', Severity: 'High' })));
  return ids;
}

const idsIn = (ndjson: string): string[] =>
  ndjson
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => String((JSON.parse(l) as { id: string }).id));

/** Every alert id the simulator's default tenant holds now. */
function allIds(s: Simulator): Set<string> {
  return new Set([...s.store.query({ sinceTimeUtc: '2000-01-01T00:00:00Z' }, new Date()).alerts].map((a) => String(a.AlertId)));
}

async function expectValidMetrics(path: string): Promise<string> {
  const text = await readFile(path, 'utf8');
  if (PROMTOOL !== undefined) expect(checkMetrics(text)).toEqual({ status: 0, output: '' });
  return text;
}

const metric = (text: string, name: string): number => Number(new RegExp(`^${name}\\{[^}]*\\} (\\S+)$`, 'm').exec(text)?.[1]);

describe('pull --follow', () => {
  it('--tenants: a log rotation and SIGHUP lose no line of any tenant, and --since is said once, not every cycle', async () => {
    sim = await startSimulator({ https: false, seed: 21, tenants: 2, includeExamples: false });
    const s = sim;
    const tenants = [1, 2].map(fleetTenantId);
    const file = join(dir, 'tenants.txt');
    await writeFile(file, tenants.join('\n'));
    const out = join(dir, 'fleet.ndjson');
    const stateDir = join(dir, 'states');
    const service = serve(s, [
      '--api',
      'graph',
      '--tenants',
      file,
      '--state-dir',
      stateDir,
      '--since',
      '3h',
      '--follow',
      '--interval',
      '1s',
      '--format',
      'ndjson',
      '--output',
      out,
    ]);
    await service.waitFor('pull complete', 2);
    await rename(out, `${out}.1`);
    service.child.kill('SIGHUP');
    const arrived = `da9${'1'.padStart(17, '0')}_1`;
    s.storeOf(tenants[1]!)!.add([
      { AlertId: arrived, LastProcessedTimeUtc: new Date().toISOString(), AlertTitle: 'after rotation', Severity: 'High' },
    ]);
    await service.waitFor('pull complete', 4);
    service.child.kill('SIGTERM');
    expect((await service.exit).code, service.stderr()).toBe(0);
    const delivered = [...(await readFile(`${out}.1`, 'utf8')).split('\n'), ...(await readFile(out, 'utf8')).split('\n')]
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as { id: string; tenantLabel: string });
    const stored = (t: string) =>
      [...s.storeOf(t)!.query({ sinceTimeUtc: '2000-01-01T00:00:00Z' }, new Date()).alerts].map((a) => `${t} ${String(a.AlertId)}`);
    // Every alert of both tenants once, the one that arrived after the rotation in the new file.
    expect(delivered.map((a) => `${a.tenantLabel} ${a.id}`).sort()).toEqual([...new Set(tenants.flatMap(stored))].sort());
    expect(await readFile(out, 'utf8')).toContain(arrived);
    expect(service.stderr()).toContain('SIGHUP');
    expect(service.stderr()).not.toContain('apply to the first run only');
  });

  it('delivers alerts arriving between cycles once each, survives a log rotation, and stops on SIGTERM with exit 0', async () => {
    const s = await start();
    const out = join(dir, 'alerts.ndjson');
    const state = join(dir, 'state.json');
    const metrics = join(dir, 'defender.prom');
    const svc = serve(s, [
      '--api',
      'mde',
      '--since',
      '3h',
      '--state',
      state,
      '--follow',
      '--interval',
      '1s',
      '--output',
      out,
      '--metrics-file',
      metrics,
    ]);
    await svc.waitFor('cycle complete');
    // While it runs, status shows its lock (and does not take it).
    const status = await runCli(['status', '--state', state, '--json'], { env: simEnv(s) });
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject([{ lock: { pid: svc.child.pid, stale: false }, lastRun: { outcome: 'ok' } }]);
    // A cron run against the same state meets the service's lock.
    expect((await runCli(['pull', '--api', 'mde', '--state', state], { env: simEnv(s) })).code).toBe(75);

    // Two cycles after each arrival, counted from then: the runs above may take a few cycles' time.
    const cycles = (): number =>
      svc
        .stderr()
        .split('\n')
        .filter((l) => l.includes('"msg":"cycle complete')).length;
    const second = addAlerts(s, 5);
    await svc.waitFor('cycle complete', cycles() + 2);
    // logrotate: move the file away, then SIGHUP; the next cycle starts a new file.
    await rename(out, `${out}.1`);
    svc.child.kill('SIGHUP');
    await svc.waitFor('SIGHUP: the output file is opened afresh at the next cycle');
    const third = addAlerts(s, 4);
    await svc.waitFor('cycle complete', cycles() + 2);
    const text = await expectValidMetrics(metrics);
    expect(metric(text, 'defender_alerts_runs_total')).toBeGreaterThanOrEqual(5);
    expect(metric(text, 'defender_alerts_last_attempt_success')).toBe(1);

    svc.child.kill('SIGTERM');
    expect(await svc.exit).toEqual({ code: 0, signal: null });
    expect(svc.stderr()).toContain('"msg":"stopped on request"');
    const before = idsIn(await readFile(`${out}.1`, 'utf8'));
    const after = idsIn(await readFile(out, 'utf8'));
    // Every alert exactly once, in the order of the cycles: nothing lost in the rotation.
    expect([...before, ...after].sort()).toEqual([...allIds(s)].sort());
    expect(before).toEqual(expect.arrayContaining(second));
    expect(after).toEqual(expect.arrayContaining(third));
    // The lock went with the service.
    expect((await runCli(['status', '--state', state, '--json'], { env: simEnv(s) })).stdout).not.toContain('"lock"');
  }, 60_000);

  it('rides out a storm of 500s, resets and 429s, then recovers: nothing lost, the failures in the metrics', async () => {
    const s = await start();
    const state = join(dir, 'state.json');
    const metrics = join(dir, 'defender.prom');
    const svc = serve(s, [
      '--api',
      'graph',
      '--since',
      '3h',
      '--state',
      state,
      '--follow',
      '--interval',
      '1s',
      '--max-retries',
      '0',
      '--metrics-file',
      metrics,
      '--max-throttle-wait',
      '0s',
    ]);
    await svc.waitFor('cycle complete');
    s.faults.push({ status: 500, times: 2 }, { resetBeforeHeaders: true }, { status: 429, retryAfter: '1' });
    const during = addAlerts(s, 3);
    await svc.waitFor('cycle 2 failed');
    await svc.waitFor('cycle complete', 2);
    const text = await expectValidMetrics(metrics);
    expect(metric(text, 'defender_alerts_failed_runs_total')).toBeGreaterThanOrEqual(3);
    expect(Number(/defender_alerts_requests_total\{[^}]*class="5xx"\} (\d+)/.exec(text)?.[1])).toBeGreaterThanOrEqual(2);
    expect(Number(/defender_alerts_requests_total\{[^}]*class="network"\} (\d+)/.exec(text)?.[1])).toBeGreaterThanOrEqual(1);
    expect(metric(text, 'defender_alerts_last_attempt_success')).toBe(1);
    svc.child.kill('SIGTERM');
    expect((await svc.exit).code).toBe(0);
    const ids = idsIn(svc.stdout());
    expect(new Set(ids).size).toBe(ids.length);
    expect(new Set(ids)).toEqual(allIds(s));
    expect(ids).toEqual(expect.arrayContaining(during));
  }, 60_000);

  it('ends with the failure when the credentials are refused three cycles in a row', async () => {
    const s = await start();
    const svc = serve(s, ['--api', 'mde', '--state', join(dir, 's.json'), '--follow', '--interval', '1s'], {
      AZURE_CLIENT_SECRET: 'wrong',
    });
    expect((await svc.exit).code).toBe(3);
    expect(svc.stderr()).toContain('failed the same way 3 times in a row; stopping');
  }, 60_000);

  it('SIGTERM while fetching or while the reader is slow: exit 0, the state never ahead of what was delivered', async () => {
    for (const phase of ['fetching', 'writing'] as const) {
      const s = await start(phase === 'fetching' ? { latencyMs: 1500 } : { alerts: 3000 });
      const state = join(dir, `${phase}.json`);
      // While writing, nobody reads stdout: the CLI waits on the pipe.
      const metrics = join(dir, `${phase}.prom`);
      const svc = serve(
        s,
        ['--api', 'mde', '--since', '3h', '--state', state, '--follow', '--interval', '1s', '--metrics-file', metrics],
        {},
        phase === 'fetching',
      );
      await svc.waitFor('reading alerts since the checkpoint');
      // While writing: time to fill the pipe nobody reads, and to wait on it.
      if (phase === 'writing') await new Promise((r) => setTimeout(r, 1500));
      svc.child.kill('SIGTERM');
      let late = '';
      if (phase === 'writing') svc.child.stdout?.setEncoding('utf8').on('data', (d: string) => (late += d));
      expect((await svc.exit).code, svc.stderr()).toBe(0);
      const delivered = idsIn(svc.stdout() + late);
      // What the state covers was delivered: the next run brings the rest, and nothing is lost.
      const rest = await runCli(['pull', '--api', 'mde', '--since', '3h', '--state', state, '--format', 'ndjson'], {
        env: simEnv(s),
        timeoutMs: 60_000,
      });
      expect(rest.code).toBe(0);
      expect(new Set([...delivered, ...idsIn(rest.stdout)])).toEqual(allIds(s));
      // A stop is not a run's end: the metrics file, if the service wrote one, is still well formed.
      const written = await readFile(metrics, 'utf8').catch(() => undefined);
      if (written !== undefined && PROMTOOL !== undefined) expect(checkMetrics(written).status).toBe(0);
      if (phase === 'writing') expect(delivered.length).toBeGreaterThan(0);
      await sim?.close();
      sim = undefined;
    }
  }, 90_000);
});

describe('status', () => {
  it('on fresh, stale, locked, corrupt and old-version state files', async () => {
    const s = await start();
    const fresh = join(dir, 'fresh.json');
    expect((await runCli(['pull', '--api', 'graph', '--since', '1h', '--state', fresh], { env: simEnv(s) })).code).toBe(0);
    const ok = await runCli(['status', '--state', fresh, '--max-lag', '5m'], { env: simEnv(s) });
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/fresh\.json +graph +00000000-0000-4000-8000-000000000001 +\d{4}-\S+Z +\d+ ?m?s +\d+ ?m?s ago +ok +\d+ +-/);

    const stale = join(dir, 'stale.json');
    const saved = JSON.parse(await readFile(fresh, 'utf8')) as Record<string, unknown>;
    await writeFile(
      stale,
      JSON.stringify({ ...saved, readUntil: '2024-01-01T00:00:00.0000000Z', recentSince: '2024-01-01T00:00:00.0000000Z' }),
    );
    const old = join(dir, 'old.json');
    const { lastRun: _l, lastSuccessAt: _s, totals: _t, ...v1 } = saved;
    await writeFile(old, JSON.stringify({ ...v1, version: 1 }));
    const locked = join(dir, 'locked.json');
    await writeFile(locked, JSON.stringify(saved));
    await writeFile(
      `${locked}.lock`,
      JSON.stringify({ pid: process.pid, hostname: (await import('node:os')).hostname(), startedAt: '2024-05-01T10:00:00Z', token: 't' }),
    );

    const probe = await runCli(['status', '--state', stale, '--state', old, '--state', locked, '--max-lag', '1h', '--json'], {
      env: simEnv(s),
    });
    expect(probe.code).toBe(8);
    expect(lastErrorLine(probe.stderr)).toMatch(/^defender-alerts: 1 of 3 checkpoint\(s\) are older than --max-lag: .*stale\.json/);
    const reports = JSON.parse(probe.stdout) as Record<string, unknown>[];
    expect(reports.map((r) => r['fresh'])).toEqual([false, true, true]);
    expect(reports[1]).not.toHaveProperty('lastRun'); // version 1: no history, still read
    expect(reports[2]).toMatchObject({ lock: { pid: process.pid, stale: false } });

    await writeFile(join(dir, 'corrupt.json'), '{"version":2,');
    const bad = await runCli(['status', '--state-dir', dir], { env: simEnv(s) });
    expect(bad.code).toBe(65);
    expect(bad.stdout).toContain('is not usable: it is not valid JSON');
    expect(bad.stdout.split('\n').filter((l) => l.includes('.json')).length).toBe(5);
  }, 30_000);
});

async function start(options: Parameters<typeof startSimulator>[0] = {}): Promise<Simulator> {
  sim = await startSimulator({
    https: false,
    seed: 5,
    alerts: 20,
    windowHours: 2,
    mdeCallsPerMinute: 100_000,
    mdeCallsPerHour: 100_000,
    ...options,
  });
  return sim;
}
