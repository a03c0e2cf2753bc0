/**
 * `defender-alerts status`: what each state file says, as rows for a table or JSON, and whether
 * every checkpoint is fresher than `--max-lag` (a health probe). Pure: the command reads the
 * files and locks.
 */
import { dateOf, formatDuration } from '../time.js';
import type { RunRecord, State } from './format.js';
import type { LockHolderInfo } from './lock.js';

export interface StateReport {
  state: string;
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
  /** Why there is nothing to report: no run finished yet, or the file cannot be used. */
  problem?: string;
  /** The file exists but cannot be used (corrupt, unreadable, another version): `status` fails for it. */
  unusable?: boolean;
  /** With --max-lag: whether the checkpoint is fresher. */
  fresh?: boolean;
}

/** One state's report; `state` undefined means no file yet (no run has committed). */
export function reportState(
  path: string,
  state: State | undefined,
  lock: LockHolderInfo | undefined,
  now: Date,
  maxLagMs: number | undefined,
): StateReport {
  const report: StateReport = { state: path };
  if (lock !== undefined) report.lock = lock;
  if (state === undefined) {
    report.problem = 'no state yet: no run has delivered a window';
    if (maxLagMs !== undefined) report.fresh = false;
    return report;
  }
  const lagMs = Math.max(0, now.getTime() - dateOf(state.readUntil).getTime());
  Object.assign(report, {
    api: state.api,
    tenant: state.tenant,
    endpoint: state.endpoint,
    checkpoint: state.readUntil,
    lagSeconds: Math.round(lagMs / 1000),
  });
  if (state.lastRun !== undefined) report.lastRun = state.lastRun;
  if (state.lastSuccessAt !== undefined) report.lastSuccessAt = state.lastSuccessAt;
  if (state.totals !== undefined) report.alertsDelivered = state.totals.alerts;
  if (maxLagMs !== undefined) report.fresh = lagMs <= maxLagMs;
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

const COLUMNS = ['STATE', 'API', 'TENANT', 'CHECKPOINT', 'LAG', 'LAST RUN', 'OUTCOME', 'ALERTS', 'LOCK'] as const;

function lockText(lock: LockHolderInfo | undefined): string {
  if (lock === undefined) return '-';
  if (lock.pid === 0) return 'unreadable lock file';
  return `pid ${lock.pid}@${lock.hostname} since ${lock.startedAt}${lock.stale ? ' (stale)' : ''}`;
}

function row(r: StateReport, now: Date): string[] {
  if (r.problem !== undefined && r.checkpoint === undefined) return [r.state, '-', '-', '-', '-', '-', r.problem, '-', lockText(r.lock)];
  const lag = r.lagSeconds === undefined ? '-' : formatDuration(r.lagSeconds * 1000);
  const last = r.lastRun;
  const ago = last ? `${formatDuration(Math.max(0, now.getTime() - new Date(last.finishedAt).getTime()))} ago` : '-';
  const outcome = last ? (last.outcome === 'failed' ? `failed (exit ${last.exitCode ?? '?'})` : last.outcome) : '-';
  return [
    r.state,
    r.api ?? '-',
    r.tenant ?? '-',
    r.checkpoint ?? '-',
    `${lag}${r.fresh === false ? ' STALE' : ''}`,
    ago,
    outcome,
    r.alertsDelivered === undefined ? '-' : String(r.alertsDelivered),
    lockText(r.lock),
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
