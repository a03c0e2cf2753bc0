/**
 * One stderr format: off a terminal every line of stderr — the log, the last error, commander's
 * usage errors, the signal notices — is one JSON object shaped as pino's lines, the last one of a
 * failed or stopped run carrying its exit code, so the README's `journalctl … -o cat | jq
 * 'select(.level >= 40)'` reads it all. On a terminal the lines stay as a person reads them. The
 * terminal is a real pseudo-terminal (`script` from util-linux), as in tty.test.ts.
 */
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../simulator/server.js';
import { CLI, runCli, stderrRecords, type CliResult } from '../helpers/cli.js';
import { simEnv } from '../helpers/sim-env.js';

const hasScript = spawnSync('script', ['--version']).status === 0;
const hasJq = spawnSync('jq', ['--version']).status === 0;

let sim: Simulator;
let dir: string;
beforeAll(async () => {
  sim = await startSimulator({ https: false, alerts: 5 });
  dir = await mkdtemp(join(tmpdir(), 'defender-stderr-'));
});
afterAll(async () => {
  await sim.close();
});

/** Every line parses, and the last names the exit code the process ended with. */
function expectJsonLines(result: CliResult): void {
  const records = stderrRecords(result.stderr);
  expect(records.length).toBeGreaterThan(0);
  for (const r of records) {
    expect(r).toMatchObject({ level: expect.any(Number) as number, time: expect.any(Number) as number, pid: expect.any(Number) as number });
    expect(typeof r.msg).toBe('string');
  }
  expect(records.at(-1)).toMatchObject({ exitCode: result.code });
}

/** The README's recipe, `… | jq 'select(.level >= 40)'`, over this stderr: what it prints. */
function warningsAndErrors(stderr: string): string {
  const jq = spawnSync('jq', ['-c', 'select(.level >= 40)'], { input: stderr, encoding: 'utf8' });
  expect(jq.status, jq.stderr).toBe(0);
  return jq.stdout;
}

describe('off a terminal every stderr line is JSON, the last with the exit code', () => {
  it.each([
    ['bad credentials', 3, ['pull'], { AZURE_CLIENT_SECRET: 'wrong-secret-value' }, /AADSTS7000215/],
    ['a bad flag value', 2, ['pull', '--format', 'xml'], {}, /--format/],
    ['an unknown option', 2, ['pull', '--bogus'], {}, /^unknown option '--bogus'/],
    ['an unknown command', 2, ['frobnicate'], {}, /^unknown command 'frobnicate'/],
    ['no command at all', 2, [], {}, /^no command given$/],
  ])('%s: exit %i', async (_what, code, args, env, message) => {
    const result = await runCli(args, { env: simEnv(sim, env) });
    expect(result.code, result.stderr).toBe(code);
    expectJsonLines(result);
    const last = stderrRecords(result.stderr).at(-1)!;
    expect(last).toMatchObject({ level: 50, msg: expect.stringMatching(message) as string });
    expect(result.stderr).not.toContain('wrong-secret-value');
    if (code === 2) expect(last['hint']).toMatch(/--help|usage/);
    if (hasJq) expect(warningsAndErrors(result.stderr).trimEnd().split('\n').at(-1)).toBe(JSON.stringify(last));
  });

  it('a configuration with several problems: one JSON line, the problems an array of lines in our words', async () => {
    const result = await runCli(['pull', '--limit', '99999999999999999999', '--format', 'xml', '--since', 'PT2H'], { env: simEnv(sim) });
    expect(result.code, result.stderr).toBe(2);
    expectJsonLines(result);
    const records = stderrRecords(result.stderr);
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({
      msg: expect.stringMatching(/^invalid configuration \(2 problems\):\n {2}--limit: /) as string,
      problems: ['--limit: must be at most 1000000000', '--format: expected json, ndjson, cef or leef'],
      hint: expect.stringMatching(/--help/) as string,
    });
  });

  it('a region --api graph has no use for: a warning line, and the run goes on', async () => {
    const result = await runCli(['pull', '--api', 'graph', '--since', '1h30m'], { env: simEnv(sim, { DEFENDER_REGION: 'eu' }) });
    expect(result.code, result.stderr).toBe(0);
    expect(stderrRecords(result.stderr)).toContainEqual(
      expect.objectContaining({ level: 40, msg: '--region (or DEFENDER_REGION): --api graph has no regions; "eu" is ignored' }),
    );
  });

  it('--help still prints text, on stdout', async () => {
    const result = await runCli(['pull', '--help'], { env: simEnv(sim) });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Usage: defender-alerts pull/);
    expect(result.stderr).toBe('');
  });

  it('a --follow service stopped by SIGTERM: the notices are JSON too, and the last says exit 0', async () => {
    const result = await runCli(['pull', '--state', join(dir, 'follow.json'), '--follow', '--interval', '1m', '--format', 'ndjson'], {
      env: simEnv(sim, { DEFENDER_LOG_LEVEL: 'info' }),
      onSpawn: (child) => {
        let seen = '';
        child.stderr?.on('data', (d: Buffer) => {
          if (seen.includes('"msg":"cycle complete"')) return;
          seen += String(d);
          if (seen.includes('"msg":"cycle complete"')) child.kill('SIGTERM');
        });
      },
    });
    expect(result.code, result.stderr).toBe(0);
    expectJsonLines(result);
    const records = stderrRecords(result.stderr);
    expect(records.map((r) => r.msg)).toContain('SIGTERM received, stopping');
    expect(records.at(-1)).toMatchObject({ level: 30, msg: 'stopped on SIGTERM', signal: 'SIGTERM', exitCode: 0 });
    if (hasJq) expect(warningsAndErrors(result.stderr)).toBe('');
  });
});

