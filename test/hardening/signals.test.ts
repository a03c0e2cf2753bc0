/**
 * Signals: Ctrl-C and SIGTERM stop a run within a second whatever it waits on (the
 * token, the headers, a body that never ends), exit 130/143, end the output cleanly, and leave
 * an --output file as it was. With --state, a stop while stdout is stuck (a reader that stopped
 * reading) or closing (the reader stopped with us) ends within the grace too, with no stack, and
 * leaves neither the lock nor a spool behind, and a checkpoint that covers only what was delivered.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { Writable } from 'node:stream';
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { SiemAlert } from '../../simulator/alert-types.js';
import { startSimulator, type Simulator } from '../../simulator/server.js';
import { run } from '../../src/cli.js';
import { CLI, runCli, stderrRecords, type CliResult } from '../helpers/cli.js';
import { simEnv } from '../helpers/sim-env.js';
import {
  alert,
  completeAlerts,
  head,
  hostileEnv,
  isTokenRequest,
  startHostileServer,
  withTokens,
  type Script,
} from '../helpers/hostile-server.js';

/** A generous bound: everything the CLI could wait on here takes 30 s or more. */
const STOP_BOUND_MS = 5_000;

/** An answer that sends two alerts and then never ends. */
const twoAlertsThenHang: Script = (_req, socket) => {
  socket.write(head(200, { 'content-type': 'application/json' }) + `[${JSON.stringify(alert(1))},\n${JSON.stringify(alert(2))},\n`);
};

/**
 * Runs pull against `script`, sends `signal` once `when` says so (stderr or stdout text seen),
 * and measures from the signal to the exit.
 */
async function stopWith(
  script: Script,
  signal: NodeJS.Signals,
  when: { stream: 'stdout' | 'stderr'; text: string },
  args: string[] = [],
): Promise<{ result: CliResult; stopMs: number }> {
  const server = await startHostileServer(script);
  let signalledAt = 0;
  try {
    const result = await runCli(['pull', '--timeout', '60', ...args], {
      env: hostileEnv(server),
      onSpawn: (child: ChildProcess) => {
        let seen = '';
        child[when.stream]?.on('data', (d: Buffer) => {
          seen += String(d);
          if (signalledAt === 0 && seen.includes(when.text)) {
            signalledAt = performance.now();
            child.kill(signal);
          }
        });
      },
    });
    return { result, stopMs: performance.now() - signalledAt };
  } finally {
    await server.close();
  }
}

function expectStopped(result: CliResult, signal: 'SIGINT' | 'SIGTERM', stopMs: number): void {
  const code = signal === 'SIGINT' ? 130 : 143;
  expect(result.code, result.stderr.slice(-1000)).toBe(code);
  // Off a terminal the notices are JSON lines like the log's, and the last one names the exit code.
  const records = stderrRecords(result.stderr);
  expect(records.map((r) => r.msg)).toContain(`${signal} received, stopping`);
  expect(records.at(-1)).toMatchObject({ level: 30, msg: `stopped on ${signal}`, signal, exitCode: code });
  expect(result.stderr).not.toContain('internal error');
  expect(stopMs).toBeLessThan(STOP_BOUND_MS);
}

