/**
 * `--parallel k`: a backfill's windows read k at a time must give exactly what k = 1 gives — the
 * same lines in the same order and the same state. (That a failed window ends the run in its
 * turn, after the ones before it, is test/delivery/spooled-windows.test.ts.)
 */
import { mkdir, mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../simulator/server.js';
import { runCli } from '../helpers/cli.js';
import { simEnv } from '../helpers/sim-env.js';

let sim: Simulator;
let dir: string;
beforeAll(async () => {
  sim = await startSimulator({
    https: false,
    seed: 13,
    alerts: 300,
    windowHours: 12,
    latencyMs: 60,
    mdeCallsPerMinute: 100_000,
    mdeCallsPerHour: 100_000,
  });
  dir = await mkdtemp(join(tmpdir(), 'defender-parallel-'));
});
afterAll(async () => {
  await sim.close();
});

const checkpoint = async (path: string) => {
  const { readUntil, latestAlert, recentSince, recent } = JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
  return { readUntil, latestAlert, recentSince, recent };
};

describe('--parallel', () => {
  it('removes the spool a killed run of the same state left behind', async () => {
    const left = join(dir, '.leftover.json.windows-abc123');
    await mkdir(left);
    const result = await runCli(
      [
        'pull',
        '--api',
        'graph',
        '--since',
        '5h',
        '--window',
        '1h',
        '--format',
        'ndjson',
        '--state',
        join(dir, 'leftover.json'),
        '--parallel',
        '3',
      ],
      { env: simEnv(sim, { DEFENDER_LOG_LEVEL: 'warn' }), timeoutMs: 60_000 },
    );
    expect(result.code, result.stderr).toBe(0);
    expect((await readdir(dir)).filter((n) => n.includes('.windows-'))).toEqual([]);
  });

  it.each(['graph', 'mde', 'siem'] as const)(
    '--api %s: the same lines in the same order and the same state as one window at a time',
    async (api) => {
      const until = new Date().toISOString();
      const run = (parallel: number) =>
        runCli(
          [
            'pull',
            '--api',
            api,
            '--since',
            '13h',
            '--until',
            until,
            '--window',
            '1h',
            '--format',
            'ndjson',
            '--state',
            join(dir, `${api}-${parallel}.json`),
            '--parallel',
            String(parallel),
          ],
          { env: simEnv(sim, { DEFENDER_LOG_LEVEL: 'warn' }), timeoutMs: 60_000 },
        );
      const one = await run(1);
      const four = await run(4);
      expect(one.code, one.stderr).toBe(0);
      expect(four.code, four.stderr).toBe(0);
      expect(four.stdout).toBe(one.stdout);
      expect(one.stdout.split('\n').length).toBeGreaterThan(100);
      expect(await checkpoint(join(dir, `${api}-4.json`))).toEqual(await checkpoint(join(dir, `${api}-1.json`)));
      // The spool beside the state is gone (and one a killed run left would be removed too).
      expect((await readdir(dir)).filter((n) => n.includes('.windows-'))).toEqual([]);
    },
  );

  it.each([1, 4])('--window auto (the default), --parallel %i: the lines of fixed windows, in fewer requests', async (parallel) => {
    const until = new Date().toISOString();
    const run = async (window: string[]) => {
      const before = sim.stats.count('alerts');
      const result = await runCli(
        [
          'pull',
          '--api',
          'graph',
          '--since',
          '13h',
          '--until',
          until,
          ...window,
          '--format',
          'ndjson',
          '--state',
          join(dir, `auto-${parallel}-${window.length}.json`),
          '--parallel',
          String(parallel),
        ],
        { env: simEnv(sim, { DEFENDER_LOG_LEVEL: 'warn' }), timeoutMs: 60_000 },
      );
      expect(result.code, result.stderr).toBe(0);
      return { stdout: result.stdout, requests: sim.stats.count('alerts') - before };
    };
    const fixed = await run(['--window', '1h']);
    const auto = await run([]);
    expect(auto.stdout).toBe(fixed.stdout);
    expect(fixed.requests).toBe(13);
    // The first windows are an hour; the next grow fourfold (few alerts an hour here): 1h, 4h, 8h.
    expect(auto.requests).toBeLessThanOrEqual(parallel === 1 ? 3 : 6);
  });
});
