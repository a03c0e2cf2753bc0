/**
 * `pull --state` end to end: multi-run scenarios, crash safety with kill -9 at named
 * points, concurrency, and a soak with injected faults — the built CLI against the simulator.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SiemAlert } from '../../simulator/alert-types.js';
import { startSimulator, type Simulator } from '../../simulator/server.js';
import { runCli, type CliResult } from '../helpers/cli.js';
import { simEnv } from '../helpers/sim-env.js';

let sim: Simulator;
let dir: string;
let stateFile: string;

beforeEach(async () => {
  sim = await startSimulator({ alerts: 30, seed: 11 });
  dir = await mkdtemp(join(tmpdir(), 'defender-state-'));
  stateFile = join(dir, 'state.json');
});
afterEach(async () => {
  await sim.close();
});

const keyOf = (a: { FullId?: unknown; AlertId?: unknown; LastProcessedTimeUtc?: unknown }): string =>
  `${String(a.FullId || a.AlertId)}|${String(a.LastProcessedTimeUtc)}`;

function keys(result: CliResult): string[] {
  return result.stdout
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => keyOf(JSON.parse(line) as SiemAlert));
}

function pull(
  args: string[] = [],
  options: { env?: Record<string, string>; onSpawn?: (c: ChildProcess) => void } = {},
): Promise<CliResult> {
  return runCli(['pull', '--state', stateFile, '--format', 'ndjson', ...args], {
    env: options.env ?? simEnv(sim),
    ...(options.onSpawn ? { onSpawn: options.onSpawn } : {}),
  });
}

/** The simulator's alerts with LastProcessedTimeUtc in [since, until], as keys. */
function simKeys(since: Date, until: Date = new Date()): string[] {
  const { alerts } = sim.store.query({ sinceTimeUtc: since.toISOString(), untilTimeUtc: until.toISOString() }, new Date());
  return [...alerts].map(keyOf);
}

/** A new alert whose LastProcessedTimeUtc is `agoMs` before now (7 fractional digits, as the API). */
function addAlert(id: string, agoMs: number): string {
  const lpt = new Date(Date.now() - agoMs).toISOString().replace('Z', '1234Z');
  const alert = { AlertId: id, FullId: `${id}:ioc`, LastProcessedTimeUtc: lpt, AlertTitle: 'test alert', Severity: 'High' };
  sim.store.add([alert]);
  return keyOf(alert);
}

async function readState(): Promise<Record<string, unknown>> {
  return JSON.parse(await readFile(stateFile, 'utf8')) as Record<string, unknown>;
}

