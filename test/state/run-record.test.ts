import { describe, expect, it } from 'vitest';
import { renderMetrics, type MetricsSource } from '../../src/output/metrics.js';
import type { State } from '../../src/state/format.js';
import { addTotals, failedBeforeDelivery, withRunHistory } from '../../src/state/run-record.js';
import {
  formatStatusTable,
  NEVER_DELIVERED,
  NEVER_TRIED,
  reportState,
  staleSummary,
  unusableState,
  type ListedTenant,
} from '../../src/state/status.js';
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
const identity = { api: base.api, tenant: base.tenant, endpoint: base.endpoint };
/** A run refused at sign-in: one 4xx answer, nothing delivered. */
const refused = { alerts: 0, invalid: 0, retries: 0, throttleWaits: 0, throttleWaitMs: 0, requests: { '4xx': 1 } };
const noConsent = {
  outcome: 'failed' as const,
  startedAt: '2024-05-01T10:03:59.000Z',
  finishedAt: '2024-05-01T10:04:00.000Z',
  durationMs: 1000,
  alerts: 0,
  exitCode: 3,
  error: 'AADSTS65001: the app has not been consented in tenant contoso.onmicrosoft.com',
};
/** The state of a tenant whose two runs were refused before delivering anything. */
const neverDelivered = failedBeforeDelivery(
  identity,
  failedBeforeDelivery(identity, undefined, refused, noConsent, now),
  refused,
  noConsent,
  now,
);

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

  it('a run that fails before any delivery records its failure and counts, with no checkpoint; the first delivery carries them on', () => {
    expect(neverDelivered).toEqual({
      version: 3,
      ...identity,
      updatedAt: now.toISOString(),
      lastRun: noConsent,
      totals: { runs: 2, failedRuns: 2, alerts: 0, invalid: 0, retries: 0, throttleWaits: 0, throttleWaitMs: 0, requests: { '4xx': 2 } },
    });
    const ok = { outcome: 'ok' as const, startedAt: 'a', finishedAt: '2024-05-01T10:05:00.000Z', durationMs: 1, alerts: 7 };
    const delivered = withRunHistory(base, neverDelivered, delta, ok);
    expect(delivered).toMatchObject({ version: 2, readUntil: base.readUntil, lastRun: ok, lastSuccessAt: ok.finishedAt });
    expect(delivered.totals).toMatchObject({ runs: 3, failedRuns: 2, alerts: 7, requests: { '4xx': 2, '2xx': 5, '5xx': 2 } });
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
  // A tenant whose runs all failed before delivering: its failure and counters, no checkpoint.
  const failing = renderMetrics([{ api: 'mde', tenant: 'never-consented', state: neverDelivered }], now);

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

  it('shows a tenant that never delivered with its failure, so a rule can alert on it', () => {
    const labels = '{api="mde",tenant="never-consented"}';
    expect(failing).toContain(`defender_alerts_last_attempt_success${labels} 0`);
    expect(failing).toContain(`defender_alerts_last_attempt_exit_code${labels} 3`);
    expect(failing).toContain(`defender_alerts_runs_total${labels} 2`);
    expect(failing).toContain(`defender_alerts_failed_runs_total${labels} 2`);
    expect(failing).toContain('defender_alerts_requests_total{api="mde",tenant="never-consented",class="4xx"} 2');
    expect(failing).not.toContain('defender_alerts_checkpoint_');
    expect(failing).not.toContain('defender_alerts_last_success_timestamp_seconds');
  });

  it.skipIf(PROMTOOL === undefined)("passes promtool's check of the exposition format and its naming rules", () => {
    expect(checkMetrics(text)).toEqual({ status: 0, output: '' });
    expect(checkMetrics(failing)).toEqual({ status: 0, output: '' });
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
    expect(reportState('new.json', undefined, undefined, now, 60_000)).toEqual({ state: 'new.json', problem: NEVER_TRIED, fresh: false });
    expect(reportState('old.json', base, undefined, now, undefined)).not.toHaveProperty('lastRun');
  });

  it('a state without a checkpoint: its last failure, and red under any --max-lag', () => {
    const report = reportState('c.json', neverDelivered, undefined, now, 365 * 86_400_000);
    expect(report).toEqual({
      state: 'c.json',
      ...identity,
      problem: NEVER_DELIVERED,
      lastRun: noConsent,
      alertsDelivered: 0,
      fresh: false,
    });
    expect(reportState('c.json', neverDelivered, undefined, now, undefined)).not.toHaveProperty('fresh');
  });

  it('a listed tenant never tried: named as the tenants file names it, red once the file is older than --max-lag', () => {
    const listed: ListedTenant = { label: 'fabrikam', tenant: 'fabrikam.onmicrosoft.com', listedAt: new Date(now.getTime() - 10 * 60_000) };
    expect(reportState('f.json', undefined, undefined, now, 15 * 60_000, listed)).toEqual({
      state: 'f.json',
      label: 'fabrikam',
      tenant: 'fabrikam.onmicrosoft.com',
      problem: NEVER_TRIED,
      fresh: true,
    });
    expect(reportState('f.json', undefined, undefined, now, 10 * 60_000, listed).fresh).toBe(true);
    expect(reportState('f.json', undefined, undefined, now, 10 * 60_000 - 1000, listed).fresh).toBe(false);
    // Once tried, the listing gives no grace: a failure is red, a checkpoint is judged by its lag.
    expect(reportState('f.json', neverDelivered, undefined, now, 15 * 60_000, listed)).toMatchObject({ label: 'fabrikam', fresh: false });
    expect(reportState('f.json', base, undefined, now, 4 * 60_000, listed)).toMatchObject({ label: 'fabrikam', fresh: false });
  });

  it('--max-lag fails naming each state that fails and why', () => {
    const listedAt = new Date(now.getTime() - 3_600_000);
    const reports = [
      reportState('/d/ok.json', base, undefined, now, 10 * 60_000),
      reportState('/d/behind.json', base, undefined, now, 60_000),
      reportState('/d/c.json', neverDelivered, undefined, now, 60_000, { label: 'contoso', tenant: identity.tenant, listedAt }),
      reportState('/d/f.json', undefined, undefined, now, 60_000, { label: 'fabrikam', tenant: 'f.onmicrosoft.com', listedAt }),
    ];
    expect(staleSummary(reports)).toBe(
      '3 of 4 checkpoint(s) are older than --max-lag: /d/behind.json (5m behind), contoso (none: its runs fail, exit 3, AADSTS65001), fabrikam (none: never tried)',
    );
    expect(staleSummary(reports.slice(0, 1))).toBeUndefined();
    expect(staleSummary([reportState('/d/ok.json', base, undefined, now, undefined)])).toBeUndefined();
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
    expect(table[0]).toMatch(/^STATE +API +TENANT +CHECKPOINT +LAG +LAST RUN +OUTCOME +ALERTS +LOCK +LAST ERROR$/);
    expect(table[1]).toMatch(
      /^a\.json +mde +contoso\.onmicrosoft\.com +2024-05-01T10:00:00\.0000000Z +5m STALE +1m ago +failed \(exit 5\) +7 +pid 4242@collector-1 since/,
    );
    expect(table[2]).toContain('the state file b.json is not usable: it is empty');
    expect(table[1]?.indexOf('mde')).toBe(table[0]?.indexOf('API'));
  });

  it('prints a tenant that never delivered with its last error, and one never tried as such', () => {
    const listed: ListedTenant = { label: 'fabrikam', tenant: 'fabrikam.onmicrosoft.com', listedAt: new Date(0) };
    const table = formatStatusTable(
      [reportState('c.json', neverDelivered, undefined, now, 60_000), reportState('f.json', undefined, undefined, now, 60_000, listed)],
      now,
    ).split('\n');
    expect(table[1]).toMatch(
      /^c\.json +mde +contoso\.onmicrosoft\.com +none yet +- STALE +1m ago +failed \(exit 3\) +0 +- +AADSTS65001: the app has not been consented in tenant contoso\.onmicrosoft\.com$/,
    );
    expect(table[2]).toMatch(/^f\.json +- +fabrikam\.onmicrosoft\.com +- +- STALE +- +no state yet: never tried +- +- +-$/);
    expect(table[1]?.indexOf('none yet')).toBe(table[0]?.indexOf('CHECKPOINT'));
    expect(table[1]?.indexOf('AADSTS65001')).toBe(table[0]?.indexOf('LAST ERROR'));
  });
});
