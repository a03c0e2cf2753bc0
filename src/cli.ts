/**
 * The command-line shell: declares commands and flags (from the option table in config/spec.ts),
 * calls the command functions, and is the one place that turns errors into an exit code and a
 * stderr line (`reportError`, commander's usage errors included, in the same words). Off a
 * terminal that line is a JSON line like the log's (notice.ts).
 * Command modules are imported lazily so `--help`/`--version` load neither undici, pino nor zod.
 */
import { readFileSync } from 'node:fs';
import { Argument, Command, CommanderError } from 'commander';
import {
  AUTH_SETTINGS,
  FLEET_SETTINGS,
  LOGIN_SETTINGS,
  LOGOUT_SETTINGS,
  PULL_SETTINGS,
  SIMULATE_SETTINGS,
  STATUS_SETTINGS,
  USER_SIGN_IN_SETTINGS,
} from './config/spec.js';
import { SHELLS, type Shell } from './cli/shells.js';
import { EXAMPLES, EXIT_CODES_TEXT, HELP_LAYOUT } from './cli/help.js';
import { addSettings, settingFlags } from './cli/options.js';
import { ExitCode, INTERNAL_MESSAGE, outcomeLine, outcomeOf } from './errors.js';
import type { CommandIo } from './context/command-context.js';
import { writeNotice, type NoticeStream } from './notice.js';
import { createProgress } from './output/progress.js';
import { pauseOnlyAt } from './state/pause.js';

/** The package's version: package.json is two levels up from dist/src/cli.js, one from src/cli.ts (tests). */
function readVersion(): string {
  for (const path of ['../../package.json', '../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(path, import.meta.url), 'utf8')) as { name?: string; version: string };
      if (pkg.name === 'defender-alerts') return pkg.version;
    } catch {
      // the other layout
    }
  }
  return 'unknown';
}

/** Defaults for the real process; tests pass their own. */
export function processIo(signal: AbortSignal): CommandIo {
  return {
    stdout: process.stdout,
    stdin: process.stdin,
    env: process.env,
    signal,
    now: () => new Date(),
    // For the project's crash-safety tests only (test/e2e/state.test.ts): stop at a named point.
    pause: pauseOnlyAt(process.env['DEFENDER_ALERTS_TEST_PAUSE'], process.stderr),
    // Only on a terminal: never on a pipe or in a log file.
    progressLine: process.stderr.isTTY ? () => createProgress(process.stderr) : undefined,
    // Only a --follow service listens: a one-off run keeps SIGHUP's default (a closed terminal ends it).
    onHangup: (listener) => {
      process.on('SIGHUP', listener);
      return () => process.off('SIGHUP', listener);
    },
  };
}

const USAGE_HINT = 'run with --help for usage';

/**
 * Prints an error the way users see every failure and returns its exit code. On a terminal one
 * line, `defender-alerts: <message> — <hint>` (a bug: also its stack); anywhere else one JSON line
 * with `code`, `exitCode`, `hint` (a bug: `err` with its stack), as the log's lines are.
 */
export function reportError(err: unknown, stderr: NoticeStream): number {
  if (err instanceof CommanderError) {
    if (err.exitCode === 0) return ExitCode.ok;
    // Commander prints nothing itself (buildProgram's configureOutput): its errors are said here,
    // in the tool's own voice, as every other problem is. Its own code says which rule failed.
    const msg = err.message.replace(/^error: /, '');
    writeNotice(stderr, {
      level: 'error',
      msg,
      fields: { code: 'USAGE', reason: err.code, exitCode: ExitCode.usage, hint: USAGE_HINT },
      human: `defender-alerts: ${msg} — ${USAGE_HINT}`,
    });
    return ExitCode.usage;
  }
  const outcome = outcomeOf(err);
  const { exitCode, stack } = outcome;
  if (stack === undefined) {
    if (exitCode !== ExitCode.ok) {
      writeNotice(stderr, {
        level: 'error',
        msg: outcome.message,
        fields: {
          code: outcome.code,
          exitCode,
          ...(outcome.hint ? { hint: outcome.hint } : {}),
          ...(outcome.problems ? { problems: outcome.problems } : {}),
        },
        human: `defender-alerts: ${outcomeLine(outcome)}`,
      });
    }
    return exitCode;
  }
  writeNotice(stderr, {
    level: 'fatal',
    msg: INTERNAL_MESSAGE,
    fields: {
      exitCode,
      // pino's shape of an error (its standard `err` serializer).
      err: err instanceof Error ? { type: err.name, message: err.message, stack } : { message: stack },
    },
    human: `defender-alerts: ${INTERNAL_MESSAGE}:\n${stack}`,
  });
  return exitCode;
}

/**
 * Builds the program. Its actions are async: `run` awaits them through `parseAsync` and maps what
 * they throw to an exit code. Commander prints no error of its own: `reportError` says it, as one
 * line on a terminal and one JSON line anywhere else. Help goes to stdout as text.
 */