/** Runs `command` (a shell line) under a pseudo-terminal; resolves with what the terminal showed. */
async function onTerminal(command: string, env: Record<string, string>): Promise<{ code: number | null; screen: string }> {
  // script copies its own stdin to the terminal and would wait on an open pipe.
  const child = spawn('script', ['-qec', command, '/dev/null'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let screen = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (screen += d));
  const [code] = (await once(child, 'close')) as [number | null];
  return { code, screen };
}

describe.skipIf(!hasScript)('on a terminal the lines are as a person reads them', () => {
  const cli = `${process.execPath} -- ${CLI}`;

  it('a failed run ends with `defender-alerts: <message> — <hint>`', async () => {
    const { code, screen } = await onTerminal(`${cli} pull > /dev/null`, simEnv(sim, { AZURE_CLIENT_SECRET: 'wrong-secret-value' }));
    expect(code).toBe(3);
    expect(screen).toMatch(/defender-alerts: Entra ID refused the sign-in: AADSTS7000215: .* — /);
    expect(screen).not.toContain('"level":');
    expect(screen).not.toContain('"exitCode"');
  });

  it('a configuration with several problems: a summary line, one problem a line, then the hint', async () => {
    const { code, screen } = await onTerminal(`${cli} pull --limit 0 --format xml`, simEnv(sim));
    expect(code).toBe(2);
    expect(screen.replace(/\r/g, '').trimEnd().split('\n')).toEqual([
      'defender-alerts: invalid configuration (2 problems):',
      '  --limit: must be at least 1',
      '  --format: expected json, ndjson, cef or leef',
      'run with --help for every option and its environment variable',
    ]);
  });

  it("commander's usage errors are one line in the tool's own voice", async () => {
    const { code, screen } = await onTerminal(`${cli} pull --bogus`, simEnv(sim));
    expect(code).toBe(2);
    expect(screen.replace(/\r/g, '').trimEnd().split('\n')).toEqual([
      "defender-alerts: unknown option '--bogus' — run with --help for usage",
    ]);
  });

  it('a --follow service stopped by SIGTERM says so in words and exits 0', async () => {
    const state = join(dir, 'follow-tty.json');
    const service = `${cli} pull --state ${state} --follow --interval 1m --format ndjson > /dev/null`;
    // The shell sends the signal once the service has had time to start its first cycle.
    const { code, screen } = await onTerminal(
      `${service} & p=$!; sleep 2; kill -TERM $p; wait $p`,
      simEnv(sim, { DEFENDER_LOG_LEVEL: 'warn' }),
    );
    expect(code).toBe(0);
    expect(screen).toContain('defender-alerts: SIGTERM received, stopping');
    expect(screen).not.toContain('"level":');
  });
});
