/**
 * `pull --state` under attack: bad state files and lock files, signals while a
 * stateful run waits or writes, and secrets in the state directory. The built CLI against a
 * hostile loopback server. Crash safety with kill -9 (a stale lock taken over, the state old or
 * new) is covered by test/e2e/state.test.ts and not repeated here.
 */
import type { ChildProcess } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { access, chmod, mkdir, mkdtemp, readdir, readFile, stat, truncate, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, type CliResult } from '../helpers/cli.js';
import {
  alert,
  completeAlerts,
  failureLine,
  head,
  HOSTILE_CREDENTIALS,
  hostileEnv,
  respond,
  startHostileServer,
  withTokens,
  type HostileServer,
} from '../helpers/hostile-server.js';

const isRoot = process.getuid?.() === 0;
const exists = (p: string): Promise<boolean> =>
  access(p).then(
    () => true,
    () => false,
  );
/** A LastProcessedTimeUtc `agoMs` before now, with 7 fractional digits as the API sends it. */
const lptAgo = (agoMs: number): string => new Date(Date.now() - agoMs).toISOString().replace('Z', '4321Z');
const keyOf = (a: Record<string, unknown>): string => `${String(a['FullId'])}|${String(a['LastProcessedTimeUtc'])}`;

/** What the hostile server answers to alert requests; tests switch it between runs. */
let answer: 'alerts' | 'hang-headers' | 'alerts-then-hang' = 'alerts';
let served: Array<Record<string, unknown>> = [];
const tokens: string[] = [];
let server: HostileServer;

beforeAll(async () => {
  server = await startHostileServer(
    withTokens((req, socket) => {
      if (answer === 'hang-headers') return;
      const body = `[${served.map((a) => JSON.stringify(a)).join(',')}`;
      // Echo the bearer token back in a header: at trace it is logged (censored), never stored.
      const echo = { 'x-echo': req.headers['authorization'] ?? '' };
      if (answer === 'alerts') respond(socket, 200, `${body}]`, echo);
      else socket.write(head(200, { 'content-type': 'application/json', ...echo }) + `${body},`);
    }, tokens),
  );
});
afterAll(async () => {
  await server.close();
});

async function freshDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'defender-state-hardening-'));
}

function pull(
  stateFile: string,
  args: string[] = [],
  extra: Record<string, string> = {},
  onSpawn?: (c: ChildProcess) => void,
): Promise<CliResult> {
  return runCli(['pull', '--state', stateFile, '--format', 'ndjson', '--timeout', '60', ...args], {
    env: hostileEnv(server, extra),
    ...(onSpawn ? { onSpawn } : {}),
  });
}

/** A valid state of this server's tenant, API and endpoint (or of another, with `override`). */
function stateText(override: Record<string, unknown> = {}): string {
  const t = new Date(Date.now() - 60_000).toISOString().replace('Z', '0000Z');
  return `${JSON.stringify(
    {
      version: 1,
      api: 'siem',
      tenant: HOSTILE_CREDENTIALS.tenantId,
      endpoint: `${server.url}/`,
      readUntil: t,
      latestAlert: null,
      recentSince: t,
      recent: [],
      updatedAt: new Date().toISOString(),
      ...override,
    },
    null,
    2,
  )}\n`;
}

