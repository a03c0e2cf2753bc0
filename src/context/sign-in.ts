/**
 * A configuration's credential and retry policy: the secret, certificate or user sign-in it names,
 * with its own throttle budget and request counters.
 */
import { homedir } from 'node:os';
import type { Dispatcher } from 'undici';
import { AppCredential } from '../auth/app-credential.js';
import { readCertificateFile } from '../auth/certificate-file.js';
import { createClientAssertion } from '../auth/client-assertion.js';
import { CachedCredential } from '../auth/token-cache.js';
import { tokenCachePath } from '../auth/token-store.js';
import { UserCredential, resourceScope } from '../auth/user-credential.js';
import type { AuthConfig, Env } from '../config/resolve.js';
import { RequestStats } from '../http/request-stats.js';
import type { RetryPolicy } from '../http/retry.js';
import { ThrottleBudget } from '../http/throttle.js';
import type { Logger } from '../log.js';
import { registerSecret } from '../secrets.js';

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
