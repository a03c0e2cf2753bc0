/**
 * The SIEM fast path is wired in: a compact flat alert is admitted on its bytes (the byte check)
 * without JSON.parse, and an alert the byte check leaves undecided is parsed but skips zod when
 * the precheck accepts it. Both only make `pull` faster and change no output, so nothing else
 * fails when they come unplugged (the SIEM source building its gate without the byte check,
 * calling `admit` instead of `admitRecord`, the schema losing its registered precheck): these
 * tests watch the work itself, JSON.parse and zod's safeParse, through spies restored after
 * each test.
 *
 * The byte check's and precheck's verdicts themselves are tested against the full path in
 * test/alert/byte-check.property.test.ts; here only whether they are used.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';

import { SiemAlertSchema, type SiemAlert } from '../../src/alert/siem-schema.js';
import { AlertGate, type Identity } from '../../src/api/alert-gate.js';
import { GraphSource } from '../../src/api/graph.js';
import { MdeSource } from '../../src/api/mde.js';
import type { ODataContext } from '../../src/api/odata-source.js';
import { SiemSource } from '../../src/api/siem.js';
import type { AlertRecord, InvalidAlert } from '../../src/api/source.js';
import { mockAgentPerTest, sourceContext, type MockAnswer } from '../helpers/mock-agent.js';

const ORIGIN = 'https://siem.example.test';
const UPDATED = '2024-05-01T10:00:00.1234567Z';

/** Compact flat alerts, as the SIEM API sends them once whitespace is removed. */
const COMPACT = [1, 2, 3].map((n) =>
  JSON.stringify({ AlertId: `compact-${n}`, FullId: `compact-${n}:${n}`, Severity: 'High', AlertPart: 0, LastProcessedTimeUtc: UPDATED }),
);
/** Valid, but with an escape in a field the byte check must read (FullId): JSON.parse must decide. */
const NESTED = JSON.stringify({ AlertId: 'nested-1', FullId: 'nested-1:\t1', LastProcessedTimeUtc: UPDATED, Extra: { a: [1] } });
/** Invalid (AlertPart must be an integer): the precheck refuses it, so zod explains why. */
const FRACTIONAL = JSON.stringify({ AlertId: 'fractional-1', LastProcessedTimeUtc: UPDATED, AlertPart: 1.5 });

afterEach(() => {
  vi.restoreAllMocks();
});

const mockOrigin = mockAgentPerTest();
const json = (body: string): MockAnswer => ({ status: 200, body, headers: { 'content-type': 'application/json' } });

/** Pulls one SIEM answer whose body is `alerts` as a JSON array, through a MockAgent passed as the dispatcher. */
async function pullSiem(alerts: readonly string[]): Promise<{ records: AlertRecord[]; invalid: InvalidAlert[] }> {
  const { dispatcher } = mockOrigin(ORIGIN, () => json(`[${alerts.join(',')}]`));
  const invalid: InvalidAlert[] = [];
  const source = new SiemSource({ baseUrl: new URL(ORIGIN), ...sourceContext(dispatcher, { onInvalid: (alert) => invalid.push(alert) }) });
  const records: AlertRecord[] = [];
  for await (const record of source.fetch({ machineGroups: [] })) records.push(record);
  return { records, invalid };
}

/** Counts the JSON.parse calls whose text contains `id` (other parsing on the way is not ours to count). */
function watchParses(): (id: string) => number {
  const parse = vi.spyOn(JSON, 'parse');
  return (id) => parse.mock.calls.filter(([text]) => typeof text === 'string' && text.includes(`"${id}"`)).length;
}

describe('the SIEM source uses the fast path', () => {
  it('admits compact flat alerts on their bytes, without JSON.parse', async () => {
    const parsesOf = watchParses();
    const { records } = await pullSiem(COMPACT);
    expect(records.map((r) => [r.id, r.updatedAt, r.key])).toEqual(
      [1, 2, 3].map((n) => [`compact-${n}`, UPDATED, `compact-${n}:${n}|${UPDATED}`]),
    );
    expect(records.map((r) => r.raw.toString())).toEqual(COMPACT);
    expect(COMPACT.map((_, i) => parsesOf(`compact-${i + 1}`))).toEqual([0, 0, 0]);
  });

  // Also shows the spy sees the parsing done on the way, so the zeros above mean something.
  it('parses an alert the byte check cannot decide, and still admits it', async () => {
    const parsesOf = watchParses();
    const { records } = await pullSiem([COMPACT[0]!, NESTED]);
    expect(records.map((r) => r.id)).toEqual(['compact-1', 'nested-1']);
    expect([parsesOf('compact-1'), parsesOf('nested-1')]).toEqual([0, 1]);
  });

  it('admits a parsed alert the precheck accepts without running zod', async () => {
    const safeParse = vi.spyOn(SiemAlertSchema, 'safeParse');
    const { records } = await pullSiem([NESTED]);
    expect(records.map((r) => r.id)).toEqual(['nested-1']);
    expect(safeParse).not.toHaveBeenCalled();
  });

  // Shows the safeParse spy sees zod's work, so the "not called" above means something.
  it("reports an alert the precheck refuses with zod's explanation", async () => {
    const safeParse = vi.spyOn(SiemAlertSchema, 'safeParse');
    const { records, invalid } = await pullSiem([FRACTIONAL]);
    expect(records).toEqual([]);
    expect(invalid).toEqual([{ index: 0, alertId: 'fractional-1', problems: [expect.stringMatching(/^AlertPart: expected an integer/)] }]);
    expect(safeParse).toHaveBeenCalledTimes(1);
  });
});

