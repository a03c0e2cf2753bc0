/**
 * The precheck on its own: which values of each field kind it passes without zod. Through
 * validateAlert a precheck that says "ask the schema" too often changes no result, only the speed
 * (zod decides), so what it accepts is pinned here.
 */
import { describe, expect, it } from 'vitest';
import { compilePrecheck, UTC_TIMESTAMP, type FieldKind } from '../../src/alert/precheck.js';

/** The precheck of one field `f` of `kind`, applied to that field's value (undefined: missing). */
function passes(kind: FieldKind, value: unknown): boolean {
  const precheck = compilePrecheck({ id: 'identity', f: kind });
  return precheck(value === undefined ? { id: 'a' } : { id: 'a', f: value });
}

const OBJECT = { a: 1 };

describe('compilePrecheck', () => {
  it.each<[FieldKind, unknown[], unknown[]]>([
    ['identity', ['a'], ['', 1, null]],
    ['timestamp', ['2017-01-23T07:32:54.1861171Z'], ['2017-01-23', 1, null]],
    ['text', ['', 'x', null, undefined], [1, true, [], OBJECT]],
    ['integer', [0, -3, '', null, undefined], [1.5, '7', true, Number.NaN]],
    ['flag', [true, false, '', null, undefined], [0, 'true', []]],
    ['number', [0, 1.5, null, undefined], [Number.POSITIVE_INFINITY, Number.NaN, '1', '']],
    ['strings', [[], ['a', ''], null, undefined], [['a', 1], 'a', OBJECT]],
    ['array', [[], [1, OBJECT], null, undefined], ['a', OBJECT, 1]],
    ['typedObjects', [[], [OBJECT, { '@odata.type': 't' }], null, undefined], [[{ '@odata.type': 1 }], [null], [[]], ['a'], OBJECT]],
    ['objects', [[], [OBJECT], OBJECT, null, undefined], [[null], [[]], ['a'], 'a', 1]],
    [
      'account',
      [{}, { userName: 'u', domainName: null }, { userName: undefined, domainName: 'd' }, null, undefined],
      [{ userName: 1 }, { domainName: [] }, [], 'u', 1],
    ],
  ])('%s: passes what is surely valid, asks the schema about the rest', (kind, valid, invalid) => {
    for (const value of valid) expect(passes(kind, value), JSON.stringify(value)).toBe(true);
    for (const value of invalid) expect(passes(kind, value), String(JSON.stringify(value))).toBe(false);
  });

  it('passes only an object: not null, an array or a primitive', () => {
    const precheck = compilePrecheck({ f: 'text' });
    expect(precheck({})).toBe(true);
    for (const value of [null, [], 'a', 1, undefined]) expect(precheck(value)).toBe(false);
  });

  it('checks every field, the last one too', () => {
    const precheck = compilePrecheck({ a: 'text', b: 'text', c: 'integer' });
    expect(precheck({ a: 'x', b: 'y', c: 1 })).toBe(true);
    expect(precheck({ a: 'x', b: 'y', c: 'z' })).toBe(false);
    expect(precheck({ a: 1, b: 'y', c: 1 })).toBe(false);
  });
});

describe('UTC_TIMESTAMP', () => {
  it('takes the API’s form, 0 to 7 fraction digits', () => {
    for (const t of [
      '2017-01-23T07:32:54Z',
      '2017-01-23T07:32:54.1Z',
      '2017-01-23T07:32:54.1861171Z',
      '2020-12-31T23:59:59Z',
      '2020-10-20T19:09:09Z',
    ])
      expect(UTC_TIMESTAMP.test(t), t).toBe(true);
  });

  it('refuses a month, day, hour, minute or second out of range, 8 fraction digits, an offset, anything around it', () => {
    for (const t of [
      '2017-00-23T07:32:54Z',
      '2017-13-23T07:32:54Z',
      '2017-01-00T07:32:54Z',
      '2017-01-32T07:32:54Z',
      '2017-01-23T24:00:00Z',
      '2017-01-23T07:60:54Z',
      '2017-01-23T07:32:60Z',
      '2017-01-23T07:32:54.12345678Z',
      '2017-01-23T07:32:54',
      '2017-01-23T07:32:54+00:00',
      '2017-01-2aT07:32:54Z',
      'x2017-01-23T07:32:54Z',
      '2017-01-23T07:32:54Zx',
      '217-01-23T07:32:54Z',
    ])
      expect(UTC_TIMESTAMP.test(t), t).toBe(false);
  });
});
