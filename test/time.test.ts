import { describe, expect, it } from 'vitest';
import { formatUtc, isoDuration, parseDuration, parseIsoDuration, parseTimeOption, TimeParseError } from '../src/time.js';

const now = new Date('2024-05-01T12:00:00.000Z');

describe('parseTimeOption', () => {
  it.each([
    ['90s', '2024-05-01T11:58:30.000Z'],
    ['15m', '2024-05-01T11:45:00.000Z'],
    ['2h', '2024-05-01T10:00:00.000Z'],
    ['7d', '2024-04-24T12:00:00.000Z'],
    [' 2h ', '2024-05-01T10:00:00.000Z'],
  ])('reads the relative time %s as that long before now', (input, expected) => {
    expect(parseTimeOption(input, now).toISOString()).toBe(expected);
  });

  it.each([
    ['2024-04-30T08:15:00Z', '2024-04-30T08:15:00.000Z'],
    ['2024-04-30T08:15:00', '2024-04-30T08:15:00.000Z'],
    ['2024-04-30 08:15', '2024-04-30T08:15:00.000Z'],
    ['2024-04-30', '2024-04-30T00:00:00.000Z'],
    ['2024-04-30T08:15:00.1861171Z', '2024-04-30T08:15:00.186Z'],
    ['2024-04-30T10:15:00+02:00', '2024-04-30T08:15:00.000Z'],
    ['2024-04-30T03:15:00-0500', '2024-04-30T08:15:00.000Z'],
  ])('reads the ISO-8601 time %s (no zone = UTC)', (input, expected) => {
    expect(parseTimeOption(input, now).toISOString()).toBe(expected);
  });

  it.each([
    ['2h30m', '2024-05-01T09:30:00.000Z'],
    ['1w', '2024-04-24T12:00:00.000Z'],
    ['PT2H', '2024-05-01T10:00:00.000Z'],
    ['P1D', '2024-04-30T12:00:00.000Z'],
  ])('reads the duration %s as that long before now, in any form a duration takes', (input, expected) => {
    expect(parseTimeOption(input, now).toISOString()).toBe(expected);
  });

  it.each(['yesterday', '30m2h', '-2h', '2 hours', '2024-02-30', '2024-13-01', '2024-05-01T25:00:00Z', '', '12', 'P', '2H'])(
    'rejects %j with a message naming the accepted forms',
    (input) => {
      expect(() => parseTimeOption(input, now)).toThrow(TimeParseError);
    },
  );
});

describe('parseIsoDuration', () => {
  it.each([
    ['PT10M', 600_000],
    ['PT2H', 7_200_000],
    ['P1D', 86_400_000],
    ['P1DT2H30M', 95_400_000],
    ['PT90S', 90_000],
    ['pt10m', 600_000],
  ])('accepts %s', (input, ms) => {
    expect(parseIsoDuration(input)).toBe(ms);
  });

  it.each(['10m', 'P', 'PT', 'PT0M', 'P1W', 'P1Y', 'PT-5M'])('rejects %s', (input) => {
    expect(() => parseIsoDuration(input)).toThrow(TimeParseError);
  });
});

describe('parseDuration', () => {
  it.each([
    ['90s', 90_000],
    ['15m', 900_000],
    ['2h', 7_200_000],
    ['7d', 604_800_000],
    ['2 h', 7_200_000],
    ['0s', 0],
    ['2h30m', 9_000_000],
    ['1d12h', 129_600_000],
    ['2h 30m', 9_000_000],
    ['1w', 604_800_000],
    ['1w2d', 777_600_000],
    ['PT2H', 7_200_000],
    ['P1D', 86_400_000],
    ['P1W', 604_800_000],
    ['pt1.5s', 1500],
    ['PT0S', 0],
  ])('reads %s', (input, ms) => {
    expect(parseDuration(input)).toBe(ms);
  });

  it.each(['', '2', '2H', '30m2h', '2h2h', '1.5h', 'P', 'PT', 'P1Y', 'P1M', '-5m', 'two hours'])(
    'refuses %j, naming the forms',
    (input) => {
      expect(() => parseDuration(input)).toThrow(/not a duration such as 90s, 15m, 2h30m, 7d, 1w or PT2H/);
    },
  );
});

describe('isoDuration', () => {
  it.each([
    [1, 'PT0.001S'],
    [90_000, 'PT1M30S'],
    [9_000_000, 'PT2H30M'],
    [604_800_000, 'P7D'],
    [95_400_000, 'P1DT2H30M'],
    [0, 'PT0S'],
  ])('writes %i ms as %s', (ms, iso) => {
    expect(isoDuration(ms)).toBe(iso);
  });
});

describe('formatUtc', () => {
  it('writes ISO-8601 UTC with a Z', () => {
    expect(formatUtc(new Date(Date.UTC(2016, 8, 12)))).toBe('2016-09-12T00:00:00.000Z');
  });
});
