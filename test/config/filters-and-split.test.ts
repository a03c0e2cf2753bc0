import { describe, expect, it } from 'vitest';
import { buildGraphUrl } from '../../src/api/graph.js';
import { buildMdeUrl } from '../../src/api/mde.js';
import { filterClauses } from '../../src/api/odata-filters.js';
import { resolvePullConfig } from '../../src/config/resolve.js';
import { UsageError } from '../../src/errors.js';
import { splitEvidence } from '../../src/output/formats.js';

const now = new Date('2024-05-01T12:00:00.000Z');
const env = {
  AZURE_TENANT_ID: '00000000-0000-4000-8000-000000000001',
  AZURE_CLIENT_ID: '00000000-0000-4000-8000-0000000000c1',
  AZURE_CLIENT_SECRET: 's',
};
const resolve = (flags: Record<string, unknown>) => resolvePullConfig({ flags, env, now });
function problem(flags: Record<string, unknown>): string {
  try {
    resolve(flags);
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return (err as UsageError).message;
  }
  throw new Error('expected a UsageError');
}

describe('server-side filters', () => {
  it('become $filter clauses: one value eq, several an or-group, quotes doubled', () => {
    expect(filterClauses({ severity: ['High'], status: [], detectionSource: [] })).toEqual(["severity eq 'High'"]);
    expect(filterClauses({ severity: ['high', 'medium', 'high'], status: ['new'], detectionSource: ["o'x"] })).toEqual([
      "(severity eq 'high' or severity eq 'medium')",
      "status eq 'new'",
      "detectionSource eq 'o''x'",
    ]);
  });

  it("are matched to each API's own values, case-insensitively", () => {
    expect(resolve({ api: 'mde', severity: ['HIGH', 'low'], status: ['inprogress'] }).filters).toEqual({
      severity: ['High', 'Low'],
      status: ['InProgress'],
      detectionSource: [],
    });
    expect(resolve({ api: 'graph', severity: ['High'], status: ['InProgress'], detectionSource: ['antivirus'] }).filters).toEqual({
      severity: ['high'],
      status: ['inProgress'],
      detectionSource: ['antivirus'],
    });
    expect(problem({ api: 'graph', severity: ['critical'] })).toContain(
      '--severity: expected one of unknown, informational, low, medium, high for --api graph, got "critical"',
    );
  });

  it('are refused for the SIEM API, which has none of them', () => {
    expect(problem({ api: 'siem', region: 'eu', severity: ['high'], status: ['new'] })).toContain(
      '--severity: only with --api mde or graph (this is --api siem)',
    );
  });

  it('go into the page URLs with the time range', () => {
    const filters = { severity: ['High', 'Medium'], status: ['New'], detectionSource: [] };
    const mde = buildMdeUrl(
      { baseUrl: new URL('https://api.security.microsoft.com'), pageSize: 100, filterOn: 'lastUpdateTime', expandEvidence: false, filters },
      { since: new Date('2024-05-01T10:00:00Z') },
      100,
    );
    expect(mde.searchParams.get('$filter')).toBe(
      "lastUpdateTime ge 2024-05-01T10:00:00.000Z and (severity eq 'High' or severity eq 'Medium') and status eq 'New'",
    );
    const graph = buildGraphUrl(
      {
        baseUrl: new URL('https://graph.microsoft.com'),
        pageSize: 10,
        serviceSource: undefined,
        filters: { ...filters, severity: ['high'] },
      },
      { machineGroups: [], since: new Date('2024-05-01T10:00:00Z') },
      { top: 10 },
    );
    expect(graph.searchParams.get('$filter')).toBe(
      "lastUpdateDateTime ge 2024-05-01T10:00:00.000Z and severity eq 'high' and status eq 'New'",
    );
  });
});

describe('--split evidence', () => {
  it('writes one record per evidence item, the parent fields kept in their order', () => {
    const raw = Buffer.from(JSON.stringify({ id: 'a', evidence: [{ entityType: 'File' }, { entityType: 'User' }], title: 't' }));
    expect(splitEvidence(raw).toString().split('\n')).toEqual([
      '{"id":"a","evidence":{"entityType":"File"},"title":"t"}',
      '{"id":"a","evidence":{"entityType":"User"},"title":"t"}',
    ]);
  });

  it('writes an alert without evidence once, with evidence empty', () => {
    expect(splitEvidence(Buffer.from('{"id":"b","evidence":[]}')).toString()).toBe('{"id":"b","evidence":{}}');
    expect(splitEvidence(Buffer.from('{"id":"c"}')).toString()).toBe('{"id":"c","evidence":{}}');
  });

  it('is for NDJSON from an API with evidence, and refused otherwise', () => {
    expect(resolve({ api: 'graph', split: 'evidence', format: 'ndjson' }).split).toBe('evidence');
    // NDJSON is its only format: chosen when no --format is given, refused only when another one is.
    expect(resolve({ api: 'graph', split: 'evidence' }).format).toBe('ndjson');
    expect(problem({ api: 'graph', split: 'evidence', format: 'json' })).toContain(
      '--split evidence: writes NDJSON records; use it with --format ndjson',
    );
    expect(problem({ api: 'mde', split: 'evidence', format: 'ndjson' })).toContain('also give --expand evidence');
    expect(problem({ api: 'siem', region: 'eu', split: 'evidence', format: 'ndjson' })).toContain('only with --api mde');
    expect(problem({ api: 'graph', split: 'evidence', format: 'ndjson', schema: 'siem' })).toContain('the SIEM layout has no evidence');
  });
});

describe('--format cef and leef', () => {
  it('map every API through the SIEM layout, and refuse --schema native', () => {
    expect(resolve({ api: 'graph', format: 'cef' }).schema).toBe('siem');
    expect(problem({ api: 'graph', format: 'leef', schema: 'native' })).toContain('--format leef: maps the SIEM layout');
    expect(resolve({ api: 'mde', format: 'leef', output: 'x.leef', append: true }).append).toBe(true);
  });
});

describe('--append', () => {
  it('writes NDJSON when no --format is given, keeps a line format given, and refuses json', () => {
    expect(resolve({ api: 'graph', output: 'x.ndjson', append: true })).toMatchObject({ format: 'ndjson', append: true });
    expect(resolve({ api: 'graph', output: 'x.cef', append: true, format: 'cef' }).format).toBe('cef');
    expect(problem({ api: 'graph', output: 'x.json', append: true, format: 'json' })).toContain(
      '--append: appends one alert per line; use it with --format ndjson, cef or leef',
    );
  });
});
