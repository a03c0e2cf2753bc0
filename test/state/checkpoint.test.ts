import { describe, expect, it } from 'vitest';
import type { AlertRecord } from '../../src/api/source.js';
import { Checkpoint } from '../../src/state/checkpoint.js';
import {
  hasCheckpoint,
  NO_TOTALS,
  parseState,
  serializeState,
  STATE_VERSION,
  type NoCheckpointState,
  type State,
} from '../../src/state/format.js';
import { normalizeTimestamp, timestampOf } from '../../src/time.js';

const identity = { api: 'siem', tenant: 't', endpoint: 'https://x/' };
const MIN = 60_000;

function alert(id: string, time: string): AlertRecord {
  return { raw: Buffer.from('{}'), id, updatedAt: time, key: `${id}:ioc|${time}` };
}

describe('normalizeTimestamp', () => {
  it.each([
    ['2024-05-01T10:00:00Z', '2024-05-01T10:00:00.0000000Z'],
    ['2024-05-01T10:00:00.1Z', '2024-05-01T10:00:00.1000000Z'],
    ['2017-01-23T07:32:54.1861171Z', '2017-01-23T07:32:54.1861171Z'],
    ['2024-05-01 10:00:00', '2024-05-01T10:00:00.0000000Z'],
  ])('%s → %s (sorts as text, keeps all 7 digits)', (input, expected) => {
    expect(normalizeTimestamp(input)).toBe(expected);
  });

  it('orders alerts that share a millisecond', () => {
    expect(normalizeTimestamp('2024-05-01T10:00:00.1234567Z')! > normalizeTimestamp('2024-05-01T10:00:00.1234561Z')!).toBe(true);
  });

  it('rejects what is not a UTC timestamp', () => {
    expect(normalizeTimestamp('yesterday')).toBeUndefined();
    expect(normalizeTimestamp('2024-05-01T10:00:00+02:00')).toBeUndefined();
  });
});

