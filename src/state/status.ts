/**
 * `defender-alerts status`: what each state file says, as rows for a table or JSON, and whether
 * each passes `--max-lag` (a health probe). Pure: the command reads the files, the locks and the
 * tenants file.
 *
 * A state is one of three kinds: a checkpoint (some run delivered), a state without one (every run
 * so far failed before delivering: format.ts, version 3), or none at all (never tried). Under
 * `--max-lag` the first passes when its checkpoint is at most that far behind, the second never
 * (a customer that never consented is red at once), the third only within one lag of being listed
 * in the tenants file.
 */
import { dateOf, formatDuration } from '../time.js';
import { hasCheckpoint, type RunRecord, type StateFile } from './format.js';
import type { LockHolderInfo } from './lock.js';

export interface StateReport {
  state: string;
  /** The tenant's name in the tenants file (`status --tenants`). */
  label?: string;
  api?: string;
  tenant?: string;
  endpoint?: string;
  /** `readUntil`: everything before it was read and delivered. */
  checkpoint?: string;
  /** How far the checkpoint is behind now, in seconds. */
  lagSeconds?: number;
  lastRun?: RunRecord;
  lastSuccessAt?: string;
  /** Alerts delivered under this state, every run together (state version 2 on). */
  alertsDelivered?: number;
  /** The run that holds the lock now, if any. */
  lock?: LockHolderInfo;
  /** Why there is no checkpoint: never tried, every run failed, or the file cannot be used. */
  problem?: string;
  /** The file exists but cannot be used (corrupt, unreadable, another version): `status` fails for it. */
  unusable?: boolean;
  /** With --max-lag: whether this state passes (see the module comment). */
  fresh?: boolean;
}

/** A tenant of `status --tenants`' file. */
export interface ListedTenant {
  /** Its name in the file (`name`, else the tenant id). */
  label: string;
  tenant: string;
  /** When it was listed, at the latest: the tenants file's last change (its mtime). */
  listedAt: Date;
}

export const NEVER_TRIED = 'no state yet: never tried';
export const NEVER_DELIVERED = 'no checkpoint yet: every run so far failed before delivering';

/**
 * One state's report. `state` undefined means no file: nothing was ever recorded. `listed` is the
 * tenant as the tenants file names it; without it (`--state`), a missing state fails `--max-lag`
 * at once, as there is no listing to count a grace period from.
 */
export function reportState(
  path: string,
  state: StateFile | undefined,
  lock: LockHolderInfo | undefined,
  now: Date,
  maxLagMs: number | undefined,
  listed?: ListedTenant,
): StateReport {
  const report: StateReport = { state: path };
  if (listed !== undefined) report.label = listed.label;
  if (lock !== undefined) report.lock = lock;
  if (state === undefined) {
    if (listed !== undefined) report.tenant = listed.tenant;
    report.problem = NEVER_TRIED;
    if (maxLagMs !== undefined) report.fresh = listed !== undefined && now.getTime() - listed.listedAt.getTime() <= maxLagMs;
    return report;
  }
  Object.assign(report, { api: state.api, tenant: state.tenant, endpoint: state.endpoint });
  if (hasCheckpoint(state)) {
    const lagMs = Math.max(0, now.getTime() - dateOf(state.readUntil).getTime());
    Object.assign(report, { checkpoint: state.readUntil, lagSeconds: Math.round(lagMs / 1000) });
    if (maxLagMs !== undefined) report.fresh = lagMs <= maxLagMs;
  } else {
    report.problem = NEVER_DELIVERED;
    if (maxLagMs !== undefined) report.fresh = false;
  }
  if (state.lastRun !== undefined) report.lastRun = state.lastRun;
  if (state.lastSuccessAt !== undefined) report.lastSuccessAt = state.lastSuccessAt;
  if (state.totals !== undefined) report.alertsDelivered = state.totals.alerts;
  return report;
}

