import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compilePrecheck } from '../../src/alert/precheck.js';
import { SIEM_FIELD_KINDS, SiemAlertSchema } from '../../src/alert/siem-schema.js';
import { validateAlert } from '../../src/alert/validate.js';
import { AlertStore } from '../../simulator/store.js';
import { propertyRuns } from '../helpers/property-runs.js';

const precheck = compilePrecheck(SIEM_FIELD_KINDS);
const FIXTURE = new URL('../fixtures/siem-api-alerts-msdocs.json', import.meta.url);

/** Values valid and invalid for every kind, edge cases first. */
const anyValue = fc.oneof(
  fc.constantFrom(
    undefined,
    null,
    '',
    'x',
    0,
    1,
    -1,
    1.5,
    1e21,
    true,
    false,
    [],
    {},
    '2020-09-30T14:11:44.0779765Z',
    '2020-13-30T14:11:44Z',
    '2020-09-30T14:11:44.12345678Z',
  ),
  fc.string(),
  fc.double(),
  fc.integer(),
  fc.boolean(),
);
const fields = Object.keys(SIEM_FIELD_KINDS);
const alertLike = fc
  .tuple(fc.array(fc.tuple(fc.constantFrom(...fields), anyValue)), fc.dictionary(fc.string(), anyValue, { maxKeys: 3 }))
  .map(([known, extra]) => {
    const alert: Record<string, unknown> = { AlertId: 'da1_2', LastProcessedTimeUtc: '2020-09-30T14:11:44Z', ...extra };
    for (const [field, value] of known) {
      if (value === undefined) delete alert[field];
      else alert[field] = value;
    }
    return alert;
  });

describe('the SIEM alert precheck', () => {
  it('never accepts what the zod schema rejects', () => {
    fc.assert(
      fc.property(alertLike, (alert) => {
        if (precheck(alert)) expect(SiemAlertSchema.safeParse(alert).success).toBe(true);
      }),
      { numRuns: propertyRuns(3000) },
    );
  });

  it("accepts the documented examples and the simulator's alerts, so they skip zod", () => {
    const documented = JSON.parse(readFileSync(FIXTURE, 'utf8')) as unknown[];
    for (const alert of documented) expect(precheck(alert)).toBe(true);
    const now = new Date('2026-03-01T12:00:00Z');
    const store = new AlertStore({ now, initial: 2000 });
    for (const alert of store.query({ sinceTimeUtc: '2000-01-01' }, now).alerts)
      expect(precheck(JSON.parse(JSON.stringify(alert)))).toBe(true);
  });

  it('leaves every failure to zod, so its messages still explain it', () => {
    for (const alert of [
      null,
      [],
      'a',
      { AlertId: '' },
      { AlertId: 'a', LastProcessedTimeUtc: 'yesterday' },
      { AlertId: 'a', LastProcessedTimeUtc: '2020-09-30T14:11:44Z', AlertPart: 1.5 },
    ]) {
      expect(precheck(alert)).toBe(false);
    }
    const result = validateAlert(
      SiemAlertSchema,
      Buffer.from('{"AlertId":"a","LastProcessedTimeUtc":"2020-09-30T14:11:44Z","ReportID":"7"}'),
    );
    expect(result).toMatchObject({ ok: false, alertId: 'a', problems: ['ReportID: expected an integer, "" or null, got "7"'] });
  });

  it('does not take an inherited property for a field', () => {
    const kinds = { toString: 'identity' } as const;
    expect(compilePrecheck(kinds)({})).toBe(false);
    expect(compilePrecheck(kinds)({ toString: 'x' })).toBe(true);
  });
});