describe('signals', () => {
  it('SIGINT while the token request hangs: exit 130', async () => {
    const { result, stopMs } = await stopWith(() => {}, 'SIGINT', { stream: 'stderr', text: 'requesting access token' });
    expectStopped(result, 'SIGINT', stopMs);
    expect(result.stdout).toBe('');
  });

  it('SIGTERM while waiting for the response headers: exit 143', async () => {
    const { result, stopMs } = await stopWith(
      withTokens(() => {}),
      'SIGTERM',
      { stream: 'stderr', text: 'requesting alerts' },
    );
    expectStopped(result, 'SIGTERM', stopMs);
    expect(result.stdout).toBe('');
  });

  it('SIGTERM mid-body with --format ndjson: exit 143, every line a whole alert', async () => {
    const { result, stopMs } = await stopWith(withTokens(twoAlertsThenHang), 'SIGTERM', { stream: 'stdout', text: '\n' }, [
      '--format',
      'ndjson',
    ]);
    expectStopped(result, 'SIGTERM', stopMs);
    expect(completeAlerts(result.stdout, 'ndjson')).toHaveLength(2);
  });

  // A signal must not leave the JSON array unclosed: sink.finish() ends it.
  it('SIGINT mid-body with --format json: exit 130 and stdout is a closed JSON array', async () => {
    const { result, stopMs } = await stopWith(withTokens(twoAlertsThenHang), 'SIGINT', { stream: 'stdout', text: 'AlertId' });
    expectStopped(result, 'SIGINT', stopMs);
    expect(completeAlerts(result.stdout, 'json')).toHaveLength(2);
  });

  it('SIGTERM mid-body with --output: the existing file is untouched and no temp file is left', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'defender-alerts-signal-'));
    const target = join(dir, 'alerts.json');
    await writeFile(target, '[{"previous":"run"}]\n');
    const server = await startHostileServer(withTokens(twoAlertsThenHang));
    try {
      let signalledAt = 0;
      const result = await runCli(['pull', '--output', target], {
        env: hostileEnv(server),
        onSpawn: (child) => {
          const poll = setInterval(() => {
            void readdir(dir).then((names) => {
              if (signalledAt === 0 && names.some((n) => n.endsWith('.tmp')) && server.apiRequests().length > 0) {
                signalledAt = performance.now();
                clearInterval(poll);
                // Give the two alerts a moment to reach the temp file; any time is correct.
                setTimeout(() => child.kill('SIGTERM'), 200);
              }
            });
          }, 20);
          child.on('close', () => clearInterval(poll));
        },
      });
      expectStopped(result, 'SIGTERM', performance.now() - signalledAt);
      expect(await readFile(target, 'utf8')).toBe('[{"previous":"run"}]\n');
      expect(await readdir(dir)).toEqual(['alerts.json']);
    } finally {
      await server.close();
    }
  });

  it('a second Ctrl-C ends the process at once', async () => {
    const server = await startHostileServer((req, socket) => {
      if (!isTokenRequest(req)) socket.end();
    });
    try {
      const result = await runCli(['pull'], {
        env: hostileEnv(server),
        onSpawn: (child) => {
          child.stderr?.on('data', (d: Buffer) => {
            if (String(d).includes('requesting access token')) {
              child.kill('SIGINT');
              child.kill('SIGINT');
            }
          });
        },
      });
      expect(result.code).toBe(130);
      expect(result.stderr).not.toContain('internal error');
    } finally {
      await server.close();
    }
  });
});

// --- a --state run stopped while its stdout is stuck or closing --------------------------------

/** main.ts's grace (5 s) and a margin for a loaded machine. */
const GRACE_BOUND_MS = 7_500;

let sim: Simulator;
beforeAll(async () => {
  // 3000 alerts of ~2 KB over 3 h: a one-minute window is ~35 KB, so the first fits in the pipe's
  // 64 KiB and is committed, and the run then fills the pipe with megabytes still to come.
  sim = await startSimulator({ https: false, alerts: 3000, windowHours: 3 });
});
afterAll(async () => {
  await sim.close();
});
/** The runs a failing test left behind (one paused for good would never end by itself). */
const spawned = new Set<ChildProcess>();
afterEach(() => {
  for (const child of spawned) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  spawned.clear();
});

/** An alert's identity in the SIEM API: one AlertId has a record per part (FullId). */
const keyOf = (a: SiemAlert): string => `${String(a.FullId || a.AlertId)}|${String(a.LastProcessedTimeUtc)}`;

