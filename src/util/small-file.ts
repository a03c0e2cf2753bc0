/**
 * Small local files a user names (env, secret and certificate files): read whole but bounded, with
 * failures as one UsageError naming the file and the fix, and the "readable by others" warning.
 */
import { open, stat, type FileHandle } from 'node:fs/promises';
import { UsageError } from '../errors.js';
import { describeFileError } from './errno.js';

// A secret or env file is a few hundred bytes; a huge one is a wrong path (a log, a disk image).
export const MAX_CONFIG_FILE_BYTES = 1024 * 1024; // 1 MiB

/**
 * Reads a small configuration file (at most `maxBytes`, 1 MiB unless said), or throws a UsageError naming `what` and the
 * path: missing, unreadable, a directory, too large — including devices and pipes that never end.
 */
export async function readSmallFile(path: string, what: string, maxBytes = MAX_CONFIG_FILE_BYTES): Promise<string> {
  return (await readSmallFileWithMode(path, what, maxBytes)).text;
}

/** {@link readSmallFile}, with the file's mode (for the "readable by others" warning). */
export async function readSmallFileWithMode(
  path: string,
  what: string,
  maxBytes = MAX_CONFIG_FILE_BYTES,
): Promise<{ text: string; mode: number }> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(path, 'r');
    const info = await handle.stat();
    if (info.isDirectory()) throw Object.assign(new Error('directory'), { code: 'EISDIR' });
    if (info.isFile() && info.size > maxBytes) {
      throw new UsageError(`cannot use ${what} "${path}": it is ${info.size} bytes; expected a small text file`);
    }
    // Read at most one byte past the limit whatever stat said: a device (/dev/zero) or a pipe
    // reports size 0 and may never end, and readFile would then fill memory.
    const buffer = Buffer.alloc(maxBytes + 1);
    let filled = 0;
    while (filled < buffer.length) {
      const { bytesRead } = await handle.read(buffer, filled, buffer.length - filled, null);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    if (filled > maxBytes) {
      throw new UsageError(`cannot use ${what} "${path}": it is larger than ${maxBytes / 1024 / 1024} MiB; expected a small text file`);
    }
    return { text: buffer.subarray(0, filled).toString('utf8'), mode: info.mode };
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new UsageError(`cannot read ${what} "${path}": ${describeFileError(err)}`, { cause: err });
  } finally {
    await handle?.close();
  }
}

/**
 * The "chmod 600" warning for a file holding a secret that group or others may read, or undefined
 * when it is private (or on Windows, where the mode says nothing). `subject` starts the sentence:
 * `the secret file "…"` → `… is readable by other users (mode 644); run: chmod 600 "…"`.
 */
export function exposedWarning(path: string, mode: number, subject: string): string | undefined {
  if (process.platform === 'win32' || (mode & 0o077) === 0) return undefined;
  return `${subject} is readable by other users (mode ${(mode & 0o777).toString(8)}); run: chmod 600 "${path}"`;
}

/** {@link exposedWarning} for a file known only by its path. */
export async function exposedFileWarning(path: string, subject: string): Promise<string | undefined> {
  return exposedWarning(path, (await stat(path)).mode, subject);
}
