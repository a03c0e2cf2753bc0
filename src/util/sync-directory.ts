import { open, type FileHandle } from 'node:fs/promises';

/** Makes a rename durable (POSIX: a rename is only on disk once its directory is synced). */
export async function syncDirectory(directory: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(directory, 'r');
    await handle.sync();
  } catch (error) {
    // Some platforms and file systems cannot open or fsync a directory (Windows, some FUSE).
    const code = (error as NodeJS.ErrnoException).code;
    if (!['EISDIR', 'EINVAL', 'EPERM', 'EACCES', 'ENOTSUP', 'EBADF'].includes(code ?? '')) throw error;
  } finally {
    await handle?.close();
  }
}
