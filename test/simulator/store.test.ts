import { describe, expect, it } from 'vitest';
import type { SiemAlert } from '../../simulator/alert-types.js';
import { AlertStore, InvalidQueryError } from '../../simulator/store.js';

const NOW = new Date('2026-03-01T12:00:00Z');
const everything = { sinceTimeUtc: '2000-01-01' };

describe('AlertStore', () => {
  it('spreads the initial alerts over the window before now, ascending, examples included', () => {
    const store = new AlertStore({ now: NOW, initial: 500, windowHours: 3, seed: 5 });
    const alerts = [...store.query(everything, NOW).alerts];
    expect(alerts).toHaveLength(500);
    const times = alerts.map((a) => String(a.LastProcessedTimeUtc));
    expect(times).toEqual([...times].sort());
    expect(times[0] && times[0] >= '2026-03-01T09:00:00.0000000Z').toBe(true);
    expect(times.at(-1) && times.at(-1)! <= '2026-03-01T12:00:00.0000000Z').toBe(true);
    expect(alerts.filter((a) => a.AlertId === '636207535742330111_-1114309685')).toHaveLength(1);
    expect(alerts.filter((a) => a.AlertId === 'da637370718981685665_16349121')).toHaveLength(1);
    // Detections of one alert share their LastProcessedTimeUtc: the `>=` checkpoint case.
    expect(new Set(times).size).toBeLessThan(times.length);
  });

  it('is the same store for the same seed and clock', () => {
    const a = [...new AlertStore({ now: NOW, seed: 9 }).query(everything, NOW).alerts];
    const b = [...new AlertStore({ now: NOW, seed: 9 }).query(everything, NOW).alerts];
    expect(a).toEqual(b);
  });

  it('adds `rate` alerts per minute as the clock advances, lazily', () => {
    const store = new AlertStore({ now: NOW, initial: 0, ratePerMinute: 6 });
    expect(store.size(NOW)).toBe(0);
    const later = new Date(NOW.getTime() + 60_000);
    const arrived = [...store.query({ sinceTimeUtc: '2026-03-01T12:00:00Z' }, later).alerts];
    const ids = new Set(arrived.map((a) => a.AlertId));
    expect(ids.size).toBe(6);
    expect(arrived.at(-1)?.LastProcessedTimeUtc).toBe('2026-03-01T12:01:00.0000000Z');
    expect(store.size(later)).toBe(arrived.length);
  });

  it('keeps added alerts in time order, equal times in insertion order', () => {
    const store = new AlertStore({ now: NOW, initial: 0 });
    const a = (id: string, t: string): SiemAlert => ({ AlertId: id, LastProcessedTimeUtc: t });
    store.add([a('late', '2026-03-01T11:30:00.0000000Z'), a('first', '2026-03-01T11:00:00.0000000Z')]);
    store.add([a('second', '2026-03-01T11:00:00.0000000Z')]);
    expect([...store.query({}, NOW).alerts].map((x) => x.AlertId)).toEqual(['first', 'second', 'late']);
    expect(() => store.add([{ AlertId: 'x' }])).toThrow(TypeError);
  });

  it('update() moves every detection of a generated alert to the new time, content unchanged', () => {
    const store = new AlertStore({ now: NOW, initial: 200, includeExamples: false });
    const before = [...store.query(everything, NOW).alerts];
    const counts = new Map<unknown, number>();
    for (const x of before) counts.set(x.AlertId, (counts.get(x.AlertId) ?? 0) + 1);
    const [multi] = [...counts].find(([, n]) => n > 1) ?? [];
    const later = new Date(NOW.getTime() + 5 * 60_000);
    expect(store.update(String(multi), later)).toBe(counts.get(multi));
    const after = [...store.query(everything, later).alerts];
    expect(after).toHaveLength(before.length);
    const moved = after.filter((x) => x.AlertId === multi);
    expect(moved.every((x) => x.LastProcessedTimeUtc === '2026-03-01T12:05:00.0000000Z')).toBe(true);
    expect(after.slice(-moved.length)).toEqual(moved);
    const original = before.filter((x) => x.AlertId === multi);
    expect(moved.map((x) => ({ ...x, LastProcessedTimeUtc: '' }))).toEqual(original.map((x) => ({ ...x, LastProcessedTimeUtc: '' })));
    expect(store.update('no-such-alert', later)).toBe(0);
  });

  it('reports the applied bounds and the count, and refuses bad parameters', () => {
    const store = new AlertStore({ now: NOW, initial: 10 });
    const result = store.query({ ago: 'PT30M' }, NOW);
    expect(result.sinceTimeUtc).toBe('2026-03-01T11:30:00.0000000Z');
    expect(result.untilTimeUtc).toBe('2026-03-01T12:00:00.0000000Z');
    expect(result.count).toBe([...result.alerts].length);
    expect(() => store.query({ limit: '1.5' }, NOW)).toThrow(InvalidQueryError);
    expect(() => store.query({ sinceTimeUtc: 'soon' }, NOW)).toThrow(InvalidQueryError);
  });

  it('does not let an update during a streaming answer shift that answer', () => {
    const store = new AlertStore({ now: NOW, initial: 0 });
    store.add([
      { AlertId: 'a', LastProcessedTimeUtc: '2026-03-01T11:00:00.0000000Z' },
      { AlertId: 'b', LastProcessedTimeUtc: '2026-03-01T11:10:00.0000000Z' },
    ]);
    const iterator = store.query({}, NOW).alerts[Symbol.iterator]();
    expect((iterator.next().value as SiemAlert | undefined)?.AlertId).toBe('a');
    store.update('a', new Date('2026-03-01T11:59:00Z'));
    expect((iterator.next().value as SiemAlert | undefined)?.AlertId).toBe('b');
    expect(iterator.next().done).toBe(true);
  });

  it('generates a million alerts without holding them', () => {
    const store = new AlertStore({ now: NOW, initial: 1_000_000, includeExamples: false });
    expect(store.size(NOW)).toBe(1_000_000);
    const last = [...store.query({ limit: 2 }, NOW).alerts];
    expect(last).toHaveLength(2);
  });
});
