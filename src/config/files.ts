/**
 * The files configuration comes from: `--env-file` (and the NODE_EXTRA_CA_CERTS it names),
 * `--client-secret-file` and `--tenants`. Each failure is a UsageError naming the file and the fix;
 * nothing here prints the secret.
 */
import { X509Certificate } from 'node:crypto';
import { pemBlocks } from '../auth/client-assertion.js';
import { UsageError } from '../errors.js';
import { exposedWarning, MAX_CONFIG_FILE_BYTES, readSmallFile, readSmallFileWithMode } from '../util/small-file.js';
import { parseEnvFile } from './env-file.js';
import { checkNames } from './env-names.js';
import { listing } from './problems.js';

/**
 * Reads `--env-file`: its lines checked (config/env-file.ts) and its names too (config/env-names.ts).
 * Every problem of the file is in one UsageError, by line number; the names it holds that are
 * ignored but worth a word are added to `warnings`, for the caller to log.
 */
export async function readEnvFile(path: string, warnings: string[] = []): Promise<Record<string, string>> {
  const where = `--env-file "${path}"`;
  const file = parseEnvFile(await readSmallFile(path, '--env-file'));
  const names = checkNames(file.entries);
  const problems = [...file.problems, ...names.problems].sort((a, b) => a.line - b.line);
  if (problems.length > 0) {
    const lines = problems.map((p) => `line ${p.line}: ${p.message}`);
    const [only] = lines;
    throw new UsageError(lines.length === 1 ? `${where} ${only}` : listing(`${where} (${lines.length} problems)`, lines), {
      problems: lines,
    });
  }
  warnings.push(...names.warnings.map((w) => `${where} line ${w.line}: ${w.message}`));
  return file.values;
}

// A CA bundle: the whole Mozilla set is some 220 KB.
const MAX_CA_FILE_BYTES = 4 * 1024 * 1024; // 4 MiB

/**
 * Reads the certificates of a NODE_EXTRA_CA_CERTS set in `--env-file` (Node reads the variable at
 * start-up only, so it never saw this one): every `CERTIFICATE` block, each checked to parse.
 *
 * @throws UsageError naming the file when it cannot be read, holds no PEM certificate or a broken one.
 */
export async function readCaCertificates(path: string, envFilePath: string): Promise<string[]> {
  const what = `NODE_EXTRA_CA_CERTS "${path}"`;
  const hint = `NODE_EXTRA_CA_CERTS in --env-file "${envFilePath}" must name a PEM file of CA certificates (-----BEGIN CERTIFICATE-----)`;
  let text: string;
  try {
    text = await readSmallFile(path, 'NODE_EXTRA_CA_CERTS', MAX_CA_FILE_BYTES);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    throw new UsageError(err.message, { cause: err.cause, hint });
  }
  const certificates = pemBlocks(text).filter((b) => b.label === 'CERTIFICATE');
  if (certificates.length === 0) {
    throw new UsageError(`${what} holds no PEM certificate`, {
      hint: `${hint}; convert a DER (binary) one with: openssl x509 -inform der -in ca.cer -out ca.pem`,
    });
  }
  for (const [i, block] of certificates.entries()) {
    try {
      new X509Certificate(block.text);
    } catch (cause) {
      throw new UsageError(`certificate ${i + 1} of ${what} is not a valid certificate`, { cause, hint });
    }
  }
  return certificates.map((b) => b.text);
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
