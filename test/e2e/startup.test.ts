/**
 * Start-up cost: --help and --version load only what they need — commander, not
 * undici, pino or zod — so a cron job or a shell completion pays as little as `node` itself.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CLI } from '../helpers/cli.js';

const preload = fileURLToPath(new URL('../helpers/record-imports.mjs', import.meta.url));

function modulesLoadedBy(args: string[]): string[] {
  const file = join(mkdtempSync(join(tmpdir(), 'imports-')), 'list');
  const result = spawnSync(process.execPath, ['--import', preload, CLI, ...args], {
    env: { PATH: process.env['PATH'] ?? '', RECORD_IMPORTS: file },
    encoding: 'utf8',
  });
  expect(result.status).toBe(0);
  return readFileSync(file, 'utf8').trim().split('\n');
}

const packageOf = (url: string): string | undefined => /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1];

describe('start-up', () => {
  it.each([['--version'], ['--help'], ['pull', '--help']])('%s loads commander and nothing heavy', (...args) => {
    const loaded = modulesLoadedBy(args);
    expect(loaded.some((u) => u.endsWith('/dist/src/cli.js'))).toBe(true); // the hook saw our own modules
    const packages = new Set(loaded.map(packageOf).filter((p): p is string => p !== undefined));
    expect([...packages]).toEqual(['commander']);
  });
});
