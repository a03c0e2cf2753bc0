/**
 * The command-line shell: declares commands and flags (from the option table in config/spec.ts),
 * calls the command functions, and is the one place that turns errors into an exit code and a
 * stderr line (`reportError`; on a terminal commander prints its own usage errors, which only get
 * their exit code here). Off a terminal that line is a JSON line like the log's (notice.ts).
 * Command modules are imported lazily so `--help`/`--version` load neither undici, pino nor zod.
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import {
  AUTH_SETTINGS,
  FLEET_SETTINGS,
  LOGIN_SETTINGS,
  LOGOUT_SETTINGS,
  PULL_SETTINGS,
  SIMULATE_SETTINGS,
  STATUS_SETTINGS,
  USER_SIGN_IN_SETTINGS,
  type SettingSpec,
} from './config/spec.js';
import { ExitCode, INTERNAL_MESSAGE, outcomeLine, outcomeOf } from './errors.js';
import type { CommandIo } from './context/command-context.js';
import { writeNotice, type NoticeStream } from './notice.js';
import { createProgress } from './output/progress.js';
import { pauseOnlyAt } from './state/pause.js';

const EXIT_CODES_HELP = `
Exit codes:
  0   success (also when the reader closes the pipe early, e.g. | head)
  1   internal error (a bug: please report it with the printed stack)
  2   usage or configuration error (bad flag, missing tenant, unreadable secret file)
  3   authentication failed (Entra ID rejected the credentials or the sign-in, or the API answered 401)
  4   forbidden (the API answered 403: permissions, tenant state)
  5   the service failed (5xx or 429 after all retries; SIEM API retired or moved)
  6   network failure or timeout (DNS, connect, TLS, proxy, stalled response)
  7   --tenants: some tenants failed, others succeeded (when all fail alike: that failure's code)
  8   status --max-lag: a checkpoint is older than allowed, or there is none (runs that never delivered; a listed tenant never tried)
  65  data error (the answer is not the documented JSON, or alerts failed validation)
  75  temporary: another run holds the state lock`;

const PULL_EXAMPLES = `
Examples:
  # High-severity alerts of the last two hours
  defender-alerts pull --region eu --since 2h | jq '.[] | select(.Severity == "High")'

  # One alert per line, into a file written atomically
  defender-alerts pull --region us --since 15m --format ndjson --output alerts.ndjson

  # cron, every 5 minutes: only what is new since the last run, appended durably
  */5 * * * * defender-alerts pull --env-file /etc/defender-alerts.env --state /var/lib/defender/state.json --format ndjson --output /var/lib/defender/alerts.ndjson --append

  # Every tenant of a file (one app consented in each), 16 at a time, each with its own state
  defender-alerts pull --api graph --tenants tenants.txt --state-dir /var/lib/defender --format ndjson --output /var/lib/defender/alerts.ndjson --append

  # Try it without a tenant: start the simulator, then point pull at the URL it prints
  defender-alerts simulate --http --port 8443
`;

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

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

function addSettings(command: Command, specs: readonly SettingSpec[]): Command {
  for (const spec of specs) {
    const extras = [spec.env ? `env: ${spec.env}` : '', spec.default !== undefined ? `default: ${spec.default}` : '']
      .filter(Boolean)
      .join(', ');
    const option = new Option(`--${spec.flag}${spec.arg ? ` ${spec.arg}` : ''}`, `${spec.description}${extras ? ` (${extras})` : ''}`);
    // Values and defaults are resolved in config/resolve.ts (flag > env > --env-file > default),
    // so commander only records what was typed.
    if (spec.repeatable) option.argParser(collect);
    command.addOption(option);
  }
  return command;
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
    // On a terminal commander printed it already (buildProgram's configureOutput).
    writeNotice(stderr, {
      level: 'error',
      msg: err.message.replace(/^error: /, ''),
      fields: { code: err.code, exitCode: ExitCode.usage, hint: USAGE_HINT },
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
        fields: { code: outcome.code, exitCode, ...(outcome.hint ? { hint: outcome.hint } : {}) },
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
 * they throw to an exit code. Commander's own error output goes to `stderr`, and only on a
 * terminal: anywhere else `reportError` says it as one JSON line. Help goes to stdout as text.
 */
export function buildProgram(io: CommandIo, stderr: NoticeStream = process.stderr): Command {
  const terminal = stderr.isTTY === true;
  const program = new Command('defender-alerts')
    .description('Pull security alerts from Microsoft Defender for Endpoint and write validated alert JSON to stdout.')
    .version(readVersion(), '-V, --version')
    // Set before the commands are added: each copies it.
    .configureOutput({
      writeErr: (text) => void stderr.write(text),
      outputError: (text, write) => {
        if (terminal) write(text);
      },
    })
    .showHelpAfterError(terminal ? `(${USAGE_HINT})` : false)
    .exitOverride()
    .addHelpText('after', EXIT_CODES_HELP);

  addSettings(
    program.command('pull').description('fetch alerts (--api siem, mde or graph) and write them, validated, to stdout or --output'),
    [...AUTH_SETTINGS, ...PULL_SETTINGS, ...FLEET_SETTINGS],
  )
    .addHelpText('after', `${PULL_EXAMPLES}${EXIT_CODES_HELP}`)
    .action(async (opts: Record<string, unknown>) => {
      const { pullCommand } = await import('./commands/pull.js');
      await pullCommand(opts, io);
    });

  addSettings(
    program.command('token').description('print an access token as JSON, for debugging with curl (the only place a token is ever printed)'),
    AUTH_SETTINGS,
  )
    .addHelpText(
      'after',
      `