describe('bad state files: one line naming the file, the documented exit code, the file untouched', () => {
  const cases: Array<[string, 65, RegExp, string | Buffer]> = [
    ['empty', 65, /is not usable: it is empty/, ''],
    [
      'binary garbage',
      65,
      /is not usable: it is not valid JSON/,
      Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919 + 13) % 256)),
    ],
    ['valid JSON, an array', 65, /does not have the expected content \(file: .*array/, '[]\n'],
    ['valid JSON, null', 65, /does not have the expected content/, 'null'],
    ['valid JSON, a field missing', 65, /does not have the expected content \(api:/, '{"version":1}'],
    [
      'a future version',
      65,
      /it has version 4, newer than this defender-alerts understands \(3\); upgrade/,
      '{"version":4,"format":"from the future"}',
    ],
    // The timestamp's form but no real instant (month 13): refused like any bad content, never a crash (exit 1).
    ['an impossible date', 65, /does not have the expected content \(readUntil: expected a timestamp/, ''],
    ['recentSince after readUntil', 65, /recentSince: is after readUntil/, ''],
    ['another tenant', 65, /belongs to tenant "00000000-0000-4000-8000-000000000999", not "00000000-0000-4000-8000-00000000bad1"/, ''],
    ['another API', 65, /belongs to api "mde", not "siem"/, ''],
    ['another endpoint', 65, /belongs to endpoint "https:\/\/wdatp-alertexporter-us.windows.com\/"/, ''],
  ];
  const texts: Record<string, () => string> = {
    'an impossible date': () => stateText({ readUntil: '2024-13-45T25:61:00.0000000Z' }),
    'recentSince after readUntil': () =>
      stateText({ readUntil: '2024-05-01T10:00:00.0000000Z', recentSince: '2024-05-01T11:00:00.0000000Z' }),
    'another tenant': () => stateText({ tenant: '00000000-0000-4000-8000-000000000999' }),
    'another API': () => stateText({ api: 'mde' }),
    'another endpoint': () => stateText({ endpoint: 'https://wdatp-alertexporter-us.windows.com/' }),
  };

  it.each(cases)('%s: exit %s', async (what, code, reason, content) => {
    const dir = await freshDir();
    const file = join(dir, 'state.json');
    const bytes = Buffer.from(texts[what]?.() ?? content);
    await writeFile(file, bytes);
    const before = server.requests.length;
    const result = await pull(file);
    expect(result.code, result.stderr).toBe(code);
    const line = failureLine(result.stderr);
    expect(line).toContain(`the state file ${file} is not usable`);
    expect(line).toMatch(reason);
    expect(line).toContain(`mv "${file}" "${file}.bad"`);
    expect(await readFile(file)).toEqual(bytes);
    expect(await readdir(dir)).toEqual(['state.json']); // lock released, no temp file
    expect(server.requests.length).toBe(before); // refused before signing in
    expect(result.stdout).toBe('');
  });

  it('huge (sparse, > 64 MiB): exit 65 without reading it', async () => {
    const dir = await freshDir();
    const file = join(dir, 'state.json');
    await writeFile(file, '');
    await truncate(file, 65 * 1024 * 1024);
    const before = await stat(file);
    const result = await pull(file);
    expect(result.code).toBe(65);
    expect(failureLine(result.stderr)).toMatch(
      new RegExp(`the state file ${file} is not usable: it is 68157440 bytes, far more than a state file holds`),
    );
    const after = await stat(file);
    expect([after.size, after.mtimeMs, after.ino]).toEqual([before.size, before.mtimeMs, before.ino]);
    expect(await readdir(dir)).toEqual(['state.json']);
  });

  it.each([
    [
      'in a missing directory',
      (dir: string) => join(dir, 'no-such-dir', 'state.json'),
      /cannot create the lock file .*no-such-dir\/state\.json\.lock: the directory .*no-such-dir does not exist/,
    ],
    [
      'below a file',
      (dir: string) => join(dir, 'a-file', 'state.json'),
      /cannot create the lock file .*: a part of the path is not a directory/,
    ],
    ['a directory', (dir: string) => join(dir, 'a-directory'), /cannot read the state file .*a-directory: it is a directory/],
    // Opening a FIFO blocks until a writer comes: in cron, forever. Refused before opening.
    ['a named pipe', (dir: string) => join(dir, 'a-fifo'), /cannot read the state file .*a-fifo: it is not a regular file/],
  ])('%s: exit 2', async (_what, pathIn, reason) => {
    const dir = await freshDir();
    await writeFile(join(dir, 'a-file'), 'x');
    await mkdir(join(dir, 'a-directory'));
    execFileSync('mkfifo', [join(dir, 'a-fifo')]);
    const listing = (await readdir(dir)).sort();
    const result = await pull(pathIn(dir));
    expect(result.code, result.stderr).toBe(2);
    expect(failureLine(result.stderr)).toMatch(reason);
    expect((await readdir(dir)).sort()).toEqual(listing);
    expect(await readdir(join(dir, 'a-directory'))).toEqual([]);
  });

  it.skipIf(isRoot)('unreadable: exit 2 "permission denied", untouched', async () => {
    const dir = await freshDir();
    const file = join(dir, 'state.json');
    await writeFile(file, stateText(), { mode: 0o000 });
    const result = await pull(file);
    expect(result.code).toBe(2);
    expect(failureLine(result.stderr)).toMatch(/cannot read the state file .*: permission denied/);
    await chmod(file, 0o600);
    expect(await readdir(dir)).toEqual(['state.json']);
  });

  it('missing (the first run): fine — alerts delivered, state created 0600', async () => {
    const dir = await freshDir();
    const file = join(dir, 'state.json');
    answer = 'alerts';
    served = [alert(1, { LastProcessedTimeUtc: lptAgo(60_000) })];
    const result = await pull(file);
    expect(result.code, result.stderr).toBe(0);
    expect(completeAlerts(result.stdout, 'ndjson').map(keyOf)).toEqual(served.map(keyOf));
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await readdir(dir)).sort()).toEqual(['state.json']);
  });

  it('a byte-order mark (saved by an editor on Windows) is accepted', async () => {
    const dir = await freshDir();
    const file = join(dir, 'state.json');
    await writeFile(file, `\uFEFF${stateText()}`);
    answer = 'alerts';
    served = [];
    const result = await pull(file);
    expect(result.code, result.stderr).toBe(0);
  });
});

