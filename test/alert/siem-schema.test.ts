import { readFileSync } from 'node:fs';

import { describe, expect, it } from 'vitest';

import { SiemAlertSchema } from '../../src/alert/siem-schema.js';
import { formatPath, validateAlert } from '../../src/alert/validate.js';
import { MSDOCS_EXAMPLE_2017 } from '../../simulator/msdocs-examples.js';

const FIXTURE = new URL('../fixtures/siem-api-alerts-msdocs.json', import.meta.url);
const documented: Record<string, unknown>[] = JSON.parse(readFileSync(FIXTURE, 'utf8'));

/** Microsoft's 2017 documentation example (the seed's): `null` for absent values, `IoaDefinitiondId` (sic). */
const ALERT_2017 = { ...MSDOCS_EXAMPLE_2017 };

/** A real 2018 answer's style: empty values simply left out. */
const ALERT_SPARSE = {
  AlertTime: '2018-08-02T13:35:39.6004498Z',
  AlertTitle: 'Suspicious process discovery',
  Severity: 'Low',
  AlertId: 'da636688141398521434_1430461826',
  AlertPart: 0,
  LastProcessedTimeUtc: '2018-08-02T13:37:34Z',
  Source: 'EDR',
  RemediationIsSuccess: false,
};

const base = { AlertId: 'da1_2', LastProcessedTimeUtc: '2020-09-30T14:11:44.0779765Z' };

function problemsOf(alert: unknown): string[] {
  const result = validateAlert(SiemAlertSchema, Buffer.from(JSON.stringify(alert)));
  return result.ok ? [] : result.problems;
}

describe('SiemAlertSchema', () => {
  it('accepts every alert of the documented response example, unchanged', () => {
    expect(documented.length).toBeGreaterThan(0);
    for (const alert of documented) {
      const result = SiemAlertSchema.safeParse(alert);
      expect(result.error?.issues ?? []).toEqual([]);
      expect(result.data).toEqual(alert);
    }
  });

  it('declares the 50 documented fields (and the 2017 spelling of IoaDefinitionId)', () => {
    const declared = Object.keys(SiemAlertSchema.shape);
    expect(declared).toHaveLength(51);
    expect(declared.filter((key) => key !== 'IoaDefinitiondId').sort()).toEqual(Object.keys(documented[0]!).sort());
  });

  it('accepts a 2017-style alert with nulls and the IoaDefinitiondId spelling', () => {
    const result = SiemAlertSchema.safeParse(ALERT_2017);
    expect(result.success).toBe(true);
    expect(result.data?.IoaDefinitiondId).toBe('7f1c3609-a3ff-40e2-995b-c01770161d68');
  });

  it('accepts an alert that omits its empty keys', () => {
    expect(problemsOf(ALERT_SPARSE)).toEqual([]);
    expect(problemsOf(base)).toEqual([]);
  });

  it('accepts "" and null wherever a value may be absent, FullId included', () => {
    const absent = Object.fromEntries(
      Object.keys(SiemAlertSchema.shape)
        .filter((key) => key !== 'AlertId' && key !== 'LastProcessedTimeUtc')
        .map((key) => [key, null]),
    );
    expect(problemsOf({ ...absent, ...base })).toEqual([]);
    const empty = Object.fromEntries(Object.keys(absent).map((key) => [key, '']));
    expect(problemsOf({ ...empty, ...base })).toEqual([]);
  });

  it('requires AlertId and LastProcessedTimeUtc, naming the path', () => {
    expect(problemsOf({ ...ALERT_SPARSE, AlertId: undefined })).toEqual(['AlertId: required']);
    expect(problemsOf({ ...ALERT_SPARSE, AlertId: '' })).toEqual(['AlertId: must not be empty']);
    expect(problemsOf({ ...ALERT_SPARSE, AlertId: null })).toEqual(['AlertId: Invalid input: expected string, received null']);
    expect(problemsOf({ ...ALERT_SPARSE, LastProcessedTimeUtc: undefined })).toEqual(['LastProcessedTimeUtc: required']);
  });

  it.each(['2017-01-23T11:33:45Z', '2017-01-23T11:33:45.1Z', '2017-01-23T11:33:45.0760449Z', '2024-02-29T23:59:59.999Z'])(
    'accepts the UTC timestamp %s',
    (timestamp) => {
      expect(problemsOf({ ...base, LastProcessedTimeUtc: timestamp })).toEqual([]);
    },
  );

  it.each([
    '2017-01-23T11:33:45.07604491Z', // 8 fraction digits
    '2017-01-23 11:33:45',
    '2017-01-23T11:33:45.0760449+01:00',
    '2017-01-23T11:33:45',
    '2017-13-23T11:33:45Z',
    '',
  ])('rejects the timestamp %j', (timestamp) => {
    const problems = problemsOf({ ...base, LastProcessedTimeUtc: timestamp });
    expect(problems).toEqual(['LastProcessedTimeUtc: expected an ISO-8601 UTC timestamp like 2020-09-30T14:11:44.0779765Z']);
  });

  it('rejects wrong types, one problem per field', () => {
    const problems = problemsOf({
      ...base,
      Severity: 3,
      AlertPart: '0',
      ReportID: 1.5,
      RemediationIsSuccess: 'yes',
      WasExecutingWhileDetected: 0,
      FullId: ['x'],
    });
    expect(problems).toEqual([
      'FullId: Invalid input: expected string, received array',
      'Severity: Invalid input: expected string, received number',
      'AlertPart: expected an integer, "" or null, got "0"',
      'RemediationIsSuccess: expected true, false, "" or null, got "yes"',
      'WasExecutingWhileDetected: expected true, false, "" or null, got number',
      'ReportID: expected an integer',
    ]);
  });

  it('accepts integers beyond 2^53 (JSON.parse rounds them, the output keeps the bytes)', () => {
    const raw = Buffer.from(`{"AlertId":"a","LastProcessedTimeUtc":"2020-09-30T14:11:44Z","ReportID":123456789012345678901}`);
    expect(validateAlert(SiemAlertSchema, raw).ok).toBe(true);
  });

  it('keeps unknown fields', () => {
    const alert = { ...base, ThreatFamilyName: 'Mimikatz', IPAddress: '10.0.0.1', Extra: { nested: [1, 2] } };
    const result = SiemAlertSchema.safeParse(alert);
    expect(result.data).toEqual(alert);
  });
});

