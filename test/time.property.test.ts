/**
 * Property-based tests of the time parsers (`--since`/`--until`, `--ago`): for any input they
 * return a real instant or throw TimeParseError — never another error, never an Invalid Date —
 * and every form they document means what it says.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isoDuration, parseDuration, parseIsoDuration, parseTimeOption, TimeParseError } from '../src/time.js';

const UNIT_MS = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;
const NOW = new Date('2024-05-01T12:00:00.000Z');
/** The form every release has read: a whole number, maybe a space, one unit (`90s`, `15 m`). */
const ONE_UNIT = [fc.integer({ min: 0, max: 999_999_999 }), fc.constantFrom('s', 'm', 'h', 'd'), fc.constantFrom('', ' ')] as const;
// Dates the ISO form can express: years 0000-9999.
const anyDate = fc.date({ min: new Date('0001-01-01T00:00:00Z'), max: new Date('9999-12-31T23:59:59.999Z'), noInvalidDate: true });
const pad = (n: number, width = 2): string => String(Math.abs(n)).padStart(width, '0');

function outcome(run: () => number | Date): 'ok' | 'refused' {
  try {
    const value = run();
    const ms = value instanceof Date ? value.getTime() : value;
    expect(Number.isFinite(ms)).toBe(true);
    return 'ok';
  } catch (err) {
    expect(err).toBeInstanceOf(TimeParseError);
    return 'refused';
  }
}

describe('parseTimeOption', () => {
  it('any text: an instant or a TimeParseError', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 40 }), (text) => void outcome(() => parseTimeOption(text, NOW))));
    fc.assert(
      fc.property(
        fc.stringMatching(/^\s?\d{1,4}-\d{1,2}-\d{1,2}([T ]\d{1,2}:\d{1,2}(:\d{1,2}(\.\d{1,9})?)?)?(Z|[+-]\d{2}:?\d{2})?\s?$/),
        (text) => void outcome(() => parseTimeOption(text, NOW)),
      ),
    );
  });

  it('a relative time is exactly that long before now', () => {
    fc.assert(
      fc.property(...ONE_UNIT, (n, unit, space) => {
        const expected = NOW.getTime() - n * UNIT_MS[unit];
        // Before the earliest JavaScript Date (about 271 821 BC) the answer is a clear refusal.
        if (Number.isNaN(new Date(expected).getTime()))
          expect(() => parseTimeOption(`${n}${space}${unit}`, NOW)).toThrow(/too far in the past/);
        else expect(parseTimeOption(`${n}${space}${unit}`, NOW).getTime()).toBe(expected);
      }),
    );
  });

  it("an ISO-8601 UTC time round-trips to the same instant (toISOString and the API's 7-digit form)", () => {
    fc.assert(
      fc.property(anyDate, fc.integer({ min: 0, max: 9999 }), (date, extra) => {
        expect(parseTimeOption(date.toISOString(), NOW).getTime()).toBe(date.getTime());
        // Defender writes 7 fractional digits; the extra digits below a millisecond are dropped.
        const seven = date.toISOString().replace(/\.(\d{3})Z$/, (_, ms: string) => `.${ms}${pad(extra, 4)}Z`);
        expect(parseTimeOption(seven, NOW).getTime()).toBe(date.getTime());
        // No zone means UTC.
        expect(parseTimeOption(date.toISOString().slice(0, -1), NOW).getTime()).toBe(date.getTime());
      }),
    );
  });

  it('a time with an offset names the same instant as its UTC form', () => {
    fc.assert(
      fc.property(
        fc.date({ min: new Date('1971-01-01T00:00:00Z'), max: new Date('9998-12-31T00:00:00Z'), noInvalidDate: true }),
        fc.integer({ min: -14 * 60, max: 14 * 60 }),
        fc.boolean(),
        (date, offsetMin, colon) => {
          const local = new Date(date.getTime() + offsetMin * 60_000).toISOString().slice(0, 23);
          const sign = offsetMin < 0 ? '-' : '+';
          const zone = `${sign}${pad(Math.trunc(offsetMin / 60))}${colon ? ':' : ''}${pad(offsetMin % 60)}`;
          expect(parseTimeOption(`${local}${zone}`, NOW).getTime()).toBe(date.getTime());
        },
      ),
    );
  });

  it('a calendar date that does not exist is refused, never rolled over', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1970, max: 2100 }), fc.integer({ min: 1, max: 12 }), fc.integer({ min: 29, max: 31 }), (y, m, d) => {
        const exists = new Date(Date.UTC(y, m - 1, d)).getUTCDate() === d;
        const text = `${y}-${pad(m)}-${pad(d)}T00:00:00Z`;
        if (exists) expect(parseTimeOption(text, NOW).toISOString()).toBe(`${y}-${pad(m)}-${pad(d)}T00:00:00.000Z`);
        else expect(() => parseTimeOption(text, NOW)).toThrow(TimeParseError);
      }),
    );
  });
});