interface StatefulPull {
  child: ChildProcess;
  dir: string;
  state: string;
  stderr: () => string;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * `pull --state` into a pipe; `stalled`: one nobody reads until the test does (a 'readable'
 * listener that reads nothing keeps Node from draining the pipe itself at the child's exit,
 * child_process flushStdio). `exit` waits for the exit and all of stderr.
 */
async function statefulPull(args: string[], stalled: boolean, env: Record<string, string> = {}): Promise<StatefulPull> {
  const dir = await mkdtemp(join(tmpdir(), 'defender-signal-state-'));
  const state = join(dir, 'state.json');
  const child = spawn(
    process.execPath,
    ['--', CLI, 'pull', '--since', '3h', '--state', state, '--window', '1m', '--format', 'ndjson', ...args],
    { env: simEnv(sim, env), stdio: ['ignore', 'pipe', 'pipe'] },
  );
  spawned.add(child);
  if (stalled) child.stdout.on('readable', () => {});
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exit = Promise.all([once(child, 'exit'), once(child.stderr, 'close')]).then(([[code, signal]]) => ({
    code: code as number | null,
    signal: signal as NodeJS.Signals | null,
  }));
  return { child, dir, state, stderr: () => stderr, exit };
}

async function until(what: string, ready: () => Promise<boolean>, child: ChildProcess): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (await ready()) return;
    if (child.exitCode !== null) throw new Error(`the run ended before ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`no ${what} within 15 s`);
}

/** What the reader can still read from the pipe (after the exit): its whole lines are what was delivered. */
async function drain(child: ChildProcess): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of child.stdout!) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function expectNoStack(stderr: string): void {
  for (const bad of ['ERR_STREAM_DESTROYED', 'internal error', '    at ']) expect(stderr, stderr.slice(-2000)).not.toContain(bad);
}

describe('signals: a --state run whatever its stdout is doing', () => {
  it.each([1, 2, 4])(
    '--parallel %i, stdout stuck (a reader that stopped reading): SIGTERM ends it within the grace, exit 143, lock and spool gone, the checkpoint only over what was delivered',
    async (parallel) => {
      const started = Date.now();
      const run = await statefulPull(['--parallel', String(parallel)], true);
      // The first window was committed; by now the next ones fill the pipe and the run waits on it.
      await until('a first checkpoint', async () => (await readdir(run.dir)).includes('state.json'), run.child);
      await new Promise((r) => setTimeout(r, 500));
      const signalledAt = performance.now();
      run.child.kill('SIGTERM');
      const { code } = await run.exit;
      const stopMs = performance.now() - signalledAt;
      const delivered = await drain(run.child);

      expect(code, run.stderr().slice(-1500)).toBe(143);
      expect(stopMs).toBeLessThan(GRACE_BOUND_MS);
      expectNoStack(run.stderr());
      const records = stderrRecords(run.stderr());
      // The run ended by itself at once (its own cleanup ran); only stdout's backlog waited out the grace.
      expect(records.map((r) => r.msg)).toContain('stopped on SIGTERM');
      expect(records.at(-1)).toMatchObject({ level: 40, msg: expect.stringMatching(/^stdout did not take the rest/), exitCode: 143 });
      // No lock, no spool (.state.json.windows-…), no temp file: only the state.
      expect(await readdir(run.dir)).toEqual(['state.json']);
      const { readUntil } = JSON.parse(await readFile(run.state, 'utf8')) as { readUntil: string };
      const lines = delivered.split('\n').slice(0, -1);
      const got = new Set(lines.map((l) => keyOf(JSON.parse(l) as SiemAlert)));
      // Every alert the checkpoint counts as delivered (from the run's start to readUntil) was.
      const { alerts } = sim.store.query(
        { sinceTimeUtc: new Date(started - 3 * 3_600_000 + 5_000).toISOString(), untilTimeUtc: readUntil },
        new Date(),
      );
      const covered = [...new Set([...alerts].map(keyOf))];
      expect(covered.length).toBeGreaterThan(0);
      expect(covered.filter((k) => !got.has(k))).toEqual([]);
      // ... and the run was stopped far from the end: megabytes were still to come.
      expect(got.size).toBeLessThan(1000);
    },
    20_000,
  );

  // What systemd does when it stops `pull | shipper`: SIGTERM to both, the shipper's end of the pipe closes.
  it.each([
    ['SIGTERM, then the reader closes', true],
    ['the reader closes, then SIGTERM', false],
  ])(
    '%s at once: exit 143, no stack, lock and spool gone',
    async (_name, signalFirst) => {
      for (let i = 0; i < 3; i++) {
        const run = await statefulPull([], false);
        let seen = 0;
        run.child.stdout!.on('data', (d: Buffer) => {
          seen += d.length;
          if (seen < 100_000 || run.child.stdout!.destroyed) return;
          if (signalFirst) run.child.kill('SIGTERM');
          run.child.stdout!.destroy();
          if (!signalFirst) run.child.kill('SIGTERM');
        });
        const { code } = await run.exit;
        expect(code, run.stderr().slice(-1500)).toBe(143);
        expectNoStack(run.stderr());
        expect(stderrRecords(run.stderr()).at(-1)).toMatchObject({ exitCode: 143 });
        expect((await readdir(run.dir)).filter((n) => n !== 'state.json')).toEqual([]);
      }
    },
    30_000,
  );

  // In process, to order the two exactly: the reader's EPIPE is seen first, the signal right after.
  it('the reader gone at the very moment of the stop: still the stop (run() says 1, main.ts makes it 143)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'defender-signal-state-'));
    const stop = new AbortController();
    const stdout = new Writable({
      write(_chunk, _encoding, done) {
        done(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
        process.nextTick(() => stop.abort(new Error('SIGTERM')));
      },
    });
    const env = { ...simEnv(sim), DEFENDER_LOG_LEVEL: 'silent' };
    const errors: string[] = [];
    const code = await run(
      ['node', 'defender-alerts', 'pull', '--since', '3h', '--state', join(dir, 'state.json'), '--format', 'ndjson'],
      { stdout, stdin: process.stdin, env, signal: stop.signal, now: () => new Date() },
      { write: (text: string) => errors.push(text) },
    );
    expect(stop.signal.aborted).toBe(true);
    expect(code).toBe(1);
    expect(errors).toEqual([]);
    expect(await readdir(dir)).toEqual([]);
  });

  // A run that cannot end by itself (here a crash test's pause, which no signal ends: the state's
  // temp file written, the lock held, windows spooled) is ended by main.ts, which removes them.
  describe('a run that does not end by itself', () => {
    const paused = { DEFENDER_ALERTS_TEST_PAUSE: 'state-written' };
    const notPauseLine = (stderr: string): string =>
      stderr
        .split('\n')
        .filter((l) => !l.startsWith('defender-alerts: test pause'))
        .join('\n');

    async function stopPaused(signals: number): Promise<{ run: StatefulPull; code: number | null; stopMs: number }> {
      const run = await statefulPull([], false, paused);
      run.child.stdout!.resume();
      await until('the pause', () => Promise.resolve(run.stderr().includes('test pause at state-written')), run.child);
      expect((await readdir(run.dir)).some((n) => n.includes('.windows-'))).toBe(true);
      const signalledAt = performance.now();
      run.child.kill('SIGTERM');
      if (signals === 2) setTimeout(() => run.child.kill('SIGTERM'), 300);
      const { code } = await run.exit;
      return { run, code, stopMs: performance.now() - signalledAt };
    }

    it('a second SIGTERM ends it at once: exit 143, lock, spool and temp file removed', async () => {
      const { run, code, stopMs } = await stopPaused(2);
      expect(code).toBe(143);
      expect(stopMs).toBeLessThan(2_000);
      expect(await readdir(run.dir)).toEqual([]);
      const last = stderrRecords(notPauseLine(run.stderr())).at(-1);
      expect(last).toMatchObject({ level: 40, msg: 'SIGTERM received again, exiting at once', exitCode: 143 });
    });

    it('one SIGTERM ends it once the grace is over: exit 143, lock, spool and temp file removed', async () => {
      const { run, code, stopMs } = await stopPaused(1);
      expect(code).toBe(143);
      expect(stopMs).toBeGreaterThan(4_500);
      expect(stopMs).toBeLessThan(GRACE_BOUND_MS);
      expect(await readdir(run.dir)).toEqual([]);
      const last = stderrRecords(notPauseLine(run.stderr())).at(-1);
      expect(last).toMatchObject({ level: 40, msg: expect.stringMatching(/^still stopping 5 s after SIGTERM/), exitCode: 143 });
    }, 15_000);
  });
});
