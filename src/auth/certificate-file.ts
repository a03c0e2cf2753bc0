/**
 * Reads `--certificate` (AZURE_CLIENT_CERTIFICATE_PATH): a PEM file with the app's private key and
 * certificate. The file checks follow src/config/files.ts (missing, directory, huge → UsageError
 * naming the file); the parsing is src/auth/client-assertion.ts's. Nothing here prints the key.
 */
import { exposedWarning, readSmallFileWithMode } from '../util/small-file.js';
import { UsageError } from '../errors.js';
import { loadCertificate, type LoadedCertificate } from './client-assertion.js';

/** A loaded certificate credential, plus a warning when its file is readable by other users. */
export interface LoadedCertificateFile extends LoadedCertificate {
  /** Set when the file is readable by group or others: the caller logs it as a warning. */
  warning?: string;
}

/**
 * Reads and loads a PEM certificate credential. `password` decrypts an encrypted key
 * (AZURE_CLIENT_CERTIFICATE_PASSWORD). Every failure is a UsageError that names the file.
 */
export async function readCertificateFile(path: string, password?: string, now: Date = new Date()): Promise<LoadedCertificateFile> {
  const what = `--certificate "${path}"`;
  const { text, mode } = await readSmallFileWithMode(path, '--certificate');

  let loaded: LoadedCertificate;
  try {
    loaded = loadCertificate(text, password, now);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    throw new UsageError(`cannot use ${what}: ${err.message}`, { cause: err.cause, hint: err.hint });
  }

  // The file holds a private key: like a secret file, it should be readable by its owner alone.
  const warning = exposedWarning(path, mode, `the certificate file "${path}" holds a private key and`);
  return warning === undefined ? { ...loaded } : { ...loaded, warning };
}
