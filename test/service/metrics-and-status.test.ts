import { describe, expect, it } from 'vitest';
import { renderMetrics, type MetricsSource } from '../../src/output/metrics.js';
import type { State } from '../../src/state/format.js';
import { addTotals, withRunHistory } from '../../src/state/run-record.js';
import { formatStatusTable, reportState, unusableState } from '../../src/state/status.js';
import { RequestStats, tallySince } from '../../src/http/request-stats.js';
import { checkMetrics, PROMTOOL } from '../helpers/promtool.js';

const now = new Date('2024-05-01T10:05:00.000Z');
const base: State = {
  version: 2,
  api: 'mde',
  tenant: 'contoso.onmicrosoft.com',
  endpoint: 'https://api.security.microsoft.com/',
  readUntil: '2024-05-01T10:00:00.0000000Z',
  latestAlert: null,
  recentSince: '2024-05-01T09:50:00.0000000Z',
  recent: [],
  updatedAt: '2024-05-01T10:00:01.000Z',
};
const delta = { alerts: 7, invalid: 1, retries: 2, throttleWaits: 1, throttleWaitMs: 1500, requests: { '2xx': 5, '5xx': 2 } };

describe('the run history of a state', () => {
  it('adds each run to the totals and keeps the last record', () => {
    const first = withRunHistory(base, undefined, delta, {
      outcome: 'ok',
      startedAt: 'a',
      finishedAt: '2024-05-01T10:00:02.000Z',
      durationMs: 2000,
      alerts: 7,
    });
    expect(first.totals).toEqual({ runs: 1, failedRuns: 0, ...delta });
    expect(first.lastSuccessAt).toBe('2024-05-01T10:00:02.000Z');
    const failed = withRunHistory(
      first,
      first,
      { ...delta, alerts: 0, requests: { '4xx': 1 } },
      {
        outcome: 'failed',
        startedAt: 'b',
        finishedAt: 'c',
        durationMs: 5,
        alerts: 0,
        exitCode: 3,
      },
    );
    expect(failed.totals).toMatchObject({ runs: 2, failedRuns: 1, alerts: 7, requests: { '2xx': 5, '5xx': 2, '4xx': 1 } });
    expect(failed.lastRun?.outcome).toBe('failed');
    expect(failed.lastSuccessAt).toBe('2024-05-01T10:00:02.000Z');
    // A window committed mid-run moves the totals but records no run yet.
    expect(withRunHistory(base, failed, delta).totals?.runs).toBe(2);
    expect(addTotals(undefined, delta).runs).toBe(0);
  });

  it('counts requests between two snapshots', () => {
    const stats = new RequestStats();
    stats.answered(200);
    const before = stats.snapshot();
    stats.answered(503);
    stats.answered('network');
    stats.retried();
    stats.throttled(1000);
    expect(tallySince(before, stats.snapshot())).toEqual({
      requests: { '5xx': 1, network: 1 },
      retries: 1,
      throttleWaits: 1,
      throttleWaitMs: 1000,
    });
  });
});

