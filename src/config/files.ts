/**
 * The files configuration comes from: `--env-file`, `--client-secret-file` and `--tenants`. Each failure is a
 * UsageError naming the file and the fix; nothing here prints the secret.
 */
import { parseEnv } from 'node:util';
import { UsageError } from '../errors.js';
import { exposedWarning, MAX_CONFIG_FILE_BYTES, readSmallFile, readSmallFileWithMode } from '../util/small-file.js';

export async function readEnvFile(path: string): Promise<Record<string, string>> {
  const text = await readSmallFile(path, '--env-file');
  return parseEnv(text) as Record<string, string>;
}

// Ten thousand tenants with settings of their own fit in a few MiB; more is a wrong path.
const MAX_TENANTS_FILE_BYTES = 16 * 1024 * 1024; // 16 MiB

/** Reads `--tenants` (its content; parsing is config/tenants.ts). */
export async function readTenantsText(path: string): Promise<string> {
  return readSmallFile(path, '--tenants', MAX_TENANTS_FILE_BYTES);
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    size += buf.length;
    if (size > MAX_CONFIG_FILE_BYTES) throw new UsageError('the client secret on stdin is larger than 1 MiB');
    chunks.push(buf);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export interface SecretFile {
  secret: string;
  /** Set when the file is readable by group or others: the caller logs it as a warning. */
  warning?: string;
}

/** Reads `--client-secret-file` (`-` = stdin); one trailing newline (LF or CRLF) is trimmed. */
export async function readSecretFile(path: string, stdin: NodeJS.ReadableStream): Promise<SecretFile> {
  const { text, mode } =
    path === '-' ? { text: await readAll(stdin), mode: undefined } : await readSmallFileWithMode(path, '--client-secret-file');
  const secret = text.replace(/\r?\n$/, '');
  if (secret.length === 0) {
    throw new UsageError(`--client-secret-file ${path === '-' ? '(stdin)' : `"${path}"`} is empty; put the secret's value in it`);
  }
  const warning = mode === undefined ? undefined : exposedWarning(path, mode, `the secret file "${path}"`);
  return warning === undefined ? { secret } : { secret, warning };
}
