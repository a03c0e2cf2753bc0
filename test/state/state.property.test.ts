/**
 * Property-based tests of the `--state` bookkeeping: the state reader (`parseState`)
 * turns any text into a usable state or a reason — never an exception, never a state that breaks
 * the run later — serialisation round-trips, and `Checkpoint` keeps its promises over arbitrary
 * schedules of runs, windows, overlaps and late alerts: no key delivered twice, `readUntil` never
 * goes back, the keys kept cover exactly [recentSince, readUntil], and every alert is delivered.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AlertRecord } from '../../src/api/source.js';
import { Checkpoint } from '../../src/state/checkpoint.js';
import {
  hasCheckpoint,
  NO_TOTALS,
  NoCheckpointStateSchema,
  parseState,
  serializeState,
  StateSchema,
  type NoCheckpointState,
  type State,
} from '../../src/state/format.js';
import { dateOf, normalizeTimestamp, timestampOf } from '../../src/time.js';
import { WindowPlan } from '../../src/delivery/window-plan.js';
import { propertyRuns } from '../helpers/property-runs.js';

const identity = { api: 'siem', tenant: '00000000-0000-4000-8000-000000000001', endpoint: 'https://wdatp-alertexporter-eu.windows.com/' };
const T0 = Date.parse('2024-05-01T00:00:00.000Z');
const MIN = 60_000;
const HOUR = 60 * MIN;

/** A Defender-style timestamp with 7 fractional digits (the last 4 below a millisecond). */
const timestamp = fc
  .tuple(
    fc.date({ min: new Date('0001-01-01T00:00:00Z'), max: new Date('9999-12-31T23:59:59.999Z'), noInvalidDate: true }),
    fc.integer({ min: 0, max: 9999 }),
  )
  .map(([date, sub]) => `${date.toISOString().slice(0, 23)}${String(sub).padStart(4, '0')}Z`);

const validState = fc
  .record({
    a: timestamp,
    b: timestamp,
    latestAlert: fc.option(timestamp, { nil: null }),
    recent: fc.array(
      fc.oneof(
        fc.string(),
        fc.tuple(fc.string(), timestamp).map(([id, t]) => `${id}|${t}`),
      ),
      { maxLength: 20 },
    ),
    updatedAt: fc.string(),
  })
  .map(({ a, b, latestAlert, recent, updatedAt }): State => ({
    version: 2,
    ...identity,
    readUntil: a > b ? a : b,
    latestAlert,
    recentSince: a > b ? b : a,
    recent,
    updatedAt,
  }));

/** The state of a tenant whose runs all failed before delivering (version 3, no checkpoint). */
const noCheckpointState = fc
  .record({
    updatedAt: fc.string(),
    runs: fc.integer({ min: 1, max: 1000 }),
    exitCode: fc.integer({ min: 1, max: 255 }),
    error: fc.string(),
  })
  .map(({ updatedAt, runs, exitCode, error }): NoCheckpointState => ({
    version: 3,
    ...identity,
    updatedAt,
    lastRun: { outcome: 'failed', startedAt: updatedAt, finishedAt: updatedAt, durationMs: 0, alerts: 0, exitCode, error },
    totals: { ...NO_TOTALS, runs, failedRuns: runs },
  }));

/** A state file with one field replaced, removed, or the text cut or spliced: what disks and people do. */
const damagedText = fc.oneof(
  fc
    .tuple(validState, fc.constantFrom(...Object.keys(StateSchema.shape)), fc.option(fc.jsonValue(), { nil: undefined }))
    .map(([state, key, value]) => {
      const copy: Record<string, unknown> = { ...state };
      if (value === undefined) delete copy[key];
      else copy[key] = value;
      return JSON.stringify(copy);
    }),
  fc
    .tuple(
      noCheckpointState,
      fc.constantFrom(...Object.keys(NoCheckpointStateSchema.shape), 'readUntil'),
      fc.option(fc.jsonValue(), { nil: undefined }),
    )
    .map(([state, key, value]) => {
      const copy: Record<string, unknown> = { ...state };
      if (value === undefined) delete copy[key];
      else copy[key] = value;
      return JSON.stringify(copy);
    }),
  fc.tuple(validState, fc.nat(), fc.string({ unit: 'binary', maxLength: 8 })).map(([state, at, insert]) => {
    const text = serializeState(state);
    const cut = at % (text.length + 1);
    return text.slice(0, cut) + insert + text.slice(cut + insert.length);
  }),
  // Timestamps that have the right form but are no real instant (found a crash: exit 1).
  fc
    .tuple(validState, fc.integer({ min: 0, max: 99 }), fc.integer({ min: 0, max: 99 }), fc.integer({ min: 0, max: 99 }))
    .map(([state, month, day, hour]) =>
      JSON.stringify({
        ...state,
        readUntil: `2024-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}T${String(hour).padStart(2, '0')}:00:00.0000000Z`,
      }),
    ),
);

