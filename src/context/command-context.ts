/**
 * What every signed-in command needs, built once from flags and environment: the validated
 * configuration, the logger, the HTTP dispatcher and the credential.
 */
import type { Dispatcher } from 'undici';
import type { CachedCredential } from '../auth/token-cache.js';
import { readSecretFile } from '../config/files.js';
import type { AuthConfig, Env, Flags, ResolveInput } from '../config/resolve.js';
import type { RetryPolicy } from '../http/retry.js';
import { createLogger, type Logger, type LogLevel } from '../log.js';
import type { Progress } from '../output/progress.js';
import type { Pause } from '../state/pause.js';
import { loadEnvironment, runDispatcher, warnAboutConfiguration, type LoadedEnvironment } from './environment.js';
import { signIn } from './sign-in.js';

export interface CommandIo {
  stdout: NodeJS.WritableStream;
  stdin: NodeJS.ReadableStream;
  env: Env;
  signal: AbortSignal;
  now: () => Date;
  /** The crash-safety tests' pause points (state/pause.ts); absent in a real run. */
  pause?: Pause | undefined;
  /** A progress line for a run by hand, when stderr is a terminal (output/progress.ts); absent otherwise. */
  progressLine?: (() => Progress) | undefined;
  /** Listens for SIGHUP (logrotate's "reopen your files"); returns the way to stop listening. */
  onHangup?: ((listener: () => void) => () => void) | undefined;
}

export interface CommandContext<C extends AuthConfig> {
  config: C;
  log: Logger;
  dispatcher: Dispatcher;
  retry: RetryPolicy;
  credential: CachedCredential;
  /** The environment with --env-file under it (what the configuration was resolved from). */
  env: Env;
}

/** What a command's own step makes of the loaded environment (its configuration, or a fleet's plan). */
export interface Planned<T> {
  value: T;
  logLevel: LogLevel;
  timeoutMs: number;
  /** Found while reading the configuration's files: logged once the logger exists. */
  warnings: readonly string[];
}

/** A command set up before anyone signs in: its plan, the logger and the one dispatcher. */
export interface SetUp<T> {
  value: T;
  log: Logger;
  dispatcher: Dispatcher;
  /** The environment with --env-file under it (what the configuration was resolved from). */
  env: Env;
}

/**
 * The steps every command that reaches the network takes, in order: read --env-file, let `plan`
 * resolve the configuration from it, make the logger, warn about the configuration, build the
 * dispatcher. `pull` plans one configuration; `pull --tenants` plans a whole tenants file.
 */
export async function setUp<T>(flags: Flags, io: CommandIo, plan: (loaded: LoadedEnvironment) => Promise<Planned<T>>): Promise<SetUp<T>> {
  const loaded = await loadEnvironment(flags, io);
  const planned = await plan(loaded);
  const log = createLogger(planned.logLevel);
  for (const warning of planned.warnings) log.warn(warning);
  await warnAboutConfiguration(flags, loaded, log);
  const dispatcher = await runDispatcher(loaded, planned.timeoutMs);
  return { value: planned.value, log, dispatcher, env: loaded.env };
}

/**
 * Reads --env-file and the secret file, resolves the configuration with `resolve`, and builds the
 * logger, dispatcher and credential from it.
 */
export async function buildContext<C extends AuthConfig>(
  flags: Flags,
  io: CommandIo,
  resolve: (input: ResolveInput) => C,
): Promise<CommandContext<C>> {
  const {
    value: config,
    log,
    dispatcher,
    env,
  } = await setUp(flags, io, async ({ env }) => {
    const secretPath = flags['clientSecretFile'];
    const secretFile = typeof secretPath === 'string' ? await readSecretFile(secretPath, io.stdin) : undefined;
    const resolved = resolve({ flags, env, secretFromFile: secretFile?.secret, now: io.now() });
    return {
      value: resolved,
      logLevel: resolved.logLevel,
      timeoutMs: resolved.timeoutMs,
      warnings: [...(secretFile?.warning ? [secretFile.warning] : []), ...resolved.warnings],
    };
  });
  try {
    const { retry, credential } = await signIn(config, env, log, dispatcher);
    return { config, log, dispatcher, retry, credential, env };
  } catch (err) {
    await dispatcher.destroy();
    throw err;
  }
}
