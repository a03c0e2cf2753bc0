/**
 * What a state file says about the runs under it (version 2): the last run's outcome and the
 * totals of every run, for `defender-alerts status` and the metrics file. Pure.
 */
import type { RequestTally } from '../http/request-stats.js';
import { NO_TOTALS, type RunRecord, type State, type Totals } from './format.js';

/** What one run added: its alerts, invalid alerts and requests. */
export interface RunDelta extends RequestTally {
  alerts: number;
  invalid: number;
}

/** `base` plus what a run added; `finished` counts the run itself (once it ended, well or not). */
export function addTotals(base: Totals | undefined, delta: RunDelta, finished?: { failed: boolean }): Totals {
  const from = base ?? NO_TOTALS;
  const requests: Record<string, number> = { ...from.requests };
  for (const [kind, n] of Object.entries(delta.requests)) requests[kind] = (requests[kind] ?? 0) + n;
  return {
    runs: from.runs + (finished ? 1 : 0),
    failedRuns: from.failedRuns + (finished?.failed ? 1 : 0),
    alerts: from.alerts + delta.alerts,
    invalid: from.invalid + delta.invalid,
    retries: from.retries + delta.retries,
    throttleWaits: from.throttleWaits + delta.throttleWaits,
    throttleWaitMs: from.throttleWaitMs + delta.throttleWaitMs,
    requests,
  };
}

/**
 * The state to save: `checkpoint` (what was read and delivered) with the run history of
 * `previous` carried over, the totals moved on by `delta`, and — once the run ended — its record.
 */
export function withRunHistory(checkpoint: State, previous: State | undefined, delta: RunDelta, record?: RunRecord): State {
  const state: State = { ...checkpoint };
  const lastRun = record ?? previous?.lastRun;
  const lastSuccessAt = record?.outcome === 'ok' ? record.finishedAt : previous?.lastSuccessAt;
  if (lastRun !== undefined) state.lastRun = lastRun;
  if (lastSuccessAt !== undefined) state.lastSuccessAt = lastSuccessAt;
  state.totals = addTotals(previous?.totals, delta, record && { failed: record.outcome === 'failed' });
  return state;
}
