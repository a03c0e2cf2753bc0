/**
 * The metrics file (`--metrics-file`): Prometheus' text exposition format, for node_exporter's
 * textfile collector (https://prometheus.io/docs/instrumenting/exposition_formats/). Written
 * atomically after every run and `--follow` cycle, from what each state file records, so counters
 * keep counting across cron runs and restarts. Names follow Prometheus' conventions: a `_total`
 * suffix for counters, base units (`_seconds`), and timestamps rather than ages (a textfile is read
 * long after it was written, so "lag" is best computed at query time: `time() - …_timestamp_seconds`).
 * A state without a checkpoint (a tenant whose runs all failed before delivering) has its failure
 * and counters, and no checkpoint samples: `…_failed_runs_total unless …_checkpoint_timestamp_seconds`
 * finds it. Pure: the caller writes the text.
 */
import { hasCheckpoint, type State, type StateFile } from '../state/format.js';

/** One state's worth of metrics: its labels, and its state (absent when no run has ended under it yet). */
export interface MetricsSource {
  api: string;
  tenant: string;
  state: StateFile | undefined;
  /** How this process's last attempt ended, for a state that has no record of it (none written yet). */
  attempt?: { finishedAt: Date; ok: boolean; exitCode: number } | undefined;
}

interface Family {
  name: string;
  type: 'gauge' | 'counter';
  help: string;
  value: (s: MetricsSource, now: Date) => number | undefined;
}

/** The source's checkpoint, when a run has delivered under it. */
const checkpoint = (s: MetricsSource): State | undefined => (s.state !== undefined && hasCheckpoint(s.state) ? s.state : undefined);

/** Epoch seconds of an ISO-8601 time (the state's 7-digit fractions parse too: the digits past ms are dropped). */
const seconds = (iso: string | undefined): number | undefined => {
  const ms = iso === undefined ? NaN : Date.parse(iso);
  return Number.isNaN(ms) ? undefined : ms / 1000;
};

const FAMILIES: readonly Family[] = [
  {
    name: 'defender_alerts_last_attempt_timestamp_seconds',
    type: 'gauge',
    help: 'When the last run (or --follow cycle) ended, well or not.',
    value: (s) => seconds(s.state?.lastRun?.finishedAt) ?? (s.attempt ? s.attempt.finishedAt.getTime() / 1000 : undefined),
  },
  {
    name: 'defender_alerts_last_attempt_success',
    type: 'gauge',
    help: '1 when the last run ended well, else 0.',
    value: (s) => (s.state?.lastRun ? (s.state.lastRun.outcome === 'ok' ? 1 : 0) : s.attempt ? (s.attempt.ok ? 1 : 0) : undefined),
  },
  {
    name: 'defender_alerts_last_attempt_exit_code',
    type: 'gauge',
    help: 'Exit code of the last run (0 success; docs/reference.md "Exit codes").',
    value: (s) => (s.state?.lastRun ? (s.state.lastRun.exitCode ?? 0) : s.attempt?.exitCode),
  },
  {
    name: 'defender_alerts_last_success_timestamp_seconds',
    type: 'gauge',
    help: 'When a run last ended well.',
    value: (s) => seconds(s.state?.lastSuccessAt),
  },
  {
    name: 'defender_alerts_last_run_duration_seconds',
    type: 'gauge',
    help: 'How long the last run took.',
    value: (s) => (s.state?.lastRun ? s.state.lastRun.durationMs / 1000 : undefined),
  },
  {
    name: 'defender_alerts_last_run_alerts',
    type: 'gauge',
    help: 'Alerts the last run delivered.',
    value: (s) => s.state?.lastRun?.alerts,
  },
  {
    name: 'defender_alerts_checkpoint_timestamp_seconds',
    type: 'gauge',
    help: 'The checkpoint: every alert processed before it was delivered. Alert on time() minus this.',
    value: (s) => seconds(checkpoint(s)?.readUntil),
  },
  {
    name: 'defender_alerts_checkpoint_lag_seconds',
    type: 'gauge',
    help: 'How far the checkpoint was behind when this file was written.',
    value: (s, now) => {
      const at = seconds(checkpoint(s)?.readUntil);
      return at === undefined ? undefined : Math.max(0, now.getTime() / 1000 - at);
    },
  },
  {
    name: 'defender_alerts_runs_total',
    type: 'counter',
    help: 'Runs (and --follow cycles) that ended.',
    value: (s) => s.state?.totals?.runs,
  },
  {
    name: 'defender_alerts_failed_runs_total',
    type: 'counter',
    help: 'Runs that failed.',
    value: (s) => s.state?.totals?.failedRuns,
  },
  {
    name: 'defender_alerts_alerts_delivered_total',
    type: 'counter',
    help: 'Alerts delivered.',
    value: (s) => s.state?.totals?.alerts,
  },
  {
    name: 'defender_alerts_invalid_alerts_total',
    type: 'counter',
    help: 'Alerts that failed validation (reported, not written).',
    value: (s) => s.state?.totals?.invalid,
  },
  {
    name: 'defender_alerts_retries_total',
    type: 'counter',
    help: 'Requests retried after a failure.',
    value: (s) => s.state?.totals?.retries,
  },
  {
    name: 'defender_alerts_throttle_waits_total',
    type: 'counter',
    help: 'Throttled answers (429/503 with Retry-After) waited out.',
    value: (s) => s.state?.totals?.throttleWaits,
  },
  {
    name: 'defender_alerts_throttle_wait_seconds_total',
    type: 'counter',
    help: 'Time spent waiting out throttled answers.',
    value: (s) => (s.state?.totals ? s.state.totals.throttleWaitMs / 1000 : undefined),
  },
];

/** A label value, escaped as the exposition format wants: backslash, double quote, newline. */
function labelValue(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function labels(pairs: Record<string, string>): string {
  return `{${Object.entries(pairs)
    .map(([k, v]) => `${k}="${labelValue(v)}"`)
    .join(',')}}`;
}

/** A sample value: integers as they are, other numbers with what they need. */
function sample(value: number): string {
  return Number.isInteger(value) ? String(value) : String(Number(value.toFixed(3)));
}

/** The exposition text of every source: each family once, with a sample per source that has it. */
export function renderMetrics(sources: readonly MetricsSource[], now: Date): string {
  const lines: string[] = [];
  for (const family of FAMILIES) {
    const samples = sources.flatMap((s) => {
      const value = family.value(s, now);
      return value === undefined ? [] : [`${family.name}${labels({ api: s.api, tenant: s.tenant })} ${sample(value)}`];
    });
    if (samples.length === 0) continue;
    lines.push(`# HELP ${family.name} ${family.help}`, `# TYPE ${family.name} ${family.type}`, ...samples);
  }
  const requests = sources.flatMap((s) =>
    Object.entries(s.state?.totals?.requests ?? {}).map(
      ([kind, n]) => `defender_alerts_requests_total${labels({ api: s.api, tenant: s.tenant, class: kind })} ${n}`,
    ),
  );
  if (requests.length > 0) {
    lines.push(
      '# HELP defender_alerts_requests_total Requests to Entra ID and the alert API, by the class of their answer (network: none came).',
      '# TYPE defender_alerts_requests_total counter',
      ...requests,
    );
  }
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
}