describe('bad lock files', () => {
  it('a lock that is a directory: exit 2 naming it, nothing removed', async () => {
    const dir = await freshDir();
    const file = join(dir, 'state.json');
    const state = stateText();
    await writeFile(file, state);
    await mkdir(`${file}.lock`);
    const result = await pull(file);
    expect(result.code, result.stderr).toBe(2); // was exit 1: internal error (EISDIR)
    expect(failureLine(result.stderr)).toMatch(new RegExp(`cannot read the lock file ${file}\\.lock: it is a directory — .*remove it`));
    expect((await stat(`${file}.lock`)).isDirectory()).toBe(true);
    expect(await readFile(file, 'utf8')).toBe(state);
  });

  it('a garbage lock just written (its run may be starting): exit 75; the same garbage an hour old: taken over', async () => {
    const dir = await freshDir();
    const file = join(dir, 'state.json');
    const state = stateText();
    await writeFile(file, state);
    await writeFile(`${file}.lock`, Buffer.from([0xff, 0x00, 0x7b, 0x22, 0xfe]));
    const fresh = await pull(file);
    expect(fresh.code).toBe(75);
    expect(failureLine(fresh.stderr)).toContain(`another run holds the lock ${file}.lock (a run that is starting)`);
    expect(await readFile(file, 'utf8')).toBe(state);

    const hourAgo = new Date(Date.now() - 3_600_000);
    await utimes(`${file}.lock`, hourAgo, hourAgo);
    answer = 'alerts';
    served = [];
    const old = await pull(file);
    expect(old.code, old.stderr).toBe(0);
    expect(old.stderr).toContain('took over a stale lock');
    expect(await exists(`${file}.lock`)).toBe(false);
  });
});