describe('Checkpoint', () => {
  it('starts a first run at the given time, a later run at readUntil − overlap', () => {
    const first = new Checkpoint(identity, undefined, 10 * MIN);
    expect(first.startFrom(new Date('2024-05-01T08:00:00Z')).since.toISOString()).toBe('2024-05-01T08:00:00.000Z');
    first.readTo({ until: new Date('2024-05-01T10:00:00Z') });
    const next = new Checkpoint(identity, first.state(new Date()), 10 * MIN);
    expect(next.startFrom(new Date(0))).toEqual({ since: new Date('2024-05-01T09:50:00.000Z'), clamped: false });
  });

  it('after the overlap grew, takes alerts older than the known keys as delivered, then covers the full overlap', () => {
    const first = new Checkpoint(identity, undefined, 10 * MIN);
    first.startFrom(new Date('2024-05-01T08:00:00Z'));
    first.readTo({ until: new Date('2024-05-01T10:00:00Z') });
    const wider = new Checkpoint(identity, first.state(new Date()), 60 * MIN);
    expect(wider.startFrom(new Date(0))).toEqual({ since: new Date('2024-05-01T09:00:00.000Z'), clamped: true });
    expect(wider.admit(alert('seen-long-ago', '2024-05-01T09:20:00.0000000Z'))).toBe(false);
    expect(wider.admit(alert('inside-old-overlap', '2024-05-01T09:55:00.0000000Z'))).toBe(true);
    wider.readTo({ until: new Date('2024-05-01T10:05:00Z') });
    const next = new Checkpoint(identity, wider.state(new Date()), 60 * MIN);
    expect(next.startFrom(new Date(0))).toEqual({ since: new Date('2024-05-01T09:05:00.000Z'), clamped: false });
    expect(next.admit(alert('seen-long-ago', '2024-05-01T09:20:00.0000000Z'))).toBe(false);
    expect(next.admit(alert('really-late', '2024-05-01T09:30:00.0000000Z'))).toBe(true);
  });

  it('admits each key once, across runs, and an updated alert (new time) again', () => {
    const a = new Checkpoint(identity, undefined, 10 * MIN);
    expect(a.admit(alert('x', '2024-05-01T09:55:00.1234567Z'))).toBe(true);
    expect(a.admit(alert('x', '2024-05-01T09:55:00.1234567Z'))).toBe(false);
    a.readTo({ until: new Date('2024-05-01T10:00:00Z') });
    const b = new Checkpoint(identity, a.state(new Date()), 10 * MIN);
    expect(b.admit(alert('x', '2024-05-01T09:55:00.1234567Z'))).toBe(false);
    expect(b.admit(alert('x', '2024-05-01T10:01:00.0000000Z'))).toBe(true);
  });

  it('keeps only the keys inside the overlap window, and records the latest alert time', () => {
    const c = new Checkpoint(identity, undefined, 10 * MIN);
    c.startFrom(new Date('2024-05-01T09:00:00Z'));
    c.admit(alert('old', '2024-05-01T09:40:00.0000000Z'));
    c.admit(alert('edge', '2024-05-01T09:50:00.0000000Z'));
    c.admit(alert('new', '2024-05-01T09:59:59.9999999Z'));
    c.readTo({ until: new Date('2024-05-01T10:00:00Z') });
    const state = c.state(new Date('2024-05-01T10:00:01Z'));
    expect(state.recent).toEqual(['edge:ioc|2024-05-01T09:50:00.0000000Z', 'new:ioc|2024-05-01T09:59:59.9999999Z']);
    expect(state.latestAlert).toBe('2024-05-01T09:59:59.9999999Z');
    expect(state.readUntil).toBe('2024-05-01T10:00:00.0000000Z');
    expect(state.recentSince).toBe('2024-05-01T09:50:00.0000000Z');
  });

  it('an undatable key stays through its window and the overlap, then leaves, also across runs (a service keeps no key forever)', () => {
    const c = new Checkpoint(identity, undefined, 10 * MIN);
    c.startFrom(new Date('2024-05-01T09:00:00Z'));
    expect(c.admit(alert('odd', ''))).toBe(true);
    c.readTo({ until: new Date('2024-05-01T10:00:00Z') });
    // The next run reads its overlap again: the undatable alert is still recognised.
    const next = new Checkpoint(identity, c.state(new Date()), 10 * MIN);
    expect(next.admit(alert('odd', ''))).toBe(false);
    next.readTo({ until: new Date('2024-05-01T10:05:00Z') });
    expect(next.state(new Date()).recent).toContain('odd:ioc|');
    // A window ending past its window's end + the overlap: no re-read reaches it any more.
    next.readTo({ until: new Date('2024-05-01T10:10:00.001Z') });
    expect(next.state(new Date()).recent).not.toContain('odd:ioc|');
    // A thousand cycles of undatable alerts keep one window's worth, not a thousand.
    const service = new Checkpoint(identity, undefined, 10 * MIN);
    service.startFrom(new Date('2024-05-01T00:00:00Z'));
    for (let minute = 1; minute <= 1000; minute++) {
      service.admit(alert(`odd-${minute}`, 'not a time'));
      service.readTo({ until: new Date(Date.parse('2024-05-01T00:00:00Z') + minute * MIN) });
    }
    expect(service.state(new Date()).recent.length).toBeLessThanOrEqual(11);
  });

  it('never moves readUntil backwards', () => {
    const c = new Checkpoint(identity, undefined, MIN);
    c.readTo({ until: new Date('2024-05-01T10:00:00Z') });
    c.readTo({ until: new Date('2024-05-01T09:00:00Z') });
    expect(c.state(new Date()).readUntil).toBe(timestampOf(new Date('2024-05-01T10:00:00Z')));
  });
});

