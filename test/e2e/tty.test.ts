/**
 * Logs on a terminal: JSON lines when stderr is a file or pipe, a short human line when
 * it is a terminal. The CLI runs under a real pseudo-terminal (`script` from util-linux).
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../simulator/server.js';
import { CLI, runCli } from '../helpers/cli.js';
import { simEnv } from '../helpers/sim-env.js';

const hasScript = spawnSync('script', ['--version']).status === 0;
let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator({ alerts: 5 });
});
afterAll(async () => {
  await sim.close();
});

describe('logs', () => {
  it.skipIf(!hasScript)('are short human lines on a terminal', async () => {
    // Asynchronously: the simulator answers from this very process.
    const child = spawn('script', ['-qec', `${process.execPath} ${CLI} pull --limit 1 --log-level info`, '/dev/null'], {
      env: simEnv(sim),
      // script copies its own stdin to the terminal and would wait on an open pipe.
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let screen = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (screen += d));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code).toBe(0);
    expect(screen).toMatch(/\d\d:\d\d:\d\d INFO {2}pull complete alerts=1/);
    expect(screen).not.toContain('"level":');
  });

  it('are JSON lines when stderr is a pipe', async () => {
    const result = await runCli(['pull', '--limit', '1', '--log-level', 'info'], { env: simEnv(sim) });
    expect(result.code).toBe(0);
    const last = JSON.parse(result.stderr.trim().split('\n').at(-1) ?? '') as Record<string, unknown>;
    expect(last).toMatchObject({ level: 30, msg: 'pull complete', alerts: 1 });
  });
});

describe('progress', () => {
  it.skipIf(!hasScript)(
    'a long run on a terminal shows one updating line, gone at the end; never on a pipe',
    async () => {
      const slow = await startSimulator({ https: false, alerts: 40, latencyMs: 350 });
      try {
        const dir = mkdtempSync(join(tmpdir(), 'defender-progress-'));
        const args = `pull --api mde --since 3h --state ${join(dir, 's.json')} --window 30m --format ndjson --log-level warn`;
        const child = spawn('script', ['-qec', `${process.execPath} ${CLI} ${args} > ${join(dir, 'out.ndjson')}`, '/dev/null'], {
          env: simEnv(slow),
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let screen = '';
        child.stdout.setEncoding('utf8').on('data', (d: string) => (screen += d));
        expect(await new Promise<number | null>((resolve) => child.on('close', resolve))).toBe(0);
        // ESC [ K erases the line before each redraw.
        expect(screen).toMatch(new RegExp(`\r${String.fromCharCode(27)}\\[Kwindows \\d/7 · \\d+ alerts · \\d+/s`));
        // The last thing on the terminal erases the line.
        expect(screen.replace(/\r?\n$/, '').endsWith('\r\x1b[K')).toBe(true);
        expect(readFileSync(join(dir, 'out.ndjson'), 'utf8')).not.toContain('windows');

        const piped = await runCli(
          args.split(' ').map((a) => a.replace(join(dir, 's.json'), join(dir, 's2.json'))),
          { env: simEnv(slow) },
        );
        expect(piped.code).toBe(0);
        expect(piped.stderr).not.toContain('windows ');
        expect(piped.stderr).not.toContain('\x1b[K');
      } finally {
        await slow.close();
      }
    },
    30_000,
  );
});
