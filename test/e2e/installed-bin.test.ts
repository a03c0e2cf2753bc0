/**
 * The bin as users run it once installed: npm's link in `node_modules/.bin` (the kernel reads the
 * shebang), and the shims npm writes on Windows (cmd, PowerShell, and sh for Git Bash), generated
 * here by npm's own cmd-shim. Each must end Node's options with `--`, or Node reads a
 * `--env-file` meant for the CLI and exits 9 when that file is missing (nodejs/node#54232).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../simulator/server.js';
import { CLI, lastErrorLine, type CliResult } from '../helpers/cli.js';
import { simEnv } from '../helpers/sim-env.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
let dir: string;
let sim: Simulator;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'defender-installed-'));
  sim = await startSimulator({ alerts: 10, seed: 5 });
});
afterAll(async () => {
  await sim.close();
});

/** Runs an executable file directly (no `node` in front): as a shell runs an installed command. */
function exec(file: string, args: string[], env: Record<string, string>, cwd: string): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

describe('the installed bin', () => {
  it("the shebang ends Node's options (`env -S node --`)", async () => {
    expect((await readFile(CLI, 'utf8')).split('\n')[0]).toBe('#!/usr/bin/env -S node --');
  });

  it('npm install: node_modules/.bin/defender-alerts takes --env-file as ours (missing file: exit 2, our message; present: loaded)', async () => {
    const project = join(dir, 'project');
    await mkdir(project);
    await writeFile(join(project, 'package.json'), '{"name":"uses-defender-alerts","private":true}\n');
    // A folder install: npm links the package and writes its .bin entry exactly as for the registry.
    const npm = spawnSync('npm', ['install', '--no-save', '--offline', '--ignore-scripts', '--no-audit', '--no-fund', ROOT], {
      cwd: project,
      encoding: 'utf8',
    });
    expect(npm.status, npm.stderr).toBe(0);
    const bin = join(project, 'node_modules', '.bin', 'defender-alerts');
    const env = simEnv(sim);

    const missing = await exec(bin, ['pull', '--env-file', './missing.env'], env, project);
    expect([missing.code, lastErrorLine(missing.stderr)]).toEqual([
      2,
      'defender-alerts: cannot read --env-file "./missing.env": no such file',
    ]);

    const { AZURE_CLIENT_SECRET: secret, ...withoutSecret } = env;
    await writeFile(join(project, 'defender.env'), `AZURE_CLIENT_SECRET=${secret ?? ''}\n`, { mode: 0o600 });
    const loaded = await exec(bin, ['pull', '--since', '3h', '--env-file', './defender.env'], withoutSecret, project);
    expect(loaded.stderr).not.toContain('defender-alerts:');
    expect(loaded.code).toBe(0);
    expect((JSON.parse(loaded.stdout) as unknown[]).length).toBeGreaterThan(0);
  });

  // npm ships cmd-shim inside itself; found next to the npm that runs the tests.
  const npmRoot = spawnSync('npm', ['root', '-g'], { encoding: 'utf8' }).stdout.trim();
  const cmdShimDir = join(npmRoot, 'npm', 'node_modules', 'cmd-shim');

  it.skipIf(!existsSync(cmdShimDir))('the Windows shims npm writes (cmd, PowerShell, sh) pass `--` too; the sh one runs here', async () => {
    const require = createRequire(import.meta.url);
    const cmdShim = require(cmdShimDir) as (from: string, to: string) => Promise<void>;
    const shim = join(dir, 'shims', 'defender-alerts');
    await mkdir(join(dir, 'shims'));
    await cmdShim(CLI, shim);
    expect(await readFile(`${shim}.cmd`, 'utf8')).toMatch(/"%_prog%" -- "%dp0%\\.*\\bin\\defender-alerts\.js" %\*/);
    expect(await readFile(`${shim}.ps1`, 'utf8')).toMatch(/ -- "\$basedir\/.*\/bin\/defender-alerts\.js" \$args/);
    const result = await exec('sh', [shim, 'pull', '--env-file', './missing.env'], simEnv(sim), dir);
    expect([result.code, lastErrorLine(result.stderr)]).toEqual([
      2,
      'defender-alerts: cannot read --env-file "./missing.env": no such file',
    ]);
  });
});