describe('signals with --state', () => {
  /** A generous bound: everything the run waits on here takes 60 s. Measured: ~0.05–0.15 s. */
  const STOP_BOUND_MS = 5_000;

  it.each([
    ['SIGINT', 'hang-headers', 130],
    ['SIGTERM', 'hang-headers', 143],
    ['SIGINT', 'alerts-then-hang', 130],
    ['SIGTERM', 'alerts-then-hang', 143],
  ] as const)('%s while %s: exit %s, lock released, state unchanged, the next run delivers every alert', async (signal, phase, code) => {
    const dir = await freshDir();
    const file = join(dir, 'state.json');
    const old = [alert(1, { LastProcessedTimeUtc: lptAgo(3 * 60_000) }), alert(2, { LastProcessedTimeUtc: lptAgo(2 * 60_000) })];
    answer = 'alerts';
    served = old;
    expect((await pull(file)).code).toBe(0);
    const before = await readFile(file, 'utf8');

    const fresh = [alert(3, { LastProcessedTimeUtc: lptAgo(60_000) }), alert(4, { LastProcessedTimeUtc: lptAgo(30_000) })];
    served = [...old, ...fresh];
    answer = phase;
    let signalledAt = 0;
    const stopped = await pull(file, [], {}, (child) => {
      const [stream, text] = phase === 'hang-headers' ? (['stderr', 'requesting alerts'] as const) : (['stdout', '\n'] as const);
      let seen = '';
      child[stream]?.on('data', (d: Buffer) => {
        seen += String(d);
        if (signalledAt === 0 && seen.includes(text)) {
          signalledAt = performance.now();
          child.kill(signal);
        }
      });
    });
    const stopMs = performance.now() - signalledAt;
    expect(stopped.code, stopped.stderr.slice(-1500)).toBe(code);
    expect(stopped.stderr).toContain(`"msg":"${signal} received, stopping"`);
    expect(stopped.stderr).not.toContain('internal error');
    expect(stopMs).toBeLessThan(STOP_BOUND_MS);
    const partial = completeAlerts(stopped.stdout, 'ndjson').map(keyOf);
    expect(partial).toEqual(phase === 'hang-headers' ? [] : fresh.map(keyOf));
    expect(await readdir(dir)).toEqual(['state.json']); // the lock is gone, no temp file
    expect(await readFile(file, 'utf8')).toBe(before);

    answer = 'alerts';
    const next = await pull(file);
    expect(next.code, next.stderr).toBe(0);
    expect(completeAlerts(next.stdout, 'ndjson').map(keyOf).sort()).toEqual(fresh.map(keyOf).sort());
  });
});

describe('secrets in the state directory', () => {
  it('a full --state run at trace: no secret or token in the state, the lock, the temp state file or the appended output', async () => {
    const dir = await freshDir();
    const file = join(dir, 'state.json');
    const out = join(dir, 'alerts.ndjson');
    const args = ['--log-level', 'trace', '--output', out, '--append'];
    answer = 'alerts';
    served = [alert(1, { LastProcessedTimeUtc: lptAgo(60_000) })];
    const tokensBefore = tokens.length;
    const full = await pull(file, args);
    expect(full.code, full.stderr).toBe(0);
    expect(full.stderr).toContain('"level":10');
    expect(full.stderr).toContain('[redacted]'); // the echoed token was logged, censored

    // A second run paused with the new state in its temp file and the lock held: read them all.
    served = [...served, alert(2, { LastProcessedTimeUtc: lptAgo(1_000) })];
    const seen = new Map<string, string>();
    let release: () => void = () => {};
    const looked = new Promise<void>((resolve) => (release = resolve));
    const paused = await pull(file, args, { DEFENDER_ALERTS_TEST_PAUSE: 'state-written' }, (child) => {
      let err = '';
      child.stderr?.on('data', (d: Buffer) => {
        err += String(d);
        if (!err.includes('test pause at state-written')) return;
        void (async () => {
          for (const name of await readdir(dir)) seen.set(name, await readFile(join(dir, name), 'utf8'));
          child.kill('SIGKILL');
          release();
        })();
      });
    });
    await looked;
    expect(paused.signal).toBe('SIGKILL');
    const names = [...seen.keys()];
    expect(names).toContain('state.json.lock');
    expect(names.some((n) => n.startsWith('.state.json.') && n.endsWith('.tmp'))).toBe(true);
    expect(tokens.length).toBeGreaterThan(tokensBefore);

    const artefacts: Array<[string, string]> = [
      ['stdout', full.stdout + paused.stdout],
      ['stderr', full.stderr + paused.stderr],
      ...[...seen].map(([name, text]): [string, string] => [name, text]),
      ['state file afterwards', await readFile(file, 'utf8')],
    ];
    for (const [label, text] of artefacts) {
      expect(text, `${label} holds the client secret`).not.toContain(HOSTILE_CREDENTIALS.clientSecret);
      expect(text, `${label} holds the URL-encoded client secret`).not.toContain(encodeURIComponent(HOSTILE_CREDENTIALS.clientSecret));
      for (const token of tokens) expect(text, `${label} holds an access token`).not.toContain(token);
    }
  });
});
