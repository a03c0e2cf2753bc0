/**
 * The error hierarchy of defender-alerts.
 *
 * Every failure a user can cause or meet is an {@link AppError}: a stable machine `code`,
 * the documented process `exitCode`, a one-line `message` for a person (what failed and
 * what to do), and the underlying `cause`. Only `reportError` in src/cli.ts turns these into
 * stderr lines and exit codes (src/main.ts sets the process's exit code from its result); anything
 * that is not an AppError is a bug (exit 1, stack printed).
 *
 * Exit codes are part of the interface (docs/reference.md "Exit codes", docs/design.md).
 */

export const ExitCode = {
  ok: 0,
  internal: 1,
  usage: 2,
  auth: 3,
  forbidden: 4,
  service: 5,
  network: 6,
  /** A many-tenant pull where some tenants failed and others succeeded (their alerts and state stand). */
  someTenantsFailed: 7,
  /** `status --max-lag`: a checkpoint is older than allowed (or there is none yet). */
  stale: 8,
  data: 65,
  locked: 75,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/**
 * The codes of the failures the tool names itself: the `code` of a JSON stderr line, of a tenant's
 * summary and of a state file's last error. Stable: scripts and alerts may match on them
 * (docs/reference.md lists what each means).
 */
export const ERROR_CODES = [
  // configuration and files
  'USAGE',
  'STATE_CORRUPT',
  'STATE_UNUSABLE',
  'STATE_LOCKED',
  'TOKEN_CACHE_CORRUPT',
  // signing in
  'TOKEN_HTTP_ERROR',
  'TOKEN_MALFORMED',
  'NOT_SIGNED_IN',
  'STATE_MISMATCH',
  'SIGN_IN_DECLINED',
  'SIGN_IN_EXPIRED',
  'SIGN_IN_NO_CODE',
  'SIGN_IN_TIMEOUT',
  'DEVICE_CODE_EXPIRED',
  'DEVICE_CODE_MALFORMED',
  // the API's answers
  'API_401',
  'API_403',
  'HTTP_STATUS',
  'THROTTLED',
  'PARTIAL_ANSWER',
  'BAD_NEXT_LINK',
  'FILTER_IGNORED',
  'PAGING_STUCK',
  'PAGING_UNPROVEN',
  // the network
  'TRANSPORT',
  'ENOTFOUND',
  // the data
  'NOT_AN_ARRAY',
  'MALFORMED',
  'TRUNCATED',
  'TRAILING_DATA',
  'TOO_LARGE',
  'INVALID_ALERTS',
  // the run
  'TENANTS_FAILED',
  'STALE',
  'OUTPUT_CLOSED',
  'INTERNAL',
] as const;

/**
 * Every code a failure may carry: one the tool names ({@link ERROR_CODES}), or one made from what
 * the other side said, in a family of its own: the HTTP status of an API that has no meaning of its
 * own for it (`API_404`), Entra ID's AADSTS number (`AADSTS7000215`), or, when Entra ID sent no
 * number, its OAuth error name (`OAUTH_INVALID_CLIENT`) — from the browser's redirect during
 * `login`, `SIGN_IN_<name>` (`SIGN_IN_ACCESS_DENIED`).
 */
export type ErrorCode =
  (typeof ERROR_CODES)[number] | `API_${number}` | `AADSTS${number}` | `OAUTH_${Uppercase<string>}` | `SIGN_IN_${Uppercase<string>}`;

/** An outside name (an OAuth error such as `invalid_client`) as the tail of a code: `INVALID_CLIENT`. */
export function codeName(name: string): Uppercase<string> {
  return name.toUpperCase().replace(/[^A-Z0-9]+/g, '_') as Uppercase<string>;
}

export interface AppErrorOptions {
  cause?: unknown;
  /** A second line of advice, printed after the message (e.g. how to fix an AADSTS error). */
  hint?: string | undefined;
  /**
   * Asking again may well succeed: a broken answer from a gateway, a partial answer of a federated
   * service. The retry loop retries exactly the errors so marked (besides HTTP and transport failures).
   */
  retryable?: boolean | undefined;
  /** Every problem, one line each, when the message lists several (a configuration's). */
  problems?: readonly string[] | undefined;
}

export abstract class AppError extends Error {
  abstract readonly exitCode: ExitCode;
  readonly code: ErrorCode;
  readonly hint: string | undefined;
  readonly retryable: boolean;
  readonly problems: readonly string[] | undefined;

  constructor(code: ErrorCode, message: string, options: AppErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.hint = options.hint;
    this.retryable = options.retryable ?? false;
    this.problems = options.problems;
  }
}

/** Bad flag, missing or invalid configuration, unreadable input file. Exit 2. */
export class UsageError extends AppError {
  readonly exitCode = ExitCode.usage;
  constructor(message: string, options?: AppErrorOptions) {
    super('USAGE', message, options);
  }
}

/** Entra ID rejected the credentials, or the API answered 401. Exit 3. */
export class AuthError extends AppError {
  readonly exitCode = ExitCode.auth;
}

/** The API answered 403 (permissions, tenant state). Exit 4. */
export class ForbiddenError extends AppError {
  readonly exitCode = ExitCode.forbidden;
}

/** The service failed: 5xx or 429 after all retries, or an answer we cannot use (redirect, 404). Exit 5. */
export class ServiceError extends AppError {
  readonly exitCode = ExitCode.service;
}

/** Network failure or timeout: DNS, connect, TLS, proxy, stalled response. Exit 6. */
export class NetworkError extends AppError {
  readonly exitCode = ExitCode.network;
}

/** The answer is not the documented JSON, or alerts failed validation. Exit 65. */
export class DataError extends AppError {
  readonly exitCode = ExitCode.data;
}

/** Temporary: another run holds the state lock. Exit 75. */
export class LockedError extends AppError {
  readonly exitCode = ExitCode.locked;
}

/**
 * Tenants of a many-tenant pull failed. Exit 7 when others succeeded; when every tenant failed
 * alike, that failure's own code (one wrong secret for all looks like a single pull's failure).
 */
export class TenantsFailedError extends AppError {
  constructor(
    readonly exitCode: ExitCode,
    message: string,
    options?: AppErrorOptions,
  ) {
    super('TENANTS_FAILED', message, options);
  }
}

/** `status --max-lag`: some state's checkpoint is older than allowed. Exit 8. */
export class StaleError extends AppError {
  readonly exitCode = ExitCode.stale;
}

/**
 * The reader of our output went away (`| head`). Not a failure: the run ends quietly with
 * exit 0, as `yes | head` does.
 */
export class OutputClosedError extends AppError {
  readonly exitCode = ExitCode.ok;
  constructor(options?: AppErrorOptions) {
    super('OUTPUT_CLOSED', 'the reader closed the output', options);
  }
}

/**
 * What a failure means to the user, decided in one place: an AppError keeps its own code, exit
 * code, message and hint; anything else is a bug (exit 1) whose stack is worth printing. Every
 * path that reports a failure (the final line, a tenant's summary, a state's run record, a
 * `--follow` cycle, the metrics file) reads it from here. Pure.
 */
export interface Outcome {
  exitCode: ExitCode;
  code: ErrorCode;
  message: string;
  hint?: string | undefined;
  /** Every problem of a configuration, one line each (the message lists them too). */
  problems?: readonly string[] | undefined;
  /** Set for a bug only: what to put in a report. */
  stack?: string | undefined;
}

export const INTERNAL_MESSAGE = 'internal error (a bug — please report it with this output)';

export function outcomeOf(err: unknown): Outcome {
  if (err instanceof AppError) {
    return { exitCode: err.exitCode, code: err.code, message: err.message, hint: err.hint, problems: err.problems };
  }
  const stack = err instanceof Error ? (err.stack ?? err.message) : String(err);
  return { exitCode: ExitCode.internal, code: 'INTERNAL', message: err instanceof Error ? err.message : String(err), stack };
}

/**
 * The message and its hint, as a person reads a failure: `<message> — <hint>` on one line; a
 * message of several lines (a list of problems) has the hint on a line of its own after it.
 */
export function outcomeLine(outcome: Outcome): string {
  if (!outcome.hint) return outcome.message;
  return outcome.message.includes('\n') ? `${outcome.message}\n${outcome.hint}` : `${outcome.message} — ${outcome.hint}`;
}
