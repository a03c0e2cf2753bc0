/**
 * The cache of delegated (user) sign-ins: access and refresh tokens per tenant + client id +
 * scope, in one private JSON file under the user's config directory. Written atomically with mode
 * 0600 (util/atomic-file.ts), so a crash or a concurrent reader sees the old file or the new one,
 * and no other local user can read a refresh token.
 */
import { mkdir, readFile, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { DataError, UsageError } from '../errors.js';
import { writeFileAtomic } from '../util/atomic-file.js';

const CacheEntry = z.object({
  tenant: z.string(),
  clientId: z.string(),
  /** The resource scope (`<resource>/.default`), without offline_access/openid. */
  scope: z.string(),
  authorityHost: z.string(),
  accessToken: z.string(),
  /** Expiry of the access token, Unix epoch milliseconds. */
  expiresOnMs: z.number(),
  refreshToken: z.string().optional(),
  /** Who signed in, from the id_token's claims: for display only, never trusted. */
  account: z.string().optional(),
  savedAt: z.string(),
});
export type CacheEntry = z.infer<typeof CacheEntry>;

const CacheFile = z.object({
  version: z.literal(1),
  entries: z.record(z.string(), CacheEntry),
});
export type CacheFile = z.infer<typeof CacheFile>;

/** The key of one sign-in: tenant and client id compare case-insensitively (GUIDs, domains). */
export function cacheKey(tenant: string, clientId: string, scope: string): string {
  return `${tenant.toLowerCase()}|${clientId.toLowerCase()}|${scope}`;
}

/**
 * Where the cache lives: `DEFENDER_TOKEN_CACHE`, else `%APPDATA%\defender-alerts\tokens.json` on
 * Windows, else `$XDG_CONFIG_HOME/defender-alerts/tokens.json` (XDG Base Directory spec; a relative
 * value is ignored, as the spec says), else `~/.config/defender-alerts/tokens.json`.
 */
export function tokenCachePath(env: Readonly<Record<string, string | undefined>>, platform: NodeJS.Platform, home: string): string {
  const explicit = env['DEFENDER_TOKEN_CACHE'];
  if (explicit) return explicit;
  const appData = env['APPDATA'];
  if (platform === 'win32' && appData) return join(appData, 'defender-alerts', 'tokens.json');
  const xdg = env['XDG_CONFIG_HOME'];
  const base = xdg && xdg.startsWith('/') ? xdg : join(home, '.config');
  return join(base, 'defender-alerts', 'tokens.json');
}

/** Reads the cache; an empty one when the file does not exist yet. */
export async function readTokenCache(path: string): Promise<CacheFile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { version: 1, entries: {} };
    throw new UsageError(`cannot read the token cache ${path}: ${String(code ?? err)}`, {
      cause: err,
      hint: "check DEFENDER_TOKEN_CACHE and the file's permissions",
    });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  const parsed = CacheFile.safeParse(json);
  if (!parsed.success) {
    throw new DataError('TOKEN_CACHE_CORRUPT', `the token cache ${path} is not a defender-alerts token cache`, {
      hint: 'run defender-alerts logout --all (or delete the file) and sign in again with defender-alerts login',
    });
  }
  return parsed.data;
}

/** Writes the whole cache atomically with mode 0600, creating its directory (0700) if needed. */
export async function writeTokenCache(path: string, cache: CacheFile): Promise<void> {
  const directory = dirname(path);
  await mkdir(directory, { recursive: true, mode: 0o700 });
  // The mode is set at creation, so the tokens are never readable by others, not even for an instant.
  await writeFileAtomic(path, `${JSON.stringify(cache, null, 2)}\n`, 0o600);
}

/** Saves (adds or replaces) one entry, keeping the others. */
export async function saveEntry(path: string, entry: CacheEntry): Promise<void> {
  const cache = await readTokenCache(path);
  cache.entries[cacheKey(entry.tenant, entry.clientId, entry.scope)] = entry;
  await writeTokenCache(path, cache);
}

/** The entry for a sign-in, if cached. */
export async function findEntry(path: string, tenant: string, clientId: string, scope: string): Promise<CacheEntry | undefined> {
  const cache = await readTokenCache(path);
  return cache.entries[cacheKey(tenant, clientId, scope)];
}

/**
 * Removes one entry, or the whole file with `all`; the file goes when its last entry does.
 * Returns how many sign-ins were removed.
 */
export async function removeEntries(
  path: string,
  which: { all: true } | { tenant: string; clientId: string; scope: string },
): Promise<number> {
  if ('all' in which) {
    // A corrupt file is still removable with --all: that is the advice its error gives.
    const count = await readTokenCache(path).then(
      (cache) => Object.keys(cache.entries).length,
      () => 1,
    );
    await unlink(path).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
    });
    return count;
  }
  const cache = await readTokenCache(path);
  const key = cacheKey(which.tenant, which.clientId, which.scope);
  if (!(key in cache.entries)) return 0;
  delete cache.entries[key];
  if (Object.keys(cache.entries).length === 0) await unlink(path).catch(() => {});
  else await writeTokenCache(path, cache);
  return 1;
}
