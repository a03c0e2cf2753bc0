import { describe, expect, it } from 'vitest';
import { formatTicks, formatTicksTrimmed, parseDuration, parseTimestamp, ticksFromDate } from '../../simulator/ticks.js';

describe('timestamps as 100-ns ticks', () => {
  it("round-trips Defender's 7-digit form exactly", () => {
    for (const text of ['2017-01-23T11:33:45.0760449Z', '2020-09-30T14:11:44.0779765Z', '1969-12-31T23:59:59.9999999Z']) {
      expect(formatTicks(parseTimestamp(text) ?? 0n)).toBe(text);
    }
  });

  it('keeps two times 100 ns apart distinct and ordered', () => {
    const a = parseTimestamp('2026-03-01T11:00:00.0000001Z') ?? 0n;
    const b = parseTimestamp('2026-03-01T11:00:00.0000002Z') ?? 0n;
    expect(b - a).toBe(1n);
  });

  it('accepts 0–7 fraction digits, with or without Z, T or space, quoted, date only, or an offset', () => {
    const base = parseTimestamp('2016-09-12T00:00:00.0000000Z');
    expect(parseTimestamp('2016-09-12T00:00:00')).toBe(base);
    expect(parseTimestamp('2016-09-12T00:00:00.000')).toBe(base);
    expect(parseTimestamp('"2016-09-12 00:00:00"')).toBe(base);
    expect(parseTimestamp('2016-09-12')).toBe(base);
    expect(parseTimestamp('2016-09-12T02:00:00+02:00')).toBe(base);
    expect(parseTimestamp('2016-09-12T00:00:00.5')).toBe((base ?? 0n) + 5_000_000n);
  });

  it('refuses what is not a timestamp', () => {
    for (const bad of [
      'yesterday',
      '2016-13-01',
      '2016-02-30',
      '2016-09-12T24:00:00',
      '2016-09-12T00:00:00.12345678',
      '"2016-09-12',
      '0016-09-12',
    ]) {
      expect(parseTimestamp(bad)).toBeUndefined();
    }
  });

  it('formats AlertTime the .NET way, trailing zeros trimmed', () => {
    expect(formatTicksTrimmed(parseTimestamp('2020-09-30T14:09:20.3574300Z') ?? 0n)).toBe('2020-09-30T14:09:20.35743Z');
    expect(formatTicksTrimmed(parseTimestamp('2020-09-30T14:09:20Z') ?? 0n)).toBe('2020-09-30T14:09:20Z');
  });

  it('converts a Date', () => {
    expect(formatTicks(ticksFromDate(new Date('2026-01-02T03:04:05.678Z')))).toBe('2026-01-02T03:04:05.6780000Z');
  });
});

describe('ISO-8601 durations', () => {
  it('parses weeks, days, hours, minutes and fractional seconds', () => {
    expect(parseDuration('PT10M')).toBe(600n * 10_000_000n);
    expect(parseDuration('P1DT2H')).toBe(26n * 3600n * 10_000_000n);
    expect(parseDuration('P1W')).toBe(7n * 86400n * 10_000_000n);
    expect(parseDuration('PT0.5S')).toBe(5_000_000n);
  });

  it('refuses months, years, empty and malformed durations', () => {
    for (const bad of ['P1M', 'P1Y', 'P', 'PT', '10m', 'PT-5M', '']) expect(parseDuration(bad)).toBeUndefined();
  });
});