const anyText = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.json(),
  damagedText,
  validState.map(serializeState),
  noCheckpointState.map(serializeState),
);

describe('parseState', () => {
  it('any text: a state the run can use, or a reason — never an exception', () => {
    fc.assert(
      fc.property(anyText, fc.integer({ min: 0, max: 48 * HOUR }), (text, overlapMs) => {
        const result = parseState(text, identity);
        if (!result.ok) {
          expect(result.reason).toMatch(/^it /);
          expect(result.reason).not.toContain('\n');
          return;
        }
        // Accepted means usable: every date computation of a run works on it. A state without a
        // checkpoint (version 3) has no dates: the run starts as a first run.
        const { state } = result;
        if (!hasCheckpoint(state)) {
          expect(new Checkpoint(identity, state, overlapMs).startFrom(new Date(T0))).toEqual({ since: new Date(T0), clamped: false });
          return;
        }
        for (const t of [state.readUntil, state.recentSince, state.latestAlert ?? state.readUntil])
          expect(Number.isFinite(dateOf(t).getTime())).toBe(true);
        expect(state.recentSince <= state.readUntil).toBe(true);
        const checkpoint = new Checkpoint(identity, state, overlapMs);
        const { since } = checkpoint.startFrom(new Date(T0));
        expect(Number.isFinite(since.getTime())).toBe(true);
        checkpoint.readTo({ until: dateOf(state.readUntil) });
        expect(parseState(serializeState(checkpoint.state(new Date(T0))), identity).ok).toBe(true);
      }),
      { numRuns: propertyRuns(2_000) },
    );
  });

  it('serialize → parse round-trips any valid state exactly, with or without a checkpoint', () => {
    fc.assert(
      fc.property(fc.oneof(validState, noCheckpointState), (state) => {
        expect(parseState(serializeState(state), identity)).toEqual({ ok: true, state });
      }),
      { numRuns: propertyRuns(1_000) },
    );
  });

  it('a byte-order mark (an editor on Windows) is accepted; another identity is refused naming the field', () => {
    fc.assert(
      fc.property(validState, fc.constantFrom('api', 'tenant', 'endpoint'), fc.string({ minLength: 1 }), (state, key, other) => {
        expect(parseState(`\uFEFF${serializeState(state)}`, identity)).toEqual({ ok: true, state });
        fc.pre(other !== identity[key]);
        const result = parseState(serializeState({ ...state, [key]: other }), identity);
        expect(result.ok).toBe(false);
        if (!result.ok) expect(result.reason).toContain(`belongs to ${key}`);
      }),
      { numRuns: propertyRuns(300) },
    );
  });
});

