/**
 * The SIEM byte check (src/alert/byte-check.ts) may say "valid" only where the full path
 * (JSON.parse + precheck + zod) says valid, and must then extract the same identity fields.
 * Alerts are built from valid ones with field values drawn from tricky pools (wrong types, big
 * and fractional numbers, escapes, nesting, empty strings), keys dropped, repeated or added, and
 * random byte edits on top. The simulator's own alerts must all pass the byte check (the speedup).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SIEM_BYTE_CHECK, SIEM_FIELD_KINDS, SiemAlertSchema } from '../../src/alert/siem-schema.js';
import { validateAlert } from '../../src/alert/validate.js';
import { siemKey } from '../../src/api/siem.js';
import { ALERT_JSON_TEXTS, type SerialisableAlerts } from '../../simulator/alert-stream.js';
import { AlertStore } from '../../simulator/store.js';
import { MSDOCS_EXAMPLE_2017 } from '../../simulator/msdocs-examples.js';

const NOW = new Date('2026-03-01T12:00:00Z');
const answer = new AlertStore({ now: NOW, initial: 300 }).query({ sinceTimeUtc: '2000-01-01T00:00:00Z' }, NOW).alerts as SerialisableAlerts;
const texts = [...answer[ALERT_JSON_TEXTS]()];

const VALUE_TEXTS = [
  '""',
  '"x"',
  '"a\\"b"',
  '"\\u00e9t\\u00E9"',
  '"\\ud800"',
  '"é✓"',
  '"\\x"',
  '"\\u12"',
  '"a\u0001b"',
  '"tab\there"',
  'null',
  'true',
  'false',
  'nul',
  'tru',
  '0',
  '-0',
  '7',
  '-12',
  '1.0',
  '1.5',
  '1e2',
  '1E-2',
  '2.5e1',
  '01',
  '-',
  '1.',
  '.5',
  '1e',
  '123456789012345',
  '1234567890123456789',
  '9'.repeat(400),
  '1e400',
  '[]',
  '[1]',
  '{}',
  '{"a":1}',
  '"2020-09-30T14:11:44.0779765Z"',
  '"2020-09-30T14:11:44Z"',
  '"2020-13-30T14:11:44Z"',
  '"2020-09-30T14:11:44.12345678Z"',
  '"2020-09-30 14:11:44Z"',
  ' "x"',
  '"x" ',
];
const FIELDS = [...Object.keys(SIEM_FIELD_KINDS), 'Extra', 'alertid', '__proto__', 'Alert\\u0049d', 'AlertI', 'AlertIdX'];

/** Members of an object as [key text, value text] pairs, joined into compact JSON-ish bytes. */
function render(members: [string, string][]): Buffer {
  return Buffer.from(`{${members.map(([k, v]) => `"${k}":${v}`).join(',')}}`);
}

function membersOf(text: string): [string, string][] {
  return Object.entries(JSON.parse(text) as Record<string, unknown>).map(([k, v]) => [k, JSON.stringify(v)]);
}

const bases = [...texts.slice(0, 20).map(membersOf), membersOf(JSON.stringify(MSDOCS_EXAMPLE_2017))];

const edit = fc.oneof(
  fc.record({ op: fc.constant('set' as const), field: fc.constantFrom(...FIELDS), value: fc.constantFrom(...VALUE_TEXTS) }),
  fc.record({ op: fc.constant('drop' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('repeat' as const), at: fc.nat(), value: fc.constantFrom(...VALUE_TEXTS) }),
);
const byteEdit = fc.record({ at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }), op: fc.constantFrom('replace', 'insert', 'delete') });

let accepted = 0;
function check(raw: Buffer): void {
  const fields = SIEM_BYTE_CHECK(raw);
  if (fields === undefined) return;
  accepted++;
  const full = validateAlert(SiemAlertSchema, raw);
  expect(full.ok, raw.toString('latin1')).toBe(true);
  if (!full.ok) return;
  const value = full.value;
  expect(fields.AlertId).toBe(value.AlertId);
  expect(fields.LastProcessedTimeUtc).toBe(value.LastProcessedTimeUtc);
  expect(fields.FullId).toBe(value.FullId ?? undefined);
  expect(siemKey(fields as never)).toBe(siemKey(value));
}

describe('SIEM byte check', () => {
  it('accepts every alert the simulator writes, with the fields JSON.parse finds', () => {
    for (const text of texts) {
      const raw = Buffer.from(text);
      expect(SIEM_BYTE_CHECK(raw)).toBeDefined();
      check(raw);
    }
  });

  it('accepts nothing the full validation rejects, and extracts the same identity', () => {
    accepted = 0;
    fc.assert(
      fc.property(
        fc.constantFrom(...bases),
        fc.array(edit, { maxLength: 4 }),
        fc.array(byteEdit, { maxLength: 2 }),
        (base, edits, byteEdits) => {
          const members = base.map(([k, v]) => [k, v] as [string, string]);
          for (const e of edits) {
            if (e.op === 'set') {
              const i = members.findIndex(([k]) => k === e.field);
              if (i >= 0) members[i] = [e.field, e.value];
              else members.push([e.field, e.value]);
            } else if (members.length > 0) {
              const i = e.at % members.length;
              if (e.op === 'drop') members.splice(i, 1);
              else members.push([members[i]![0], e.value]);
            }
          }
          const bytes = [...render(members)];
          for (const b of byteEdits) {
            const at = b.at % (bytes.length + 1);
            if (b.op === 'replace' && at < bytes.length) bytes[at] = b.byte;
            else if (b.op === 'insert') bytes.splice(at, 0, b.byte);
            else bytes.splice(at, 1);
          }
          check(Buffer.from(bytes));
        },
      ),
      { numRuns: 3000 },
    );
    // The cases must exercise the accepting side too, not only "don't know".
    expect(accepted).toBeGreaterThan(500);
  });

  it('handles edge shapes', () => {
    for (const text of [
      '{}',
      '{',
      '}',
      '',
      '[]',
      '{"AlertId":"a","LastProcessedTimeUtc":"2020-09-30T14:11:44Z"}',
      '{"AlertId":"a","LastProcessedTimeUtc":"2020-09-30T14:11:44Z",}',
      '{"AlertId":"a","AlertId":"b","LastProcessedTimeUtc":"2020-09-30T14:11:44Z"}',
    ]) {
      check(Buffer.from(text));
    }
    expect(SIEM_BYTE_CHECK(Buffer.from('{"AlertId":"a","LastProcessedTimeUtc":"2020-09-30T14:11:44Z"}'))).toEqual({
      AlertId: 'a',
      FullId: undefined,
      LastProcessedTimeUtc: '2020-09-30T14:11:44Z',
    });
    // Not UTF-8: the full path reports it, so the byte check must not pass it.
    expect(
      SIEM_BYTE_CHECK(
        Buffer.from([...Buffer.from('{"AlertId":"a","LastProcessedTimeUtc":"2020-09-30T14:11:44Z","X":"'), 0xff, 0x22, 0x7d]),
      ),
    ).toBeUndefined();
  });
});
