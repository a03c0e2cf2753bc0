/**
 * `defender-alerts logout`: removes the cached user sign-in (or, with --all, the whole token
 * cache file). It forgets the tokens on this machine; it does not revoke them at Entra ID.
 */
import { resolveLoginConfig, type Flags } from '../config/resolve.js';
import { loadEnvironment } from '../context/environment.js';
import { removeEntries } from '../auth/token-store.js';
import { resourceScope } from '../auth/user-credential.js';
import { buildContext, type CommandIo } from '../context/command-context.js';
import { userTokenCachePath } from '../context/sign-in.js';

export async function logoutCommand(flags: Flags, io: CommandIo, stderr: NodeJS.WritableStream = process.stderr): Promise<void> {
  if (flags['all'] === true) {
    // --all needs no tenant or client id: only where the cache is.
    const { env } = await loadEnvironment(flags, io);
    const path = userTokenCachePath(env);
    const removed = await removeEntries(path, { all: true });
    stderr.write(
      removed > 0
        ? `Signed out: removed ${path} (${removed} cached sign-in${removed === 1 ? '' : 's'})\n`
        : `No cached sign-ins (${path} does not exist)\n`,
    );
    return;
  }
  const ctx = await buildContext(flags, io, resolveLoginConfig);
  await ctx.dispatcher.destroy();
  const { config } = ctx;
  const path = userTokenCachePath(ctx.env);
  const scope = resourceScope(config.audience);
  const removed = await removeEntries(path, { tenant: config.tenant, clientId: config.clientId, scope });
  stderr.write(
    removed > 0
      ? `Signed out: removed the cached sign-in for client ${config.clientId} in tenant ${config.tenant} (${scope})\n`
      : `No cached sign-in for client ${config.clientId} in tenant ${config.tenant} (${scope}); nothing to remove\n`,
  );
}
