/**
 * The one way this tool replaces a file a user owns (the --output file, the state file, the user
 * token cache): write a hidden temp file beside it, created exclusively with its final mode, fsync
 * it, rename it over the target, fsync the directory. A reader, a crash or a power cut sees the old
 * file or the new one, never half of either.
 */
import { randomBytes } from 'node:crypto';
import { unlinkSync } from 'node:fs';
import { open, rename, unlink, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { undoOnForcedExit } from './forced-exit.js';
import { syncDirectory } from './sync-directory.js';

/** A replacement being written: `handle` is the temp file's; `commit` puts it in place. */
export interface AtomicFile {
  readonly handle: FileHandle;
  readonly tempPath: string;
  /** Writes all of `data` (a short write is continued). */
  write(data: Buffer | string): Promise<void>;
  /**
   * fsync, close, rename over the target, fsync the directory. `beforeRename` runs once the data is
   * on disk and before it takes the target's place (the crash tests stop there). An fsync of data a
   * caller already flushed costs next to nothing, so commit never trusts that it was.
   */
  commit(beforeRename?: () => Promise<void>): Promise<void>;
  /** Closes and removes the temp file; the target stays as it was. Never throws for a missing temp. */
  abort(): Promise<void>;
}

/**
 * Starts replacing `path`. The temp file is created with `mode` (and chmod-ed to it exactly, past
 * the umask), so its contents are never readable by others, not even for an instant.
 */
export async function beginAtomicWrite(path: string, mode: number): Promise<AtomicFile> {
  const directory = dirname(path);
  const tempPath = join(directory, `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await open(tempPath, 'wx', mode);
  try {
    await handle.chmod(mode);
  } catch (err) {
    await handle.close().catch(() => {});
    await unlink(tempPath).catch(() => {});
    throw err;
  }
  // Not left behind by a process that must end before commit or abort (main.ts).
  const withdraw = undoOnForcedExit(() => unlinkSync(tempPath));
  let closed = false;
  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    await handle.close();
  };
  return {
    handle,
    tempPath,
    async write(data) {
      const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
      let offset = 0;
      while (offset < bytes.length) {
        const { bytesWritten } = await handle.write(bytes, offset, bytes.length - offset);
        offset += bytesWritten;
      }
    },
    async commit(beforeRename) {
      await handle.sync();
      await close();
      await beforeRename?.();
      await rename(tempPath, path);
      withdraw();
      await syncDirectory(directory);
    },
    async abort() {
      await close().catch(() => {});
      try {
        await unlink(tempPath).catch((err: unknown) => {
          if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
        });
      } finally {
        // Tried once: a service must not keep a step for every temp file it failed to remove.
        withdraw();
      }
    },
  };
}

/** Replaces `path` with `data` atomically; `beforeRename` as for {@link AtomicFile.commit}. */
export async function writeFileAtomic(path: string, data: string, mode: number, beforeRename?: () => Promise<void>): Promise<void> {
  const file = await beginAtomicWrite(path, mode);
  try {
    await file.write(data);
    await file.commit(beforeRename);
  } catch (err) {
    await file.abort().catch(() => {});
    throw err;
  }
}
