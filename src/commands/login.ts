/**
 * `defender-alerts login`: signs a user in (authorization code + PKCE in a browser, or a device
 * code) and caches the delegated tokens for `pull --auth user`. Tokens are never printed.
 */
import { spawn } from 'node:child_process';
import { signInWithAuthorizationCode } from '../auth/authorization-code.js';
import { signInWithDeviceCode } from '../auth/device-code.js';
import { saveEntry } from '../auth/token-store.js';
import { resourceScope, type UserTokens } from '../auth/user-credential.js';
import { resolveLoginConfig, type AuthConfig, type Env, type Flags } from '../config/resolve.js';
import { buildContext, type CommandIo } from '../context/command-context.js';
import { userTokenCachePath } from '../context/sign-in.js';

export interface LoginDeps {
  /** Where the user is talked to (default: process stderr). */
  stderr?: NodeJS.WritableStream;
  /** Opens a browser; returns whether it tried (default {@link openBrowser}). */
  openBrowser?: (url: URL, env: Env) => boolean;
}

/**
 * Opens `url` in the user's browser when one can be there: macOS and Windows always, elsewhere
 * only with a graphical session (DISPLAY or WAYLAND_DISPLAY), so a server over SSH is not handed
 * a text browser. Fire and forget: a missing opener is never an error, the URL is printed anyway.
 */
export function openBrowser(url: URL, env: Env, platform: NodeJS.Platform = process.platform): boolean {
  const command: [string, string[]] | undefined =
    platform === 'darwin'
      ? ['open', [url.href]]
      : platform === 'win32'
        ? // Not `cmd /c start`: cmd would cut the URL at its first `&`.
          ['rundll32', ['url.dll,FileProtocolHandler', url.href]]
        : env['DISPLAY'] || env['WAYLAND_DISPLAY']
          ? ['xdg-open', [url.href]]
          : undefined;
  if (command === undefined) return false;
  try {
    const child = spawn(command[0], command[1], { detached: true, stdio: 'ignore' });
    child.on('error', () => {});
    child.unref();
    return true;
  } catch {
    return false;
  }
}

export async function loginCommand(flags: Flags, io: CommandIo, deps: LoginDeps = {}): Promise<void> {
  const ctx = await buildContext(flags, io, resolveLoginConfig);
  const { config, log, dispatcher, retry } = ctx;
  const stderr = deps.stderr ?? process.stderr;
  const scope = resourceScope(config.audience);
  const cachePath = userTokenCachePath(ctx.env);
  const common = {
    authorityHost: config.authorityHost,
    tenant: config.tenant,
    clientId: config.clientId,
    scope,
    dispatcher,
    retry,
    timeoutMs: config.timeoutMs,
    log,
    signal: io.signal,
  };
  log.debug({ tenant: config.tenant, clientId: config.clientId, scope, cachePath }, 'signing in as a user');
  let tokens: UserTokens;
  try {
    tokens = config.deviceCode
      ? await signInWithDeviceCode({ ...common, announce: (message) => stderr.write(`${message}\n`) })
      : await signInWithAuthorizationCode({
          ...common,
          redirectPort: config.redirectPort,
          waitMs: config.waitMs,
          announce: (url) => stderr.write(`To sign in, open this URL in a browser:\n\n  ${url.href}\n\n`),
          openBrowser: (url) => {
            if (!config.openBrowser) return;
            const tried = (deps.openBrowser ?? openBrowser)(url, ctx.env);
            log.debug({ tried }, tried ? 'opening a browser' : 'no browser to open here: open the URL yourself');
          },
        });
  } finally {
    await dispatcher.destroy();
  }
  const entry = {
    tenant: config.tenant,
    clientId: config.clientId,
    scope,
    authorityHost: config.authorityHost.href,
    accessToken: tokens.access.token,
    expiresOnMs: tokens.access.expiresOnMs,
    savedAt: io.now().toISOString(),
    ...(tokens.refreshToken === undefined ? {} : { refreshToken: tokens.refreshToken }),
    ...(tokens.account === undefined ? {} : { account: tokens.account }),
  };
  await saveEntry(cachePath, entry);
  if (tokens.refreshToken === undefined) {
    log.warn('Entra ID sent no refresh token (offline_access not granted): the sign-in lasts until the access token expires');
  }
  stderr.write(
    `Signed in${tokens.account ? ` as ${tokens.account}` : ''} (tenant ${config.tenant}, client ${config.clientId}); ` +
      `the sign-in is cached in ${cachePath}. Use it with: ${pullHint(config)}\n`,
  );
}

/**
 * The pull that uses this sign-in: the cache holds one per tenant, client and API audience, so the
 * hint names the API (and a cloud other than the public one) it was made for.
 */
function pullHint(config: Pick<AuthConfig, 'api' | 'cloud'>): string {
  return `defender-alerts pull --api ${config.api}${config.cloud === 'public' ? '' : ` --cloud ${config.cloud}`} --auth user`;
}
