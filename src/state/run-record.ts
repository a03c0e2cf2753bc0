/**
 * What a state file says about the runs under it (version 2): the last run's outcome and the
 * totals of every run, for `defender-alerts status` and the metrics file. Pure.
 */
import type { RequestTally } from '../http/request-stats.js';
import {
  NO_TOTALS,
  type NoCheckpointState,
  type RunRecord,
  type State,
  type StateFile,
  type StateIdentity,
  type Totals,
} from './format.js';

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
 * `previous` (with or without a checkpoint of its own) carried over, the totals moved on by
 * `delta`, and — once the run ended — its record.
 */
export function withRunHistory(checkpoint: State, previous: StateFile | undefined, delta: RunDelta, record?: RunRecord): State {
  const state: State = { ...checkpoint };
  const lastRun = record ?? previous?.lastRun;
  const lastSuccessAt = record?.outcome === 'ok' ? record.finishedAt : previous?.lastSuccessAt;
  if (lastRun !== undefined) state.lastRun = lastRun;
  if (lastSuccessAt !== undefined) state.lastSuccessAt = lastSuccessAt;
  state.totals = addTotals(previous?.totals, delta, record && { failed: record.outcome === 'failed' });
  return state;
}

/**
 * The state to save when a run failed before it delivered a window and there is no checkpoint
 * (format.ts, version 3): `failure` and the totals, on those of `previous`, which has no
 * checkpoint either (or is undefined: the first run).
 */
export function failedBeforeDelivery(
  identity: StateIdentity,
  previous: NoCheckpointState | undefined,
  delta: RunDelta,
  failure: RunRecord,
  now: Date,
): NoCheckpointState {
  return {
    version: 3,
    ...identity,
    updatedAt: now.toISOString(),
    lastRun: failure,
    ...(previous?.lastSuccessAt === undefined ? {} : { lastSuccessAt: previous.lastSuccessAt }),
    totals: addTotals(previous?.totals, delta, { failed: failure.outcome === 'failed' }),
  };
}
