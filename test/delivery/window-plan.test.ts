import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Window } from '../../src/time.js';
import { WindowPlan, type WindowPlanOptions } from '../../src/delivery/window-plan.js';
import { propertyRuns } from '../helpers/property-runs.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const SINCE = new Date('2026-10-01T00:00:00Z');
const auto = (over: Partial<WindowPlanOptions> = {}): WindowPlanOptions => ({
  initialMs: HOUR,
  adaptive: true,
  targetAlerts: 4000,
  minMs: MIN,
  maxMs: DAY,
  ...over,
});

/** Plans the whole range, telling each window it held `alertsPerHour` alerts an hour. */
function planAll(plan: WindowPlan, alertsPerHour: (w: Window) => number): Window[] {
  const windows: Window[] = [];
  for (let w = plan.next(); w !== undefined; w = plan.next()) {
    windows.push(w);
    plan.done(w, Math.round((alertsPerHour(w) * (w.until.getTime() - w.since.getTime())) / HOUR));
  }
  return windows;
}

const lengths = (windows: Window[]) => windows.map((w) => (w.until.getTime() - w.since.getTime()) / HOUR);

describe('WindowPlan', () => {
  it('no window for an empty range', () => {
    expect(new WindowPlan(SINCE, SINCE, auto()).next()).toBeUndefined();
  });

  it('fixed: equal windows, the last one cut at the end, whatever they held', () => {
    const plan = new WindowPlan(SINCE, new Date(SINCE.getTime() + 2.5 * HOUR), auto({ adaptive: false }));
    expect(plan.estimate()).toBe(3);
    expect(lengths(planAll(plan, () => 0))).toEqual([1, 1, 0.5]);
  });

  it('adaptive: sparse windows grow fourfold at most, up to a day', () => {
    const plan = new WindowPlan(SINCE, new Date(SINCE.getTime() + 30 * DAY), auto());
    const windows = planAll(plan, () => 10);
    expect(lengths(windows).slice(0, 5)).toEqual([1, 4, 16, 24, 24]);
    expect(windows).toHaveLength(3 + Math.ceil((30 * 24 - 21) / 24));
  });

  it('adaptive: a window holds about the target, and dense hours shrink the next window at once', () => {
    const plan = new WindowPlan(SINCE, new Date(SINCE.getTime() + 10 * DAY), auto());
    const busyFrom = SINCE.getTime() + 3 * DAY;
    const windows = planAll(plan, (w) => (w.since.getTime() >= busyFrom ? 8000 : 400));
    const sparse = windows.filter((w) => w.until.getTime() <= busyFrom).slice(3);
    // 400 an hour: 4000 alerts are ten hours.
    expect(lengths(sparse).every((h) => h === 10)).toBe(true);
    // 8000 an hour (once the last few windows are all busy): half an hour.
    for (const h of lengths(windows.slice(-3)).slice(0, 2)) expect(h).toBeCloseTo(0.5, 3);
  });

  it('adaptive: never shorter than the minimum', () => {
    const plan = new WindowPlan(SINCE, new Date(SINCE.getTime() + 3 * HOUR), auto());
    const windows = planAll(plan, () => 10_000_000);
    expect(Math.min(...lengths(windows).slice(0, -1))).toBe(1 / 60);
  });

  it('any sizes, any order of done(): consecutive windows that cover the range exactly', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 3 * DAY }),
        fc.array(fc.nat({ max: 20_000 }), { minLength: 1, maxLength: 50 }),
        fc.integer({ min: 1, max: 8 }),
        fc.boolean(),
        (rangeMs, counts, ahead, adaptive) => {
          const until = new Date(SINCE.getTime() + rangeMs);
          const plan = new WindowPlan(SINCE, until, auto({ adaptive }));
          const windows: Window[] = [];
          const open: Window[] = [];
          let i = 0;
          for (;;) {
            // Up to `ahead` windows planned before one is done, done in any order (as --parallel).
            while (open.length < ahead) {
              const w = plan.next();
              if (w === undefined) break;
              windows.push(w);
              open.push(w);
            }
            if (open.length === 0) break;
            const w = open.splice(counts[i % counts.length]! % open.length, 1)[0]!;
            plan.done(w, counts[i++ % counts.length]!);
          }
          expect(windows[0]!.since).toEqual(SINCE);
          expect(windows.at(-1)!.until).toEqual(until);
          for (let k = 1; k < windows.length; k++) expect(windows[k]!.since).toEqual(windows[k - 1]!.until);
          for (const w of windows) expect(w.until.getTime()).toBeGreaterThan(w.since.getTime());
        },
      ),
      { numRuns: propertyRuns(150) },
    );
  });
});