describe('Checkpoint', () => {
  const record = (key: string, time: string): AlertRecord => ({ raw: Buffer.from('{}'), id: key, updatedAt: time, key: `${key}|${time}` });

  it('admit never returns true twice for a key, whatever the keys and times', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.constantFrom('a', 'b', 'c|x', ''), fc.oneof(timestamp, fc.string())), { maxLength: 60 }),
        fc.option(validState, { nil: undefined }),
        (calls, previous) => {
          const checkpoint = new Checkpoint(identity, previous, 10 * MIN);
          checkpoint.startFrom(new Date(T0));
          const admitted = new Set<string>();
          for (const [id, time] of calls) {
            const alert = record(id, time);
            if (checkpoint.admit(alert)) {
              expect(admitted.has(alert.key)).toBe(false);
              admitted.add(alert.key);
            }
          }
        },
      ),
    );
  });

  it('readUntil never goes back, whatever order readTo is called in', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 1_000 * HOUR }), { minLength: 1, maxLength: 20 }),
        fc.integer({ min: 0, max: 5 * HOUR }),
        (offsets, overlapMs) => {
          const checkpoint = new Checkpoint(identity, undefined, overlapMs);
          checkpoint.startFrom(new Date(T0));
          let max = '';
          for (const offset of offsets) {
            checkpoint.readTo({ until: new Date(T0 + offset) });
            const state = checkpoint.state(new Date(T0));
            if (timestampOf(new Date(T0 + offset)) > max) max = timestampOf(new Date(T0 + offset));
            expect(state.readUntil).toBe(max);
            expect(state.recentSince <= state.readUntil).toBe(true);
          }
        },
      ),
    );
  });

  /**
   * A model of the schedule: alerts reach the API at `arriveMs` with a LastProcessedTimeUtc at
   * most `overlap` earlier (the documented limit of lateness); runs at arbitrary times read
   * [since, now] in windows from a state that went through the file format; the API answers a
   * window with the alerts arrived so far whose time is inside it, both ends included.
   */
  const schedule = fc.record({
    overlapMs: fc.integer({ min: 0, max: 120 }).map((m) => m * MIN),
    windowMs: fc.integer({ min: 1, max: 180 }).map((m) => m * MIN),
    // --window auto sizes windows by what the last ones held: any sizes must keep every guarantee.
    adaptive: fc.boolean(),
    firstBackMs: fc.integer({ min: 0, max: 4 * HOUR }),
    gapsMs: fc.array(fc.integer({ min: 0, max: 3 * HOUR }), { minLength: 1, maxLength: 6 }),
    alerts: fc.array(
      fc.record({
        id: fc.integer({ min: 0, max: 12 }),
        arriveMs: fc.integer({ min: 0, max: 12 * HOUR }),
        lateness: fc.double({ min: 0, max: 1, noNaN: true }),
        subMs: fc.integer({ min: 0, max: 9999 }),
      }),
      { maxLength: 40 },
    ),
  });

  it('over any schedule: every alert delivered exactly once; readUntil monotonic; kept keys cover exactly [recentSince, readUntil]', () => {
    fc.assert(
      fc.property(schedule, ({ overlapMs, windowMs, adaptive, firstBackMs, gapsMs, alerts }) => {
        const store = alerts.map((a) => {
          const ms = a.arriveMs - Math.floor(a.lateness * overlapMs);
          const time = `${new Date(T0 + ms).toISOString().slice(0, 23)}${String(a.subMs).padStart(4, '0')}Z`;
          return { arriveMs: T0 + a.arriveMs, time, key: `da${a.id}:ioc|${time}` };
        });
        const runTimes: number[] = [];
        let at = T0;
        for (const gap of gapsMs) runTimes.push((at += gap));
        // A last run once every alert has arrived (and some time has passed), to collect the rest.
        runTimes.push(Math.max(at, ...store.map((a) => a.arriveMs)) + 1);
        const firstSince = new Date(runTimes[0]! - firstBackMs);

        let text: string | undefined;
        let lastReadUntil = '';
        const delivered: string[] = [];
        for (const nowMs of runTimes) {
          const parsed = text === undefined ? undefined : parseState(text, identity);
          if (parsed && !parsed.ok) throw new Error(`a state we wrote was refused: ${parsed.reason}\n${text}`);
          const checkpoint = new Checkpoint(identity, parsed?.state, overlapMs);
          const { since } = checkpoint.startFrom(firstSince);
          const plan = new WindowPlan(since, new Date(nowMs), {
            initialMs: windowMs,
            adaptive,
            targetAlerts: 3,
            minMs: MIN,
            maxMs: 24 * HOUR,
          });
          for (let window = plan.next(); window !== undefined; window = plan.next()) {
            const [from, to] = [timestampOf(window.since), timestampOf(window.until)];
            let answered = 0;
            for (const a of store) {
              if (a.arriveMs > nowMs || a.time < from || a.time > to) continue;
              answered++;
              if (checkpoint.admit({ raw: Buffer.from('{}'), id: a.key, updatedAt: a.time, key: a.key })) delivered.push(a.key);
            }
            plan.done(window, answered);
            checkpoint.readTo(window);
            const state = checkpoint.state(new Date(nowMs));
            // readUntil never goes back, within a run or across runs.
            expect(state.readUntil >= lastReadUntil).toBe(true);
            lastReadUntil = state.readUntil;
            // The kept keys: none older than recentSince, and every delivered one in the range.
            for (const key of state.recent) {
              const time = normalizeTimestamp(key.slice(key.lastIndexOf('|') + 1));
              if (time !== undefined) expect(time >= state.recentSince).toBe(true);
            }
            const kept = new Set(state.recent);
            for (const key of delivered) {
              const time = key.slice(key.lastIndexOf('|') + 1);
              if (time >= state.recentSince && time <= state.readUntil) expect(kept.has(key)).toBe(true);
            }
            text = serializeState(state);
          }
        }
        // Exactly once: no key twice; every alert at or after the first --since delivered.
        expect(new Set(delivered).size).toBe(delivered.length);
        const wanted = new Set(store.filter((a) => a.time >= timestampOf(firstSince)).map((a) => a.key));
        for (const key of wanted) expect(delivered).toContain(key);
      }),
      { numRuns: propertyRuns(500) },
    );
  });
});
