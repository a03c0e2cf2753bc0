/**
 * The environment a command runs in: the process environment over `--env-file`, the one HTTP
 * dispatcher built from it, and the warnings about where secrets were found.
 */
import type { Dispatcher } from 'undici';
import { layerEnvironment } from '../config/env-file.js';
import { readCaCertificates, readEnvFile } from '../config/files.js';
import type { Env, Flags } from '../config/resolve.js';
import { createDispatcher } from '../http/dispatcher.js';
import type { Logger } from '../log.js';
import { exposedFileWarning } from '../util/small-file.js';

/** The environment with --env-file layered under it, and what that file held. */
export interface LoadedEnvironment {
  env: Env;
  envFilePath: string | undefined;
  envFile: Readonly<Record<string, string>>;
  /** What the env file holds that is ignored but worth a word (config/env-names.ts), to be logged. */
  warnings: readonly string[];
  /** NODE_EXTRA_CA_CERTS when only the env file sets it: Node never saw it, so the dispatcher loads it. */
  extraCaFile: string | undefined;
}

/** Reads --env-file (or DEFENDER_ENV_FILE) and layers the process environment over it. */
export async function loadEnvironment(flags: Flags, io: { env: Env }): Promise<LoadedEnvironment> {
  // DEFENDER_ENV_FILE names the file without a flag: Node.js itself inspects a `--env-file`
  // argument before our code runs and exits 9 when that file is missing (nodejs/node#54232).
  const envFilePath = typeof flags['envFile'] === 'string' ? flags['envFile'] : io.env['DEFENDER_ENV_FILE'] || undefined;
  const warnings: string[] = [];
  const envFile = envFilePath !== undefined ? await readEnvFile(envFilePath, warnings) : {};
  // One in the process environment Node has applied at start-up (and it wins over the file's).
  const extraCaFile = io.env['NODE_EXTRA_CA_CERTS'] === undefined ? envFile['NODE_EXTRA_CA_CERTS'] || undefined : undefined;
  // Precedence: flag > environment > --env-file > default; the environment is layered over the file.
  return { env: layerEnvironment(envFile, io.env), envFilePath, envFile, warnings, extraCaFile };
}

/**
 * The run's one dispatcher: proxies from the environment or --env-file, and the CA certificates
 * of a NODE_EXTRA_CA_CERTS only the env file sets.
 */
export async function runDispatcher(loaded: LoadedEnvironment, timeoutMs: number): Promise<Dispatcher> {
  const { extraCaFile, envFilePath } = loaded;
  const extraCa = extraCaFile !== undefined && envFilePath !== undefined ? await readCaCertificates(extraCaFile, envFilePath) : undefined;
  return createDispatcher({ timeoutMs, env: loaded.env, extraCa });
}

/**
 * Warns about the configuration as loaded: names in the env file that are ignored, and secrets
 * where other local users may read them (the env file, the command line).
 */
export async function warnAboutConfiguration(flags: Flags, loaded: LoadedEnvironment, log: Logger): Promise<void> {
  const { envFilePath, envFile } = loaded;
  for (const warning of loaded.warnings) log.warn(warning);
  if (envFilePath !== undefined && envFile['AZURE_CLIENT_SECRET']) {
    const warning = await exposedFileWarning(envFilePath, `the env file "${envFilePath}" holds AZURE_CLIENT_SECRET and`);
    if (warning) log.warn(warning);
  }
  if (typeof flags['clientSecret'] === 'string') {
    log.warn(
      '--client-secret puts the secret on the command line, where other local users can see it; prefer AZURE_CLIENT_SECRET or --client-secret-file',
    );
  }
}
