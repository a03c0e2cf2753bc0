/**
 * What a file-system error code means, in words a user can act on — one table for every file the
 * tool reads or creates (config and secret files, certificates, state, lock, output).
 */

/** Codes that mean "the path is wrong for us" (the user's to fix), with what they mean when reading. */
const READING: Readonly<Record<string, string>> = {
  ENOENT: 'no such file',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EISDIR: 'it is a directory',
  ENOTDIR: 'a part of the path is not a directory',
  ELOOP: 'too many symbolic links',
  ENAMETOOLONG: 'the name is too long',
  EROFS: 'the file system is read-only',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'the disk quota is used up',
};

/** Where a file is being created, a missing path means its directory. */
const CREATING: Readonly<Record<string, string>> = { ...READING, ENOENT: 'its directory does not exist' };

/** The errno code of an error, if it has one. */
export function errnoCode(err: unknown): string | undefined {
  const code = (err as NodeJS.ErrnoException | null | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** Codes a write to a pipe or stream fails with once its reader went away (`| head`): not our failure. */
const READER_GONE = new Set(['EPIPE', 'ERR_STREAM_DESTROYED']);

/** Whether `err` says the reader of a pipe or stream went away. */
export function readerGone(err: unknown): boolean {
  const code = errnoCode(err);
  return code !== undefined && READER_GONE.has(code);
}

/**
 * The words for `err`'s code when `doing` something to a file, or undefined for a code that is not
 * a problem of the path (an I/O error, a bug): the caller lets those through as they are.
 */
export function fileProblem(err: unknown, doing: 'reading' | 'creating' = 'reading'): string | undefined {
  const code = errnoCode(err);
  return code === undefined ? undefined : (doing === 'creating' ? CREATING : READING)[code];
}

/** {@link fileProblem}, falling back to the code itself (or the error) when it has no words. */
export function describeFileError(err: unknown, doing: 'reading' | 'creating' = 'reading'): string {
  return fileProblem(err, doing) ?? errnoCode(err) ?? String(err);
}