describe('parseIsoDuration', () => {
  it('any text: a positive length or a TimeParseError', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 30 }), (text) => void outcome(() => parseIsoDuration(text))));
    fc.assert(
      fc.property(
        fc.stringMatching(/^[Pp](\d{0,3}[Dd])?([Tt](\d{0,3}[Hh])?(\d{0,3}[Mm])?(\d{0,3}(\.\d{0,3})?[Ss])?)?$/),
        (text) => void outcome(() => parseIsoDuration(text)),
      ),
    );
  });

  it('PnDTnHnMnS is exactly its parts added up', () => {
    const part = fc.option(fc.integer({ min: 0, max: 999 }), { nil: undefined });
    fc.assert(
      fc.property(part, part, part, part, (d, h, m, s) => {
        const time = `${h !== undefined ? `${h}H` : ''}${m !== undefined ? `${m}M` : ''}${s !== undefined ? `${s}S` : ''}`;
        const text = `P${d !== undefined ? `${d}D` : ''}${time ? `T${time}` : ''}`;
        const ms = (d ?? 0) * UNIT_MS.d + (h ?? 0) * UNIT_MS.h + (m ?? 0) * UNIT_MS.m + (s ?? 0) * UNIT_MS.s;
        if (ms > 0) expect(parseIsoDuration(text)).toBe(ms);
        else expect(() => parseIsoDuration(text)).toThrow(TimeParseError);
      }),
    );
  });
});

describe('parseDuration', () => {
  /** A length in parts: weeks, days, hours, minutes, seconds (any may be left out). */
  const part = fc.option(fc.integer({ min: 0, max: 999 }), { nil: undefined });
  const parts = fc.record({ w: part, d: part, h: part, m: part, s: part });
  const msOf = (p: Record<keyof typeof UNIT_MS, number | undefined>): number =>
    (Object.keys(UNIT_MS) as (keyof typeof UNIT_MS)[]).reduce((ms, unit) => ms + (p[unit] ?? 0) * UNIT_MS[unit], 0);

  it('any text: a length of zero or more or a TimeParseError', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 30 }), (text) => void outcome(() => parseDuration(text))));
    fc.assert(
      fc.property(
        fc.stringMatching(/^\s?(\d{0,3}[wdhms]\s?){0,4}$|^[Pp](\d{0,3}[WwDd]){0,2}([Tt](\d{0,3}[HhMmSs]){0,3})?$/),
        (text) => void outcome(() => parseDuration(text)),
      ),
    );
  });

  it('what it read before means the same: n and one unit is exactly n of that unit', () => {
    fc.assert(
      fc.property(...ONE_UNIT, (n, unit, space) => {
        expect(parseDuration(`${n}${space}${unit}`)).toBe(n * UNIT_MS[unit]);
      }),
    );
  });

  it('a compound and its ISO-8601 form are the same length: their parts added up', () => {
    fc.assert(
      fc.property(parts, fc.constantFrom('', ' '), (p, space) => {
        const units = (['w', 'd', 'h', 'm', 's'] as const).filter((unit) => p[unit] !== undefined);
        fc.pre(units.length > 0);
        const compound = units.map((unit) => `${p[unit]}${unit}`).join(space);
        const date = `${p.w !== undefined ? `${p.w}W` : ''}${p.d !== undefined ? `${p.d}D` : ''}`;
        const time = `${p.h !== undefined ? `${p.h}H` : ''}${p.m !== undefined ? `${p.m}M` : ''}${p.s !== undefined ? `${p.s}S` : ''}`;
        const iso = `P${date}${time ? `T${time}` : ''}`;
        expect(parseDuration(compound)).toBe(msOf(p));
        expect(parseDuration(iso)).toBe(msOf(p));
      }),
    );
  });

  it('the ISO-8601 form of any whole length reads back to it, as a duration and as the API form', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 3650 * UNIT_MS.d }), (ms) => {
        expect(parseDuration(isoDuration(ms))).toBe(ms);
        expect(parseIsoDuration(isoDuration(ms))).toBe(ms);
      }),
    );
  });

  it('--since takes every duration as that long before now', () => {
    fc.assert(
      fc.property(parts, (p) => {
        const units = (['w', 'd', 'h', 'm', 's'] as const).filter((unit) => p[unit] !== undefined);
        fc.pre(units.length > 0);
        const text = units.map((unit) => `${p[unit]}${unit}`).join('');
        expect(parseTimeOption(text, NOW).getTime()).toBe(NOW.getTime() - parseDuration(text));
      }),
    );
  });
});
