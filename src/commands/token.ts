/**
 * `defender-alerts token`: prints an access token for debugging with curl — the only place a
 * token may ever be printed.
 */
import { resolveAuthConfig } from '../config/resolve.js';
import type { Flags } from '../config/resolve.js';
import { buildContext, type CommandIo } from '../context/command-context.js';

export async function tokenCommand(flags: Flags, io: CommandIo): Promise<void> {
  const ctx = await buildContext(flags, io, (input) => resolveAuthConfig(input));
  try {
    const token = await ctx.credential.getToken(io.signal);
    const out = {
      token_type: token.tokenType,
      expires_on: String(Math.floor(token.expiresOnMs / 1000)),
      access_token: token.token,
    };
    io.stdout.write(`${JSON.stringify(out)}\n`);
  } finally {
    // destroy, not close: a request abandoned mid-answer (a refused page, a closed pipe) must not
    // keep the process waiting for a body nobody reads.
    await ctx.dispatcher.destroy();
  }
}
