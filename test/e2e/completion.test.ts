/**
 * `defender-alerts completion bash|zsh|fish`: the scripts parse in their shell, and the bash one,
 * sourced into a real bash, completes commands, options and their values as a user presses Tab.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

const has = (shell: string) => spawnSync(shell, ['-c', 'exit 0']).status === 0;
const dir = mkdtempSync(join(tmpdir(), 'completion-'));
const scripts: Record<string, string> = {};

beforeAll(async () => {
  for (const shell of ['bash', 'zsh', 'fish']) {
    const result = await runCli(['completion', shell]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toBe('');
    scripts[shell] = join(dir, `defender-alerts.${shell}`);
    writeFileSync(scripts[shell], result.stdout);
  }
});

/** What bash offers for the words typed so far (the last one is being completed; '' after a space). */
function bashCompletes(...words: string[]): string[] {
  const line = ['defender-alerts', ...words];
  const script = [
    `source ${JSON.stringify(scripts['bash'])}`,
    `COMP_WORDS=(${line.map((w) => `'${w}'`).join(' ')})`,
    `COMP_CWORD=${line.length - 1}`,
    '_defender_alerts',
    'printf "%s\\n" "${COMPREPLY[@]}"',
  ].join('\n');
  const result = spawnSync('bash', ['--norc', '--noprofile', '-c', script], { cwd: dir, encoding: 'utf8' });
  expect(result.status, result.stderr).toBe(0);
  expect(result.stderr).toBe('');
  return result.stdout.split('\n').filter(Boolean).sort();
}

describe('bash', () => {
  it('the script parses (bash -n)', () => {
    const result = spawnSync('bash', ['-n', scripts['bash']!], { encoding: 'utf8' });
    expect(result.status, result.stderr).toBe(0);
  });

  it('completes the commands, and an option from its beginning', () => {
    expect(bashCompletes('')).toEqual(expect.arrayContaining(['completion', 'login', 'pull', 'simulate', 'status', 'token']));
    expect(bashCompletes('pull', '--ap')).toEqual(['--api', '--append']);
    expect(bashCompletes('pull', '--api', 'graph', '--sch')).toEqual(['--schema']);
    expect(bashCompletes('status', '--max')).toEqual(['--max-lag']);
  });

  it("completes an option's fixed values", () => {
    expect(bashCompletes('pull', '--api', '')).toEqual(['graph', 'mde', 'siem']);
    expect(bashCompletes('pull', '-f', '')).toEqual(['cef', 'json', 'leef', 'ndjson']);
    expect(bashCompletes('pull', '--cloud', 'gcc')).toEqual(['gcc', 'gcc-high']);
    expect(bashCompletes('token', '--log-level', '')).toEqual(['debug', 'error', 'fatal', 'info', 'silent', 'trace', 'warn']);
    expect(bashCompletes('pull', '--window', '')).toEqual(['auto']);
    expect(bashCompletes('completion', '')).toEqual(['bash', 'fish', 'zsh']);
  });

  it('completes file names after a file option, and nothing after a free value', () => {
    writeFileSync(join(dir, 'alerts.ndjson'), '');
    expect(bashCompletes('pull', '-o', 'alerts')).toEqual(['alerts.ndjson']);
    expect(bashCompletes('pull', '--since', '')).toEqual([]);
  });
});

describe.each(['zsh', 'fish'])('%s', (shell) => {
  it.skipIf(!has(shell))(`the script parses (${shell} -n; skipped where ${shell} is not installed)`, () => {
    const result = spawnSync(shell, ['-n', scripts[shell]!], { encoding: 'utf8' });
    expect(result.status, result.stderr).toBe(0);
    expect(result.stderr).toBe('');
  });
});

describe.skipIf(!has('fish'))('fish (skipped where fish is not installed)', () => {
  /** The words fish offers for `line` (its own `complete -C`), without their descriptions. */
  const fishCompletes = (line: string) => {
    const result = spawnSync('fish', ['--no-config', '-c', `source ${scripts['fish']}; complete -C '${line}'`], { encoding: 'utf8' });
    expect(result.status, result.stderr).toBe(0);
    return result.stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => l.split('\t')[0])
      .sort();
  };

  it('completes commands, options and their values', () => {
    expect(fishCompletes('defender-alerts pul')).toEqual(['pull']);
    expect(fishCompletes('defender-alerts pull --ap')).toEqual(['--api', '--append']);
    expect(fishCompletes('defender-alerts pull --api ')).toEqual(['graph', 'mde', 'siem']);
  });
});
