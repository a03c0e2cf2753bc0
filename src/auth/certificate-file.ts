/**
 * Reads `--certificate` (AZURE_CLIENT_CERTIFICATE_PATH): a PEM file with the app's private key and
 * certificate. The file checks follow src/config/files.ts (missing, directory, huge → UsageError
 * naming the file); the parsing is src/auth/client-assertion.ts's. Nothing here prints the key.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { UsageError } from '../errors.js';
import { loadCertificate, type LoadedCertificate } from './client-assertion.js';

// A key plus a certificate chain is a few KiB; a huge file is a wrong path (a log, a disk image).
const MAX_CERTIFICATE_FILE_BYTES = 1024 * 1024; // 1 MiB

/** A loaded certificate credential, plus a warning when its file is readable by other users. */
export interface LoadedCertificateFile extends LoadedCertificate {
  /** Set when the file is readable by group or others: the caller logs it as a warning. */
  warning?: string;
}

function describeFsError(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'ENOENT':
      return 'no such file';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'it is a directory';
    case 'ENOTDIR':
      return 'a part of the path is not a directory';
    case 'ELOOP':
      return 'too many symbolic links';
    case 'ENAMETOOLONG':
      return 'the name is too long';
    default:
      return code ?? String(err);
  }
}

/**
 * Reads and loads a PEM certificate credential. `password` decrypts an encrypted key
 * (AZURE_CLIENT_CERTIFICATE_PASSWORD). Every failure is a UsageError that names the file.
 */
export async function readCertificateFile(path: string, password?: string, now: Date = new Date()): Promise<LoadedCertificateFile> {
  const what = `--certificate "${path}"`;
  let handle: FileHandle | undefined;
  let text: string;
  let mode: number;
  try {
    handle = await open(path, 'r');
    const info = await handle.stat();
    if (info.isDirectory()) throw Object.assign(new Error('directory'), { code: 'EISDIR' });
    if (info.isFile() && info.size > MAX_CERTIFICATE_FILE_BYTES) {
      throw new UsageError(`cannot use ${what}: it is ${info.size} bytes; expected a small PEM file`);
    }
    mode = info.mode;
    // Read at most one byte past the limit whatever stat said: a device or a pipe reports size 0
    // and may never end (the same guard as src/config/files.ts, issue #6).
    const buffer = Buffer.alloc(MAX_CERTIFICATE_FILE_BYTES + 1);
    let filled = 0;
    while (filled < buffer.length) {
      const { bytesRead } = await handle.read(buffer, filled, buffer.length - filled, null);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    if (filled > MAX_CERTIFICATE_FILE_BYTES) {
      throw new UsageError(`cannot use ${what}: it is larger than 1 MiB; expected a small PEM file`);
    }
    text = buffer.subarray(0, filled).toString('utf8');
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new UsageError(`cannot read ${what}: ${describeFsError(err)}`, { cause: err });
  } finally {
    await handle?.close();
  }

  let loaded: LoadedCertificate;
  try {
    loaded = loadCertificate(text, password, now);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    throw new UsageError(`cannot use ${what}: ${err.message}`, { cause: err.cause, hint: err.hint });
  }

  const result: LoadedCertificateFile = { ...loaded };
  // The file holds a private key: like a secret file, it should be readable by its owner alone.
  if (process.platform !== 'win32' && (mode & 0o077) !== 0) {
    result.warning = `the certificate file "${path}" holds a private key and is readable by other users (mode ${(mode & 0o777).toString(8)}); run: chmod 600 "${path}"`;
  }
  return result;
}