describe('pull --state: runs in sequence', () => {
  it('first run: the last two hours by default, state written 0600 with version 2 and the run recorded', async () => {
    const start = new Date(Date.now() - 2 * 3_600_000);
    const result = await pull();
    expect(result.stderr).not.toContain('defender-alerts:');
    expect(result.code).toBe(0);
    const expected = simKeys(start);
    expect(expected.length).toBeGreaterThan(5);
    expect(new Set(keys(result))).toEqual(new Set(expected));
    const state = await readState();
    expect(state).toMatchObject({ version: 2, api: 'siem', tenant: sim.credentials.tenantId, endpoint: `${sim.url}/` });
    expect(state).toMatchObject({ lastRun: { outcome: 'ok' }, totals: { runs: 1, failedRuns: 0 } });
    expect((await stat(stateFile)).mode & 0o777).toBe(0o600);
  });

  it('idle run: nothing again; new alerts: exactly those; late arrivals inside the overlap: caught; updates: again', async () => {
    expect((await pull(['--since', '3h'])).code).toBe(0);
    const idle = await pull();
    expect(idle.code).toBe(0);
    expect(keys(idle)).toEqual([]);

    const fresh = addAlert('da900000000000000000_1', 1_000);
    const second = await pull();
    expect(keys(second)).toEqual([fresh]);

    // Arrived at the API late: its time is before the last run's end, but inside the 10m overlap.
    const late = addAlert('da900000000000000000_2', 5 * 60_000);
    const third = await pull();
    expect(keys(third)).toEqual([late]);

    // Defender updated an alert: it moves to a new LastProcessedTimeUtc — an update, not a duplicate.
    sim.store.update('da900000000000000000_1', new Date());
    const fourth = await pull();
    expect(keys(fourth)).toHaveLength(1);
    expect(keys(fourth)[0]).toMatch(/^da900000000000000000_1:ioc\|/);
    expect(keys(fourth)[0]).not.toBe(fresh);
  });

  it('a later run ignores --since, with a notice; a larger --overlap catches later alerts without repeats', async () => {
    expect((await pull()).code).toBe(0);
    addAlert('da900000000000000000_3', 30 * 60_000);
    const narrow = await pull(['--since', '7d']);
    expect(narrow.stderr).toContain('apply to the first run only');
    expect(keys(narrow)).toEqual([]); // 30 min late is beyond the default 10m overlap
    // Growing the overlap: this run cannot tell older alerts apart yet, so it takes them as delivered…
    const grown = await pull(['--overlap', '1h']);
    expect(grown.stderr).toContain('--overlap is larger');
    expect(keys(grown)).toEqual([]);
    // …and from the next run on, alerts up to an hour late are caught, still without repeats.
    const veryLate = addAlert('da900000000000000000_5', 30 * 60_000);
    const wide = await pull(['--overlap', '1h']);
    expect(keys(wide)).toEqual([veryLate]);
  });

  it('catches up a long range in windows, each request bounded, every alert once', async () => {
    const start = new Date(Date.now() - 3 * 3_600_000);
    const result = await pull(['--since', '3h', '--window', '30m']);
    expect(result.code).toBe(0);
    const requests = sim.stats.of('alerts');
    expect(requests.length).toBeGreaterThanOrEqual(6);
    for (const r of requests) {
      const since = Date.parse(r.query['sinceTimeUtc']?.[0] ?? '');
      const until = Date.parse(r.query['untilTimeUtc']?.[0] ?? '');
      expect(until - since).toBeLessThanOrEqual(30 * 60_000);
    }
    const got = keys(result);
    expect(new Set(got).size).toBe(got.length);
    expect(new Set(got)).toEqual(new Set(simKeys(start)));
  });

  it('refuses --limit with --state (it would silently lose older alerts): exit 2', async () => {
    const result = await pull(['--limit', '5']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--limit with --state');
  });

  it('--append adds each run to one NDJSON file; --append with json is a usage error', async () => {
    const out = join(dir, 'alerts.ndjson');
    expect((await pull(['--output', out, '--append'])).code).toBe(0);
    const first = (await readFile(out, 'utf8')).trimEnd().split('\n');
    const fresh = addAlert('da900000000000000000_4', 1_000);
    expect((await pull(['--output', out, '--append'])).code).toBe(0);
    const lines = (await readFile(out, 'utf8')).trimEnd().split('\n');
    expect(lines).toHaveLength(first.length + 1);
    expect(keyOf(JSON.parse(lines.at(-1)!) as SiemAlert)).toBe(fresh);
    const bad = await runCli(['pull', '--state', stateFile, '--output', out, '--append', '--format', 'json'], { env: simEnv(sim) });
    expect(bad.code).toBe(2);
  });
});

describe('pull --state: bad state files', () => {
  it.each([
    ['corrupt JSON', '{"version":1,', 'not valid JSON'],
    ['a future version', JSON.stringify({ version: 9 }), 'version 9'],
  ])('%s: exit 65 naming the file and the way out, file untouched', async (_what, text, reason) => {
    await writeFile(stateFile, text);
    const result = await pull();
    expect(result.code).toBe(65);
    expect(result.stderr).toContain(stateFile);
    expect(result.stderr).toContain(reason);
    expect(result.stderr).toContain('mv ');
    expect(await readFile(stateFile, 'utf8')).toBe(text);
    expect(sim.stats.count('alerts')).toBe(0);
  });

  it('a state file of another tenant: exit 65', async () => {
    expect((await pull()).code).toBe(0);
    const before = await readFile(stateFile, 'utf8');
    const result = await pull([], { env: simEnv(sim, { AZURE_TENANT_ID: sim.credentials.tenantDomain }) });
    expect(result.code).toBe(65);
    expect(result.stderr).toContain('belongs to tenant');
    expect(await readFile(stateFile, 'utf8')).toBe(before);
  });
});

/** Starts a run that stops at `point`, and resolves with the child once it is paused there. */
function pausedRun(point: string, args: string[] = []): { paused: Promise<ChildProcess>; done: Promise<CliResult> } {
  let resolvePaused: (c: ChildProcess) => void = () => {};
  const paused = new Promise<ChildProcess>((resolve) => (resolvePaused = resolve));
  const done = pull(args, {
    env: simEnv(sim, { DEFENDER_ALERTS_TEST_PAUSE: point }),
    onSpawn: (child) => {
      let err = '';
      child.stderr?.on('data', (d: Buffer) => {
        err += d.toString();
        if (err.includes(`test pause at ${point}`)) resolvePaused(child);
      });
    },
  });
  return { paused, done };
}

describe('pull --state: one run at a time', () => {
  it('a second run exits 75 naming the holder; a lock left by kill -9 is taken over', async () => {
    const first = pausedRun('before-output');
    const child = await first.paused;
    const second = await pull();
    expect(second.code).toBe(75);
    expect(second.stderr).toContain(`pid ${child.pid}`);
    child.kill('SIGKILL');
    await first.done;
    const third = await pull();
    expect(third.code).toBe(0);
    expect(third.stderr).toContain('stale lock');
    expect(keys(third).length).toBeGreaterThan(5);
  });
});

describe('pull --state: crash safety (kill -9)', () => {
  it.each(['before-output', 'mid-output', 'after-flush', 'state-written', 'after-commit'])(
    'killed at %s: the state is the old or the new one, valid, and the next run delivers every alert',
    async (point) => {
      expect((await pull()).code).toBe(0);
      const oldState = await readFile(stateFile, 'utf8');
      const fresh = [addAlert('da910000000000000000_1', 2_000), addAlert('da910000000000000000_2', 1_000)];

      const crashed = pausedRun(point);
      (await crashed.paused).kill('SIGKILL');
      const crash = await crashed.done;
      expect(crash.signal).toBe('SIGKILL');

      const text = await readFile(stateFile, 'utf8');
      const parsed = JSON.parse(text) as { readUntil: string };
      const advanced = text !== oldState;
      expect(advanced).toBe(point === 'after-commit');
      expect(parsed.readUntil).toMatch(/Z$/);

      const next = await pull();
      expect(next.code).toBe(0);
      const delivered = [...keys(crash), ...keys(next)];
      for (const key of fresh) expect(delivered).toContain(key);
      // Without a commit the next run delivers everything again; after one it repeats nothing.
      if (advanced) expect(keys(next)).toEqual([]);
      else expect(keys(next).sort()).toEqual([...fresh].sort());
    },
  );

  it('keeps the state as it was when the reader closes the pipe early', async () => {
    expect((await pull()).code).toBe(0);
    const before = await readFile(stateFile, 'utf8');
    addAlert('da910000000000000000_3', 1_000);
    addAlert('da910000000000000000_4', 500);
    const closed = await pull([], { onSpawn: (child) => child.stdout?.destroy() });
    expect(closed.code).toBe(0);
    expect(await readFile(stateFile, 'utf8')).toBe(before);
    expect(keys(await pull())).toHaveLength(2);
  });

  it('leaves no temp file behind after a normal run', async () => {
    expect((await pull()).code).toBe(0);
    expect((await readdir(dir)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });
});

describe('pull --state: soak', () => {
  it('many runs with new alerts and injected faults deliver every alert exactly once', async () => {
    const start = new Date(Date.now() - 2 * 3_600_000);
    const delivered: string[] = [];
    const faults = [
      { status: 500 },
      { status: 429, retryAfter: '0' },
      { cutAfterAlerts: 1 },
      { route: 'token' as const, status: 503 },
      { status: 502, times: 2 },
      { resetBeforeHeaders: true },
      { body: '<html>gateway</html>', contentType: 'text/html' },
    ];
    let failures = 0;
    for (let run = 0; run < 24; run++) {
      if (run % 2 === 1) addAlert(`da92000000000000000${run}_1`, 500);
      if (run % 3 === 0) addAlert(`da93000000000000000${run}_1`, 4 * 60_000); // late, inside the overlap
      const fault = faults[run % faults.length];
      if (fault && run % 4 !== 3) sim.faults.push(fault);
      const result = await pull(['--max-retries', '3']);
      if (result.code !== 0) failures++;
      expect([0, 5, 6, 65]).toContain(result.code);
      delivered.push(...keys(result));
    }
    sim.faults.clear();
    delivered.push(...keys(await pull()));
    expect(failures).toBeLessThan(6);
    expect(new Set(delivered).size).toBe(delivered.length); // no duplicates
    expect(new Set(delivered)).toEqual(new Set(simKeys(start)));
  }, 120_000);
});