Example:
  TOKEN=$(defender-alerts token --env-file ./defender.env | jq -r .access_token)
  curl -H "Authorization: Bearer $TOKEN" "https://wdatp-alertexporter-eu.windows.com/api/alerts?limit=1"
${EXIT_CODES_HELP}`,
    )
    .action(async (opts: Record<string, unknown>) => {
      const { tokenCommand } = await import('./commands/token.js');
      await tokenCommand(opts, io);
    });

  addSettings(
    program.command('login').description('sign in as a user (browser, or --device-code) and cache the sign-in for "pull --auth user"'),
    [...USER_SIGN_IN_SETTINGS, ...LOGIN_SETTINGS],
  )
    .addHelpText(
      'after',
      `
The app (--client-id) must be a public client in Entra ID with the redirect URI http://127.0.0.1
(mobile and desktop platform; "Allow public client flows" for --device-code), and the API's
delegated permission. Tokens are cached (mode 0600) in $XDG_CONFIG_HOME/defender-alerts/tokens.json
(~/.config/…; %APPDATA% on Windows; DEFENDER_TOKEN_CACHE overrides) and never printed.

Examples:
  defender-alerts login --tenant contoso.onmicrosoft.com --client-id <id> --api graph
  defender-alerts login --device-code --env-file ./defender.env     # on a machine without a browser
  defender-alerts pull --auth user --api graph --env-file ./defender.env --since 2h
${EXIT_CODES_HELP}`,
    )
    .action(async (opts: Record<string, unknown>) => {
      const { loginCommand } = await import('./commands/login.js');
      await loginCommand(opts, io);
    });

  addSettings(
    program.command('logout').description('remove the cached user sign-in of this tenant, client id and API (--all: every one)'),
    [...USER_SIGN_IN_SETTINGS, ...LOGOUT_SETTINGS],
  )
    .addHelpText('after', EXIT_CODES_HELP)
    .action(async (opts: Record<string, unknown>) => {
      const { logoutCommand } = await import('./commands/logout.js');
      await logoutCommand(opts, io);
    });

  addSettings(
    program
      .command('status')
      .description('report on state files (checkpoint, lag, last run, lock) without the network; --max-lag makes it a health probe'),
    STATUS_SETTINGS,
  )
    .addHelpText(
      'after',
      `
Examples:
  defender-alerts status --state /var/lib/defender-alerts/state.json
  defender-alerts status --state-dir /var/lib/defender-alerts/tenants --json | jq '.[] | select(.lastRun.outcome != "ok")'
  defender-alerts status --state /var/lib/defender-alerts/state.json --max-lag 30m   # exit 8 when stale
${EXIT_CODES_HELP}`,
    )
    .action(async (opts: Record<string, unknown>) => {
      const { statusCommand } = await import('./commands/status.js');
      await statusCommand(opts, io);
    });

  addSettings(
    program
      .command('simulate')
      .description(
        'run a local stand-in for Entra ID and the three alert APIs — siem, mde and graph at the same URL (test credentials, no tenant needed)',
      ),
    SIMULATE_SETTINGS,
  )
    .addHelpText(
      'after',
      `
It prints one JSON line with its URL and test credentials, then serves until Ctrl-C:
  {"url":"https://127.0.0.1:PORT","authorityHost":"…","tenantId":"…","clientId":"…","clientSecret":"…","caCertPath":"…"}

The real services' undocumented behaviours are off unless switched on (--mde-no-next-link,
--mde-unordered, --quota-used, --foreign-next-links, --shared-update-time), so a pipeline can be
tested against each: e.g. a Defender for Endpoint tenant whose quota another client half used,
answering full pages without next links:
  defender-alerts simulate --mde-no-next-link --mde-unordered --quota-used 95

With --tenants n it also serves n more tenants (00000000-0000-4000-8001-000000000001 …), each
with its own alerts and quota, for "pull --tenants"; --tenant-trouble <tenant>=<kind> makes one
fail as a customer tenant without consent (no-consent, missing-service-principal, app-unknown),
without permission (forbidden) or with a failing service (server-error) does.

Example (HTTPS, trusting its certificate):
  defender-alerts simulate --port 8443 &
  NODE_EXTRA_CA_CERTS=<caCertPath> AZURE_TENANT_ID=<tenantId> AZURE_CLIENT_ID=<clientId> \\
    AZURE_CLIENT_SECRET=<clientSecret> defender-alerts pull --base-url https://127.0.0.1:8443 \\
    --authority-host https://127.0.0.1:8443
`,
    )
    .action(async (opts: Record<string, string | boolean | undefined>) => {
      const { simulateCommand } = await import('./commands/simulate.js');
      await simulateCommand(opts, io);
    });

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