/** One short OData page holding `alerts`, answered to any GET through a MockAgent. */
function odataContext(alerts: readonly string[]): ODataContext {
  const { dispatcher } = mockOrigin(ORIGIN, () => json(`{"@odata.context":"x","value":[${alerts.join(',')}]}`));
  return sourceContext(dispatcher);
}

describe('the OData sources use the fast path', () => {
  const mdeAlert = (n: number) =>
    JSON.stringify({
      id: `mde-${n}`,
      incidentId: n,
      lastUpdateTime: UPDATED,
      mitreTechniques: ['T1'],
      relatedUser: { userName: 'u', domainName: 'd' },
      evidence: [],
    });
  const graphAlert = (n: number) =>
    JSON.stringify({
      id: `graph-${n}`,
      lastUpdateDateTime: UPDATED,
      evidence: [{ '@odata.type': '#microsoft.graph.security.deviceEvidence', vmMetadata: { a: null } }],
    });

  it.each([
    [
      'mde',
      mdeAlert,
      (ctx: ODataContext) =>
        new MdeSource({ baseUrl: new URL(ORIGIN), pageSize: 10, filterOn: 'lastUpdateTime', expandEvidence: false }, ctx),
    ],
    [
      'graph',
      graphAlert,
      (ctx: ODataContext) => new GraphSource({ baseUrl: new URL(ORIGIN), pageSize: 10, serviceSource: undefined }, ctx),
    ],
  ] as const)('%s: admits compact alerts with nested values on their bytes, without JSON.parse', async (api, alert, make) => {
    const alerts = [1, 2].map(alert);
    const ctx = odataContext(alerts);
    const parsesOf = watchParses();
    const records: AlertRecord[] = [];
    for await (const record of make(ctx).fetch({ machineGroups: [] })) records.push(record);
    expect(records.map((r) => r.raw.toString())).toEqual(alerts);
    expect(records.map((r) => r.key)).toEqual([`${api}-1|${UPDATED}`, `${api}-2|${UPDATED}`]);
    expect([parsesOf(`${api}-1`), parsesOf(`${api}-2`)]).toEqual([0, 0]);
  });
});

describe('AlertGate.admitRecord with a byte check', () => {
  const identify = (alert: SiemAlert): Identity => ({
    id: alert.AlertId,
    updatedAt: alert.LastProcessedTimeUtc,
    key: `${alert.AlertId}|${alert.LastProcessedTimeUtc}`,
  });
  const fields = { AlertId: 'from-bytes', LastProcessedTimeUtc: UPDATED };

  it("takes the identity from the byte check's fields, never parsing the bytes", () => {
    const invalid: InvalidAlert[] = [];
    const gate = new AlertGate(
      SiemAlertSchema,
      identify,
      (i) => invalid.push(i),
      () => fields,
    );
    // Not JSON at all: only a gate that trusts the byte check can admit it.
    const raw = Buffer.from('not json');
    expect(gate.admitRecord(raw, 0, 1)).toEqual({
      record: { raw, id: 'from-bytes', updatedAt: UPDATED, key: `from-bytes|${UPDATED}` },
      repeated: false,
    });
    expect(invalid).toEqual([]);
  });

  it('falls back to full validation when the byte check does not know', () => {
    const invalid: InvalidAlert[] = [];
    const gate = new AlertGate(
      SiemAlertSchema,
      identify,
      (i) => invalid.push(i),
      () => undefined,
    );
    expect(gate.admitRecord(Buffer.from('not json'), 0, 1)).toBeUndefined();
    expect(invalid).toHaveLength(1);
    expect(invalid[0]!.problems[0]).toMatch(/^\(root\): not valid JSON/);
  });

  it('marks an alert admitted on its bytes as repeated when a retry reads it again', () => {
    const gate = new AlertGate(
      SiemAlertSchema,
      identify,
      () => {},
      () => fields,
    );
    const raw = Buffer.from('{}');
    expect(gate.admitRecord(raw, 0, 1)?.repeated).toBe(false);
    expect(gate.admitRecord(raw, 0, 2)?.repeated).toBe(true);
  });
});
