/**
 * What every signed-in command needs, built once from flags and environment: the validated
 * configuration, the logger, the HTTP dispatcher and the credential.
 */
import type { Dispatcher } from 'undici';
import { AppCredential } from '../auth/app-credential.js';
import { CachedCredential } from '../auth/token-cache.js';
import { layerEnvironment } from '../config/env-file.js';
import { readCaCertificates, readEnvFile, readSecretFile } from '../config/files.js';
import { exposedFileWarning } from '../util/small-file.js';
import type { AuthConfig, Env, Flags, ResolveInput } from '../config/resolve.js';
import { createDispatcher } from '../http/dispatcher.js';
import type { RetryPolicy } from '../http/retry.js';
import { RequestStats } from '../http/request-stats.js';
import { ThrottleBudget } from '../http/throttle.js';
import type { Progress } from '../output/progress.js';
import type { Pause } from '../state/pause.js';
import { createLogger, type Logger } from '../log.js';
import { registerSecret } from '../secrets.js';
import { createClientAssertion } from '../auth/client-assertion.js';
import { readCertificateFile } from '../auth/certificate-file.js';
import { homedir } from 'node:os';
import { tokenCachePath } from '../auth/token-store.js';
import { UserCredential, resourceScope } from '../auth/user-credential.js';

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

/**
 * Backoff shape (the count comes from --max-retries): 0.5 s doubling to 30 s; a failure's
 * Retry-After is honoured up to 2 min. Throttled answers are waited out from one budget for the
 * whole run (--max-throttle-wait).
 */
export function retryPolicy(maxRetries: number, maxThrottleWaitMs: number): RetryPolicy {
  return {
    maxRetries,
    baseDelayMs: 500,
    maxDelayMs: 30_000,
    maxRetryAfterMs: 120_000,
    throttle: new ThrottleBudget(maxThrottleWaitMs),
    stats: new RequestStats(),
  };
}

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
export async function loadEnvironment(flags: Flags, io: Pick<CommandIo, 'env'>): Promise<LoadedEnvironment> {
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

/**
 * Reads --env-file and the secret file, resolves the configuration with `resolve`, and builds the
 * logger, dispatcher and credential from it.
 */
export async function buildContext<C extends AuthConfig>(
  flags: Flags,
  io: CommandIo,
  resolve: (input: ResolveInput) => C,
): Promise<CommandContext<C>> {
  const loaded = await loadEnvironment(flags, io);
  const { env } = loaded;
  const secretPath = flags['clientSecretFile'];
  const secretFile = typeof secretPath === 'string' ? await readSecretFile(secretPath, io.stdin) : undefined;
  const config = resolve({ flags, env, secretFromFile: secretFile?.secret, now: io.now() });

  const log = createLogger(config.logLevel);
  if (secretFile?.warning) log.warn(secretFile.warning);
  await warnAboutConfiguration(flags, loaded, log);
  const dispatcher = await runDispatcher(loaded, config.timeoutMs);
  const { retry, credential } = await signIn(config, env, log, dispatcher);
  return { config, log, dispatcher, retry, credential, env };
}

/**
 * The credential of one configuration, with its own retry policy and throttle budget: what a
 * tenant of a many-tenant run gets for itself.
 */
export async function signIn(
  config: AuthConfig,
  env: Env,
  log: Logger,
  dispatcher: Dispatcher,
): Promise<{ retry: RetryPolicy; credential: CachedCredential }> {
  const proof = config.credential.kind === 'user' ? undefined : await credentialProof(config.credential, config, env, log);
  const retry = retryPolicy(config.maxRetries, config.maxThrottleWaitMs);
  const credential = new CachedCredential(
    proof === undefined
      ? new UserCredential({
          cachePath: userTokenCachePath(env),
          authorityHost: config.authorityHost,
          tenant: config.tenant,
          clientId: config.clientId,
          scope: resourceScope(config.audience),
          dispatcher,
          retry,
          timeoutMs: config.timeoutMs,
          log,
        })
      : new AppCredential({
          authorityHost: config.authorityHost,
          tenant: config.tenant,
          clientId: config.clientId,
          proof,
          audience: config.audience,
          dispatcher,
          retry,
          timeoutMs: config.timeoutMs,
          log,
        }),
  );
  return { retry, credential };
}

/** The user sign-in cache of this user (DEFENDER_TOKEN_CACHE overrides; see token-store.ts). */
export function userTokenCachePath(env: Env): string {
  return tokenCachePath(env, process.platform, env['HOME'] || homedir());
}

/**
 * The secret, or for a certificate a function that signs a fresh client assertion for each token
 * request (each carries its own jti and a 10-minute expiry). The key and its password are
 * registered with the logger so no log line can ever show them.
 */
async function credentialProof(
  credential: Exclude<AuthConfig['credential'], { kind: 'user' }>,
  config: AuthConfig,
  env: Env,
  log: Logger,
): Promise<string | { assertion: (tokenUrl: string) => string }> {
  if (credential.kind === 'secret') return credential.secret;
  const password = env['AZURE_CLIENT_CERTIFICATE_PASSWORD'] || undefined;
  if (password !== undefined) registerSecret(password);
  const cert = await readCertificateFile(credential.path, password);
  if (cert.warning) log.warn(cert.warning);
  registerSecret(cert.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());
  log.debug(
    { certificate: credential.path, x5tS256: cert.x5tS256, notAfter: cert.notAfter.toISOString() },
    'signing in with a certificate',
  );
  return {
    // The credential hides each assertion while its request runs (auth/app-credential.ts).
    assertion: (tokenUrl) => createClientAssertion({ clientId: config.clientId, tokenUrl, cert }),
  };
}