/** A report for a state that could not be read. */
export function unusableState(path: string, problem: string, lock: LockHolderInfo | undefined, maxLagMs: number | undefined): StateReport {
  return {
    state: path,
    problem,
    unusable: true,
    ...(lock === undefined ? {} : { lock }),
    ...(maxLagMs === undefined ? {} : { fresh: false }),
  };
}

/** The failure's stable code, from a run record's `CODE: message` line. */
function errorCode(run: RunRecord): string | undefined {
  return run.error === undefined ? undefined : /^([^\s:]+):/.exec(run.error)?.[1];
}

/** Why a report fails `--max-lag`, in a few words: `2h behind`, `none: never tried`. */
function staleReason(r: StateReport): string {
  if (r.lagSeconds !== undefined) return `${formatDuration(r.lagSeconds * 1000)} behind`;
  if (r.unusable === true) return 'unusable';
  const run = r.lastRun;
  if (run === undefined) return 'none: never tried';
  const code = errorCode(run);
  return `none: its runs fail, exit ${run.exitCode ?? '?'}${code === undefined ? '' : `, ${code}`}`;
}

/**
 * The one line of `--max-lag`'s failure (exit 8), naming the first few that fail and why, or
 * undefined when every report passes.
 */
export function staleSummary(reports: readonly StateReport[]): string | undefined {
  const stale = reports.filter((r) => r.fresh === false);
  if (stale.length === 0) return undefined;
  const named = stale.slice(0, 5).map((r) => `${r.label ?? r.state} (${staleReason(r)})`);
  return `${stale.length} of ${reports.length} checkpoint(s) are older than --max-lag: ${named.join(', ')}${stale.length > 5 ? ', …' : ''}`;
}

const COLUMNS = ['STATE', 'API', 'TENANT', 'CHECKPOINT', 'LAG', 'LAST RUN', 'OUTCOME', 'ALERTS', 'LOCK', 'LAST ERROR'] as const;

function lockText(lock: LockHolderInfo | undefined): string {
  if (lock === undefined) return '-';
  if (lock.pid === 0) return 'unreadable lock file';
  return `pid ${lock.pid}@${lock.hostname} since ${lock.startedAt}${lock.stale ? ' (stale)' : ''}`;
}

function row(r: StateReport, now: Date): string[] {
  const staleMark = r.fresh === false ? ' STALE' : '';
  if (r.unusable === true) return [r.state, '-', '-', '-', '-', '-', r.problem ?? '-', '-', lockText(r.lock), '-'];
  if (r.api === undefined) return [r.state, '-', r.tenant ?? '-', '-', `-${staleMark}`, '-', r.problem ?? '-', '-', lockText(r.lock), '-'];
  const lag = r.lagSeconds === undefined ? '-' : formatDuration(r.lagSeconds * 1000);
  const last = r.lastRun;
  const ago = last ? `${formatDuration(Math.max(0, now.getTime() - new Date(last.finishedAt).getTime()))} ago` : '-';
  const outcome = last ? (last.outcome === 'failed' ? `failed (exit ${last.exitCode ?? '?'})` : last.outcome) : '-';
  return [
    r.state,
    r.api,
    r.tenant ?? '-',
    r.checkpoint ?? 'none yet',
    `${lag}${staleMark}`,
    ago,
    outcome,
    r.alertsDelivered === undefined ? '-' : String(r.alertsDelivered),
    lockText(r.lock),
    last?.outcome === 'failed' ? (last.error ?? '-') : '-',
  ];
}

/** The reports as an aligned text table, one state a line. */
export function formatStatusTable(reports: readonly StateReport[], now: Date): string {
  const rows = [[...COLUMNS], ...reports.map((r) => row(r, now))];
  const widths = COLUMNS.map((_, i) => Math.max(...rows.map((cells) => (cells[i] ?? '').length)));
  return (
    rows.map((cells) => cells.map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join('  ')).join('\n') + '\n'
  );
}
