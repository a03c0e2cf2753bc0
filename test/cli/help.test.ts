/**
 * The help as a person reads it: pull's options under headings, the exit codes once (top level,
 * `help exit-codes`), examples on every command that work on Graph's field names, the short flags
 * and `--quiet`.
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { buildProgram, run } from '../../src/cli.js';
import { HELP_GROUPS, OPTION_GROUPS, settingFlags } from '../../src/cli/options.js';
import { AUTH_SETTINGS, FLEET_SETTINGS, LOGIN_SETTINGS, LOGOUT_SETTINGS, PULL_SETTINGS } from '../../src/config/spec.js';
import type { CommandIo } from '../../src/context/command-context.js';
import { ExitCode } from '../../src/errors.js';
import { capture } from '../helpers/capture.js';

function io(): CommandIo & { out: () => string } {
  const out = capture();
  return { stdout: out.stream, stdin: process.stdin, env: {}, signal: new AbortController().signal, now: () => new Date(), out: out.text };
}

const program = buildProgram(io(), capture().stream);

/** A command's help as it prints off a terminal (80 columns), with its examples. */
function helpOf(command: Command): string {
  let text = '';
  command.configureOutput({ ...command.configureOutput(), writeOut: (s) => void (text += s), getOutHelpWidth: () => 80 });
  command.outputHelp();
  return text;
}

const commands = program.commands.filter((c) => c.name() !== 'exit-codes');
const pull = program.commands.find((c) => c.name() === 'pull')!;
const headings = (text: string) => text.split('\n').filter((line) => /^\S.*:$/.test(line));

describe('pull --help', () => {
  const text = helpOf(pull);

  it('lists its options under the groups, in their order, and none ungrouped', () => {
    expect(headings(text)).toEqual([...Object.values(HELP_GROUPS), 'Examples:']);
    expect(text).not.toMatch(/^Options:$/m);
  });

  it('gives every setting of pull, token, login and logout a group', () => {
    const specs = [...AUTH_SETTINGS, ...PULL_SETTINGS, ...FLEET_SETTINGS, ...LOGIN_SETTINGS, ...LOGOUT_SETTINGS];
    for (const spec of specs) expect(OPTION_GROUPS, spec.flag).toHaveProperty([spec.flag]);
  });

  it('stays within a bound a person can scan: 120 lines at 80 columns (it was 193 before the groups)', () => {
    // Each setting's description in config/spec.ts is one short line; the rest of what there is
    // to say is its `details`, which docs/reference.md shows and the help does not.
    expect(text.trimEnd().split('\n').length).toBeLessThanOrEqual(120);
  });
});

describe('exit codes', () => {
  const codes = [...new Set(Object.values(ExitCode))];

  it('are listed once, at the top level: every ExitCode, in order', () => {
    const rows = helpOf(program)
      .split('\n')
      .flatMap((line) => /^ {2}(\d+) {2,}\S/.exec(line)?.[1] ?? []);
    expect(rows.map(Number)).toEqual([...codes].sort((a, b) => a - b));
  });

  it('are not repeated by a subcommand, which points to "help exit-codes" in one line', () => {
    for (const command of commands) {
      const text = helpOf(command);
      expect(text, command.name()).not.toMatch(/^ {2}65 /m);
      expect(text.match(/defender-alerts help exit-codes/g), command.name()).toHaveLength(1);
    }
  });

  it('"help exit-codes" prints the table alone, exit 0', async () => {
    const x = io();
    const writes: string[] = [];
    const stdoutWrite = process.stdout.write.bind(process.stdout);
    process.stdout.write = (chunk: string) => writes.push(chunk) > 0;
    try {
      expect(await run(['node', 'defender-alerts', 'help', 'exit-codes'], x, capture().stream)).toBe(0);
    } finally {
      process.stdout.write = stdoutWrite;
    }
    const text = writes.join('');
    expect(text.split('\n')[0]).toBe('Exit codes:');
    expect(text).toMatch(/^ {2}75 {2}temporary/m);
    expect(text).not.toContain('Usage:');
  });
});

describe('examples', () => {
  const graphFields = Object.keys(
    JSON.parse(readFileSync(new URL('../fixtures/graph-alerts_v2-alert.json', import.meta.url), 'utf8')) as object,
  );

  it('every command has some, and pull, token and login use --api graph', () => {
    for (const command of [program, ...commands]) expect(helpOf(command), command.name()).toMatch(/^Examples?( \(.*\))?:$/m);
    for (const name of ['pull', 'token', 'login'])
      expect(helpOf(program.commands.find((c) => c.name() === name)!)).toContain('--api graph');
  });

  it("jq filters over Graph's own alerts name Graph's fields", () => {
    const lines = [program, ...commands]
      .flatMap((c) => helpOf(c).split('\n'))
      .filter((line) => /defender-alerts pull .*--api graph/.test(line) && !line.includes('--schema siem') && line.includes('| jq'));
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) {
      const filter = line.slice(line.indexOf('| jq'));
      const fields = [...filter.matchAll(/\.([a-zA-Z]\w*)/g)].map((m) => m[1]);
      expect(fields.length, line).toBeGreaterThan(0);
      for (const field of fields) expect(graphFields, `${field} in: ${line}`).toContain(field);
    }
  });
});

describe('short flags and --quiet', () => {
  it('-o, -f, -s, -u, -n are --output, --format, --since, --until, --limit; no command has a short flag twice', () => {
    const longOf = (short: string) => pull.options.find((o) => o.short === short)?.long;
    expect(['-o', '-f', '-s', '-u', '-n', '-q'].map(longOf)).toEqual(['--output', '--format', '--since', '--until', '--limit', '--quiet']);
    for (const command of [program, ...program.commands]) {
      const shorts = [...command.options.map((o) => o.short), '-h'].filter(Boolean);
      expect(new Set(shorts).size, command.name()).toBe(shorts.length);
    }
  });

  it('--quiet is --log-level warn for the command, and not "quiet"', () => {
    expect(settingFlags({ quiet: true, since: '2h' })).toEqual({ logLevel: 'warn', since: '2h' });
    expect(settingFlags({ logLevel: 'debug' })).toEqual({ logLevel: 'debug' });
  });

  it('--quiet with --log-level is a usage error: one line, exit 2', async () => {
    const err = capture();
    expect(await run(['node', 'defender-alerts', 'pull', '-q', '--log-level', 'debug'], io(), err.stream)).toBe(2);
    const lines = err.text().trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({
      exitCode: 2,
      msg: expect.stringContaining("'-q, --quiet' cannot be used with option '--log-level") as string,
    });
  });

  it("commander's own errors stay one line with exit 2: an unknown short flag, a missing argument", async () => {
    for (const args of [['pull', '-x'], ['completion'], ['completion', 'tcsh']]) {
      const err = capture();
      expect(await run(['node', 'defender-alerts', ...args], io(), err.stream), args.join(' ')).toBe(2);
      expect(err.text().trimEnd().split('\n'), args.join(' ')).toHaveLength(1);
    }
  });
});

it('simulate --help says what --tenant-trouble does in one sentence', () => {
  const text = helpOf(program.commands.find((c) => c.name() === 'simulate')!).replace(/\s+/g, ' ');
  expect(text).toContain('without permission (forbidden), or with a failing service (server-error).');
  expect(text).not.toContain('(server-error) does');
});