export function buildProgram(io: CommandIo, stderr: NoticeStream = process.stderr): Command {
  const program = new Command('defender-alerts')
    .description('Pull security alerts from Microsoft Defender for Endpoint and write validated alert JSON to stdout.')
    .version(readVersion(), '-V, --version')
    // Set before the commands are added: each copies it.
    .configureOutput({
      writeErr: (text) => void stderr.write(text),
      // reportError says it, in the same words on a terminal as every other problem.
      outputError: () => {},
    })
    .configureHelp(HELP_LAYOUT)
    .exitOverride()
    .addHelpText('after', EXAMPLES.program);

  addSettings(
    program.command('pull').description('fetch alerts (--api siem, mde or graph) and write them, validated, to stdout or --output'),
    [...AUTH_SETTINGS, ...PULL_SETTINGS, ...FLEET_SETTINGS],
    'grouped',
  )
    .addHelpText('after', EXAMPLES.pull)
    .action(async (opts: Record<string, unknown>) => {
      const { pullCommand } = await import('./commands/pull.js');
      await pullCommand(settingFlags(opts), io);
    });

  addSettings(
    program.command('token').description('print an access token as JSON, for debugging with curl (the only place a token is ever printed)'),
    AUTH_SETTINGS,
    'grouped',
  )
    .addHelpText('after', EXAMPLES.token)
    .action(async (opts: Record<string, unknown>) => {
      const { tokenCommand } = await import('./commands/token.js');
      await tokenCommand(settingFlags(opts), io);
    });

  addSettings(
    program.command('login').description('sign in as a user (browser, or --device-code) and cache the sign-in for "pull --auth user"'),
    [...USER_SIGN_IN_SETTINGS, ...LOGIN_SETTINGS],
    'grouped',
  )
    .addHelpText('after', EXAMPLES.login)
    .action(async (opts: Record<string, unknown>) => {
      const { loginCommand } = await import('./commands/login.js');
      await loginCommand(settingFlags(opts), io);
    });

  addSettings(
    program.command('logout').description('remove the cached user sign-in of this tenant, client id and API (--all: every one)'),
    [...USER_SIGN_IN_SETTINGS, ...LOGOUT_SETTINGS],
    'grouped',
  )
    .addHelpText('after', EXAMPLES.logout)
    .action(async (opts: Record<string, unknown>) => {
      const { logoutCommand } = await import('./commands/logout.js');
      await logoutCommand(settingFlags(opts), io);
    });

  addSettings(
    program
      .command('status')
      .description('report on state files (checkpoint, lag, last run, lock) without the network; --max-lag makes it a health probe'),
    STATUS_SETTINGS,
    'flat',
  )
    .addHelpText('after', EXAMPLES.status)
    .action(async (opts: Record<string, unknown>) => {
      const { statusCommand } = await import('./commands/status.js');
      await statusCommand(settingFlags(opts), io);
    });

  addSettings(
    program
      .command('simulate')
      .description(
        'run a local stand-in for Entra ID and the three alert APIs — siem, mde and graph at the same URL (test credentials, no tenant needed)',
      ),
    SIMULATE_SETTINGS,
    'flat',
  )
    .addHelpText('after', EXAMPLES.simulate)
    .action(async (opts: Record<string, string | boolean | undefined>) => {
      const { simulateCommand } = await import('./commands/simulate.js');
      await simulateCommand(opts, io);
    });

  program
    .command('completion')
    .description('print a completion script for bash, zsh or fish (commands, options and their values)')
    .addArgument(new Argument('<shell>', 'the shell to complete in').choices(SHELLS))
    .addHelpText('after', EXAMPLES.completion)
    .action(async (shell: Shell) => {
      const { completionScript } = await import('./cli/completion.js');
      io.stdout.write(completionScript(program, shell));
    });

  // `defender-alerts help exit-codes`: commander's help command shows this command's help, which
  // is the table alone. Hidden: the top-level help already lists the codes.
  program
    .command('exit-codes', { hidden: true })
    .description('list the exit codes')
    .configureHelp({ formatHelp: () => EXIT_CODES_TEXT })
    .action(() => void io.stdout.write(EXIT_CODES_TEXT));

  return program;
}

/** Runs the CLI with `argv` (as process.argv) and returns the exit code. */
export async function run(argv: string[], io: CommandIo, stderr: NoticeStream = process.stderr): Promise<number> {
  const program = buildProgram(io, stderr);
  try {
    if (argv.length <= 2) {
      if (stderr.isTTY === true) program.outputHelp({ error: true });
      else {
        const commands = program.commands.map((c) => c.name()).join(', ');
        const hint = `${USAGE_HINT} (commands: ${commands})`;
        writeNotice(stderr, { level: 'error', msg: 'no command given', fields: { code: 'USAGE', exitCode: ExitCode.usage, hint } });
      }
      return ExitCode.usage;
    }
    await program.parseAsync(argv);
    return ExitCode.ok;
  } catch (err) {
    // Stopped by Ctrl-C/SIGTERM: whatever broke after that is the stop itself, not a bug.
    if (io.signal.aborted) return ExitCode.internal;
    return reportError(err, stderr);
  }
}