describe('state file format', () => {
  const state: State = {
    version: 2,
    ...identity,
    readUntil: '2024-05-01T10:00:00.0000000Z',
    latestAlert: null,
    recentSince: '2024-05-01T09:50:00.0000000Z',
    recent: [],
    updatedAt: '2024-05-01T10:00:01.000Z',
  };

  it('round-trips', () => {
    expect(parseState(serializeState(state), identity)).toEqual({ ok: true, state });
    const withHistory: State = {
      ...state,
      lastRun: { outcome: 'failed', startedAt: 'a', finishedAt: 'b', durationMs: 5, alerts: 0, exitCode: 5, error: 'HTTP_503: …' },
      lastSuccessAt: '2024-05-01T09:00:00.000Z',
      totals: {
        runs: 3,
        failedRuns: 1,
        alerts: 10,
        invalid: 0,
        retries: 2,
        throttleWaits: 1,
        throttleWaitMs: 1000,
        requests: { '2xx': 7 },
      },
    };
    expect(parseState(serializeState(withHistory), identity)).toEqual({ ok: true, state: withHistory });
  });

  const lastRun = {
    outcome: 'failed' as const,
    startedAt: 'a',
    finishedAt: 'b',
    durationMs: 5,
    alerts: 0,
    exitCode: 3,
    error: 'AADSTS65001: …',
  };
  const neverDelivered: NoCheckpointState = {
    version: 3,
    ...identity,
    updatedAt: 'b',
    lastRun,
    totals: { ...NO_TOTALS, runs: 1, failedRuns: 1 },
  };

  it('round-trips the state of a tenant that never delivered (version 3, no checkpoint), and a first run starts from --since', () => {
    const parsed = parseState(serializeState(neverDelivered), identity);
    expect(parsed).toEqual({ ok: true, state: neverDelivered });
    expect(parsed.ok && hasCheckpoint(parsed.state)).toBe(false);
    expect(new Checkpoint(identity, neverDelivered, 10 * MIN).startFrom(new Date('2024-05-01T08:00:00Z'))).toEqual({
      since: new Date('2024-05-01T08:00:00Z'),
      clamped: false,
    });
    // Whose it is counts as for any state.
    expect(parseState(serializeState({ ...neverDelivered, tenant: 'other' }), identity)).toMatchObject({ ok: false });
  });

  it('writes a checkpoint as version 2, which the release before version 3 still reads', () => {
    const first = new Checkpoint(identity, undefined, 10 * MIN);
    first.startFrom(new Date('2024-05-01T09:55:00Z'));
    first.readTo({ until: new Date('2024-05-01T10:00:00Z') });
    expect(first.state(new Date()).version).toBe(2);
  });

  it('loads a version 1 file (no run history) as version 2', () => {
    expect(parseState(JSON.stringify({ ...state, version: 1 }), identity)).toEqual({ ok: true, state });
  });

  it('reads a state of any tenant when no identity is asked for (status)', () => {
    expect(parseState(JSON.stringify({ ...state, tenant: 'other' })).ok).toBe(true);
  });

  it.each([
    ['not JSON', '{', 'not valid JSON'],
    ['a future version', JSON.stringify({ ...state, version: STATE_VERSION + 1 }), 'newer than this defender-alerts'],
    // Version 3 is the state of a tenant that never delivered: a checkpoint in it is not ours.
    ['a version 3 file with a checkpoint', JSON.stringify({ ...state, version: 3, lastRun }), 'Unrecognized key'],
    ['a missing field', JSON.stringify({ ...state, readUntil: undefined }), 'readUntil'],
    ['another tenant', JSON.stringify({ ...state, tenant: 'other' }), 'belongs to tenant "other"'],
    ['another API', JSON.stringify({ ...state, api: 'graph' }), 'belongs to api "graph"'],
    ['another endpoint', JSON.stringify({ ...state, endpoint: 'https://y/' }), 'belongs to endpoint'],
  ])('refuses %s', (_what, text, reason) => {
    const result = parseState(text, identity);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.reason).toContain(reason);
  });
});

describe('Checkpoint origin', () => {
  it("does not reach before the first run's --since, and says nothing about it", () => {
    const first = new Checkpoint(identity, undefined, 10 * MIN);
    first.startFrom(new Date('2024-05-01T09:55:00Z')); // --since 5m with a 10m overlap
    first.readTo({ until: new Date('2024-05-01T10:00:00Z') });
    const state = first.state(new Date());
    expect(state.origin).toBe('2024-05-01T09:55:00.0000000Z');
    const next = new Checkpoint(identity, state, 10 * MIN);
    expect(next.startFrom(new Date(0))).toEqual({ since: new Date('2024-05-01T09:55:00.000Z'), clamped: false });
  });
});