describe('validateAlert', () => {
  it('returns the parsed value', () => {
    const result = validateAlert(SiemAlertSchema, Buffer.from(JSON.stringify(ALERT_2017)));
    expect(result).toEqual({ ok: true, value: ALERT_2017 });
  });

  it('names the alert that failed', () => {
    const result = validateAlert(SiemAlertSchema, Buffer.from('{"AlertId":"da42_1","Severity":1}'));
    expect(result).toEqual({
      ok: false,
      alertId: 'da42_1',
      problems: ['LastProcessedTimeUtc: required', 'Severity: Invalid input: expected string, received number'],
    });
  });

  it('falls back to `id` for the newer APIs, and to undefined', () => {
    const withId = validateAlert(SiemAlertSchema, Buffer.from('{"id":"da99_9"}'));
    expect(withId.ok ? undefined : withId.alertId).toBe('da99_9');
    const without = validateAlert(SiemAlertSchema, Buffer.from('{"Severity":"High"}'));
    expect(without.ok ? 'ok' : without.alertId).toBeUndefined();
  });

  it('reports invalid JSON as a problem instead of throwing, still naming the alert', () => {
    const result = validateAlert(SiemAlertSchema, Buffer.from('{"AlertId":"da7_7","n":12}}'));
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.alertId).toBe('da7_7');
    expect(result.problems).toHaveLength(1);
    expect(result.problems[0]).toMatch(/^\(root\): not valid JSON \(/);
  });

  it('reports an element that is not an object', () => {
    for (const raw of ['[1,2]', '"text"', 'null', '42']) {
      const result = validateAlert(SiemAlertSchema, Buffer.from(raw));
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.problems[0]).toMatch(/^\(root\): Invalid input: expected object/);
    }
  });

  it('formats nested paths', () => {
    expect(formatPath([])).toBe('(root)');
    expect(formatPath(['evidence', 0, 'sha1'])).toBe('evidence[0].sha1');
  });
});
