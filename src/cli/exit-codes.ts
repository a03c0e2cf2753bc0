/**
 * The exit-code table of the help (`defender-alerts --help`, `defender-alerts help exit-codes`).
 * The numbers are src/errors.ts's ExitCode; only their meaning for a person is said here, keyed
 * by the same names, so a new code cannot be added without a line in the help. Pure.
 */
import { ExitCode } from '../errors.js';

const MEANINGS: Record<keyof typeof ExitCode, string> = {
  ok: 'success (also when the reader closes the pipe early, e.g. | head)',
  internal: 'internal error (a bug: please report it with the printed stack)',
  usage: 'usage or configuration error (bad flag, missing tenant, unreadable secret file)',
  auth: 'authentication failed (Entra ID rejected the credentials or the sign-in, or the API answered 401)',
  forbidden: 'forbidden (the API answered 403: permissions, tenant state)',
  service: 'the service failed (5xx or 429 after all retries; SIEM API retired or moved)',
  network: 'network failure or timeout (DNS, connect, TLS, proxy, stalled response)',
  someTenantsFailed: "--tenants: some tenants failed, others succeeded (when all fail alike: that failure's code)",
  stale: 'status --max-lag: a checkpoint is older than allowed, or there is none (runs that never delivered; a listed tenant never tried)',
  data: 'data error (the answer is not the documented JSON, or alerts failed validation)',
  locked: 'temporary: another run holds the state lock',
};

/** What a subcommand's help says instead of repeating the table. */
export const EXIT_CODES_POINTER = 'Exit codes: defender-alerts help exit-codes (docs/reference.md "Exit codes").';

/** The table, one code a line in ascending order, under an `Exit codes:` heading. */
export function exitCodeTable(): string {
  const rows = (Object.keys(MEANINGS) as (keyof typeof ExitCode)[])
    .map((name) => [ExitCode[name], MEANINGS[name]] as const)
    .sort(([a], [b]) => a - b)
    .map(([code, meaning]) => `  ${String(code).padEnd(4)}${meaning}`);
  return ['Exit codes:', ...rows].join('\n');
}
