/**
 * When `pull --follow` runs its next cycle, and when it gives up. Pure: the loop (follow.ts)
 * sleeps and runs.
 */
import { ExitCode } from '../errors.js';

/** After this many failures in a row that waiting cannot heal (exit 1, 2, 3, 4, 65), the service ends with that code. */
export const MAX_PERMANENT_FAILURES = 3;
/** The longest wait after failures in a row, unless the interval itself is longer: 30 min. */
export const MAX_BACKOFF_MS = 30 * 60_000;

/**
 * Whether a failure can heal by waiting: the service failing or throttling past its budget (5),
 * the network (6), a lock another run holds (75), some of many tenants failing (7). Credentials, permissions, configuration, a
 * corrupt state or a bug (1, 2, 3, 4, 65) will not — but consent and permissions granted minutes
 * ago take minutes to apply, so they end the service only after {@link MAX_PERMANENT_FAILURES}.
 */
export function healsByWaiting(exitCode: number): boolean {
  return (
    exitCode === ExitCode.service ||
    exitCode === ExitCode.network ||
    exitCode === ExitCode.locked ||
    // --tenants: some tenants failed, others did not; the failed ones are tried again.
    exitCode === ExitCode.someTenantsFailed
  );
}

export interface NextCycle {
  /** How long to wait from now. */
  delayMs: number;
  /** The cycle took longer than the interval: the next starts at once. */
  overran: boolean;
}

/**
 * The next cycle starts `interval` (+ up to `jitter`) after the previous one started, at once if
 * that time has passed; after `failures` failed cycles in a row, the interval doubles per failure
 * up to {@link MAX_BACKOFF_MS} (or the interval, if longer), so a service that is down is not
 * hammered, and one that recovers is back within the cap.
 */
export function nextCycle(opts: {
  startedMs: number;
  nowMs: number;
  intervalMs: number;
  jitterMs: number;
  failures: number;
  random: () => number;
}): NextCycle {
  const cap = Math.max(opts.intervalMs, MAX_BACKOFF_MS);
  const base = opts.failures === 0 ? opts.intervalMs : Math.min(cap, opts.intervalMs * 2 ** (opts.failures - 1));
  const due = opts.startedMs + base + Math.floor(opts.random() * opts.jitterMs);
  const delayMs = due - opts.nowMs;
  return delayMs <= 0 ? { delayMs: 0, overran: opts.failures === 0 } : { delayMs, overran: false };
}
