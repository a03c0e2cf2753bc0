/**
 * Input files: the env file (via DEFENDER_ENV_FILE — Node itself intercepts a
 * `--env-file <missing>` argument and exits 9, see README) and the secret file, when missing,
 * unreadable, a directory, empty, huge or endless: exit 2 with one line naming the file. And
 * the warning for a secret file that group or others can read.
 */
import { execFileSync } from 'node:child_process';
import { chmod, mkdir, mkdtemp, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { beforeAll, describe, expect, it } from 'vitest';
import { readEnvFile, readSecretFile } from '../../src/config/files.js';
import { UsageError } from '../../src/errors.js';
import { runCli } from '../helpers/cli.js';
import { failureLine, HOSTILE_CREDENTIALS, hostileEnv } from '../helpers/hostile-server.js';

let dir: string;
const paths: Record<string, string> = {};
const noStdin = (): Readable => Readable.from([]);
const isRoot = process.getuid?.() === 0;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'defender-alerts-inputs-'));
  paths['missing'] = join(dir, 'missing');
  paths['directory'] = join(dir, 'a-directory');
  await mkdir(paths['directory']);
  paths['empty'] = join(dir, 'empty');
  await writeFile(paths['empty'], '', { mode: 0o600 });
  paths['huge'] = join(dir, 'huge');
  await writeFile(paths['huge'], '', { mode: 0o600 });
  await truncate(paths['huge'], 2 * 1024 * 1024 * 1024); // sparse: 2 GiB that cost no disk
  paths['not a directory'] = join(dir, 'empty', 'child');
  paths['unreadable'] = join(dir, 'unreadable');
  await writeFile(paths['unreadable'], 'AZURE_CLIENT_SECRET=x\n', { mode: 0o000 });
  paths['endless device'] = '/dev/zero';
});

/** What each bad file must be called in the message. */
const REASONS: Record<string, RegExp> = {
  missing: /no such file/,
  directory: /it is a directory/,
  'not a directory': /a part of the path is not a directory/,
  huge: /it is 2147483648 bytes; expected a small text file/,
  unreadable: /permission denied/,
  'endless device': /larger than 1 MiB; expected a small text file/,
};

describe('readEnvFile / readSecretFile refuse bad files with a UsageError naming them', () => {
  for (const [kind, reason] of Object.entries(REASONS)) {
    it.skipIf(kind === 'unreadable' && isRoot)(`${kind}`, async () => {
      const path = paths[kind]!;
      for (const [what, read] of [
        ['--env-file', () => readEnvFile(path)],
        ['--client-secret-file', () => readSecretFile(path, noStdin())],
      ] as const) {
        const err = await read().then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(err, `${what} ${kind}`).toBeInstanceOf(UsageError);
        expect((err as Error).message).toContain(`${what} "${path}"`);
        expect((err as Error).message).toMatch(reason);
      }
    });
  }

  it('an empty secret file (or one holding only a newline) is refused; an empty env file is just empty', async () => {
    await expect(readSecretFile(paths['empty']!, noStdin())).rejects.toThrow(/is empty; put the secret's value in it/);
    const newline = join(dir, 'newline');
    await writeFile(newline, '\n', { mode: 0o600 });
    await expect(readSecretFile(newline, noStdin())).rejects.toThrow(/is empty/);
    await expect(readEnvFile(paths['empty']!)).resolves.toEqual({});
  });

  it('an endless stdin is cut at 1 MiB', async () => {
    const endless = Readable.from(
      (function* () {
        for (;;) yield Buffer.alloc(64 * 1024, 0x61);
      })(),
    );
    await expect(readSecretFile('-', endless)).rejects.toThrow(/larger than 1 MiB/);
  });

  it('a named pipe (as from `--client-secret-file <(pass show …)`) is read like a file', async () => {
    const fifo = join(dir, 'fifo');
    execFileSync('mkfifo', ['-m', '600', fifo]);
    const writer = import('node:fs/promises').then(async ({ writeFile: write }) => write(fifo, 'piped-secret\n'));
    await expect(readSecretFile(fifo, noStdin())).resolves.toMatchObject({ secret: 'piped-secret' });
    await writer;
  });
});

describe('the secret-file permission warning', () => {
  it.each([
    [0o600, false],
    [0o400, false],
    [0o640, true],
    [0o604, true],
    [0o644, true],
    [0o660, true],
  ])('mode %s: warning %s', async (mode, warns) => {
    const file = join(dir, `secret-${mode.toString(8)}`);
    await writeFile(file, 'value\n');
    await chmod(file, mode);
    const { secret, warning } = await readSecretFile(file, noStdin());
    expect(secret).toBe('value');
    if (warns)
      expect(warning).toBe(`the secret file "${file}" is readable by other users (mode ${mode.toString(8)}); run: chmod 600 "${file}"`);
    else expect(warning).toBeUndefined();
  });
});

describe('end to end: exit 2 and one line, before any request', () => {
  const server = { url: 'http://127.0.0.1:9' };
  it.each(['missing', 'directory', 'huge', 'endless device'])('DEFENDER_ENV_FILE naming a %s file', async (kind) => {
    const result = await runCli(['pull'], { env: hostileEnv(server, { DEFENDER_ENV_FILE: paths[kind] }) });
    expect(result.code).toBe(2);
    expect(failureLine(result.stderr)).toMatch(REASONS[kind]!);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
  });

  it.each(['missing', 'directory', 'huge', 'endless device'])('--client-secret-file naming a %s file', async (kind) => {
    const result = await runCli(['pull', '--client-secret-file', paths[kind]!], {
      env: hostileEnv(server, { AZURE_CLIENT_SECRET: undefined }),
    });
    expect(result.code).toBe(2);
    expect(failureLine(result.stderr)).toMatch(REASONS[kind]!);
    expect(result.stderr).not.toContain(HOSTILE_CREDENTIALS.clientSecret);
  });

  it('an empty secret file', async () => {
    const result = await runCli(['pull', '--client-secret-file', paths['empty']!], {
      env: hostileEnv(server, { AZURE_CLIENT_SECRET: undefined }),
    });
    expect(result.code).toBe(2);
    expect(failureLine(result.stderr)).toContain(`--client-secret-file "${paths['empty']}" is empty`);
  });
});