describe('the metrics file', () => {
  const state = withRunHistory(base, undefined, delta, {
    outcome: 'ok',
    startedAt: '2024-05-01T10:00:00.000Z',
    finishedAt: '2024-05-01T10:00:02.500Z',
    durationMs: 2500,
    alerts: 7,
  });
  const sources: MetricsSource[] = [
    { api: 'mde', tenant: 'contoso.onmicrosoft.com', state },
    // A tenant whose first run failed has no state yet: only its attempt is known.
    { api: 'graph', tenant: 'Fabrikam "EU"\\n', state: undefined, attempt: { finishedAt: now, ok: false, exitCode: 3 } },
  ];
  const text = renderMetrics(sources, now);

  it('says when, how and how much, per API and tenant', () => {
    expect(text).toContain('defender_alerts_last_success_timestamp_seconds{api="mde",tenant="contoso.onmicrosoft.com"} 1714557602.5');
    expect(text).toContain('defender_alerts_checkpoint_timestamp_seconds{api="mde",tenant="contoso.onmicrosoft.com"} 1714557600');
    expect(text).toContain('defender_alerts_checkpoint_lag_seconds{api="mde",tenant="contoso.onmicrosoft.com"} 300');
    expect(text).toContain('defender_alerts_alerts_delivered_total{api="mde",tenant="contoso.onmicrosoft.com"} 7');
    expect(text).toContain('defender_alerts_requests_total{api="mde",tenant="contoso.onmicrosoft.com",class="5xx"} 2');
    expect(text).toContain('defender_alerts_throttle_wait_seconds_total{api="mde",tenant="contoso.onmicrosoft.com"} 1.5');
    expect(text).toContain('defender_alerts_last_attempt_success{api="graph",tenant="Fabrikam \\"EU\\"\\\\n"} 0');
    expect(text).toContain('defender_alerts_last_attempt_exit_code{api="graph",tenant="Fabrikam \\"EU\\"\\\\n"} 3');
    expect(renderMetrics([], now)).toBe('');
  });

  it.skipIf(PROMTOOL === undefined)("passes promtool's check of the exposition format and its naming rules", () => {
    expect(checkMetrics(text)).toEqual({ status: 0, output: '' });
    // The checker can fail: a counter without _total is reported.
    expect(checkMetrics('# HELP x_count c\n# TYPE x_count counter\nx_count 1\n').status).not.toBe(0);
  });
});

describe('status', () => {
  const lock = { pid: 4242, hostname: 'collector-1', startedAt: '2024-05-01T09:59:00.000Z', stale: false };

  it('reports the checkpoint, its lag, the last run and the lock; --max-lag judges freshness', () => {
    const state = withRunHistory(base, undefined, delta, {
      outcome: 'ok',
      startedAt: 'a',
      finishedAt: '2024-05-01T10:00:02.000Z',
      durationMs: 2,
      alerts: 7,
    });
    expect(reportState('s.json', state, lock, now, 10 * 60_000)).toMatchObject({
      state: 's.json',
      api: 'mde',
      tenant: 'contoso.onmicrosoft.com',
      checkpoint: '2024-05-01T10:00:00.0000000Z',
      lagSeconds: 300,
      alertsDelivered: 7,
      lock,
      fresh: true,
    });
    expect(reportState('s.json', state, undefined, now, 60_000).fresh).toBe(false);
    expect(reportState('new.json', undefined, undefined, now, 60_000)).toEqual({
      state: 'new.json',
      problem: 'no state yet: no run has delivered a window',
      fresh: false,
    });
    expect(reportState('old.json', base, undefined, now, undefined)).not.toHaveProperty('lastRun');
  });

  it('prints one aligned line per state', () => {
    const state = withRunHistory(base, undefined, delta, {
      outcome: 'failed',
      startedAt: 'a',
      finishedAt: '2024-05-01T10:04:00.000Z',
      durationMs: 2,
      alerts: 0,
      exitCode: 5,
    });
    const table = formatStatusTable(
      [
        reportState('a.json', state, lock, now, 60_000),
        unusableState('b.json', 'the state file b.json is not usable: it is empty', undefined, undefined),
      ],
      now,
    ).split('\n');
    expect(table[0]).toMatch(/^STATE +API +TENANT +CHECKPOINT +LAG +LAST RUN +OUTCOME +ALERTS +LOCK$/);
    expect(table[1]).toMatch(
      /^a\.json +mde +contoso\.onmicrosoft\.com +2024-05-01T10:00:00\.0000000Z +5m STALE +1m ago +failed \(exit 5\) +7 +pid 4242@collector-1 since/,
    );
    expect(table[2]).toContain('the state file b.json is not usable: it is empty');
    expect(table[1]?.indexOf('mde')).toBe(table[0]?.indexOf('API'));
  });
});
