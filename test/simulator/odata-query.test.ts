import { describe, expect, it } from 'vitest';
import { GRAPH_DIALECT } from '../../simulator/graph-alerts.js';
import { MDE_DIALECT } from '../../simulator/mde-alerts.js';
import {
  ODataQueryError,
  nextLink,
  parseFilter,
  parseODataQuery,
  selectPage,
  skipTokenFor,
  timeBounds,
  type ODataRow,
} from '../../simulator/odata.js';
import { SlidingWindowLimit } from '../../simulator/rate-limit.js';
import { parseTimestamp, type Ticks } from '../../simulator/ticks.js';

const t = (iso: string): Ticks => {
  const ticks = parseTimestamp(iso);
  if (ticks === undefined) throw new Error(`bad test time ${iso}`);
  return ticks;
};
const params = (query: string): URLSearchParams => new URLSearchParams(query);
const refusal = (fn: () => unknown): string => {
  try {
    fn();
  } catch (e) {
    if (e instanceof ODataQueryError) return e.message;
    throw e;
  }
  throw new Error('expected an ODataQueryError');
};

describe('$filter parsing', () => {
  it('reads time comparisons joined by and, to the 100-ns tick, with any zone form', () => {
    expect(parseFilter('lastUpdateTime ge 2024-05-01T10:00:00Z and lastUpdateTime le 2024-05-01T11:00:00.1234567Z', MDE_DIALECT)).toEqual([
      { kind: 'time', field: 'lastUpdateTime', op: 'ge', ticks: t('2024-05-01T10:00:00Z') },
      { kind: 'time', field: 'lastUpdateTime', op: 'le', ticks: t('2024-05-01T11:00:00.1234567Z') },
    ]);
    const [offset] = parseFilter('alertCreationTime GT 2024-05-01T12:00:00+02:00', MDE_DIALECT);
    expect(offset).toEqual({ kind: 'time', field: 'alertCreationTime', op: 'gt', ticks: t('2024-05-01T10:00:00Z') });
  });

  it("reads serviceSource eq '<text>' with '' as an escaped quote, and text containing ' and '", () => {
    expect(
      parseFilter("serviceSource eq 'microsoftDefenderForEndpoint' and lastUpdateDateTime lt 2024-05-01T00:00:00Z", GRAPH_DIALECT),
    ).toEqual([
      { kind: 'text', field: 'serviceSource', value: 'microsoftDefenderForEndpoint' },
      { kind: 'time', field: 'lastUpdateDateTime', op: 'lt', ticks: t('2024-05-01T00:00:00Z') },
    ]);
    expect(parseFilter("assignedTo eq 'O''Brien and co'", GRAPH_DIALECT)).toEqual([
      { kind: 'text', field: 'assignedTo', value: "O'Brien and co" },
    ]);
  });

  it.each([
    ['or', 'lastUpdateTime ge 2024-05-01T10:00:00Z or lastUpdateTime le 2024-05-01T11:00:00Z', /only 'and'/],
    ['a time comparison in parentheses', '(lastUpdateTime ge 2024-05-01T10:00:00Z)', /'or' is supported between text comparisons/],
    ['or across two fields', "(status eq 'New' or severity eq 'High')", /of one property/],
    ['an unclosed group', "(status eq 'New' or status eq 'Resolved'", /syntax error/],
    ['an unknown field', 'machineName eq 2024-05-01T10:00:00Z', /property named 'machineName'/],
    ['a quoted time', "lastUpdateTime ge '2024-05-01T10:00:00Z'", /not a valid DateTimeOffset/],
    ['a time without zone', 'lastUpdateTime ge 2024-05-01T10:00:00', /not a valid DateTimeOffset/],
    ['an impossible date', 'lastUpdateTime ge 2024-02-31T10:00:00Z', /not a valid DateTimeOffset/],
    ['ne', 'lastUpdateTime ne 2024-05-01T10:00:00Z', /operator 'ne'/],
    ['a text field compared by ge', "status ge 'New'", /operator 'ge'/],
    ['a text field without quotes', 'status eq New', /quoted string/],
    ['a function', "contains(title,'x')", /syntax error/],
    ['a dangling and', 'lastUpdateTime ge 2024-05-01T10:00:00Z and', /syntax error/],
    ['an empty filter', '', /syntax error/],
  ])('refuses %s', (_name, filter, message) => {
    expect(refusal(() => parseFilter(filter, MDE_DIALECT))).toMatch(message);
  });

  it("reads a group of text comparisons of one field joined by 'or' (several severities)", () => {
    expect(parseFilter("(severity eq 'High' or severity eq 'Medium') and status eq 'New'", MDE_DIALECT)).toEqual([
      { kind: 'anyText', field: 'severity', values: ['High', 'Medium'] },
      { kind: 'text', field: 'status', value: 'New' },
    ]);
  });

  it('refuses serviceSource on the Defender API, which has no such property', () => {
    expect(refusal(() => parseFilter("serviceSource eq 'x'", MDE_DIALECT))).toMatch(/serviceSource/);
  });
});

describe('query options', () => {
  it('defaults: MDE pages of 10 000 in store order, Graph pages of 50 newest first', () => {
    expect(parseODataQuery(params(''), MDE_DIALECT)).toEqual({
      conditions: [],
      top: 10_000,
      skip: 0,
      orderBy: undefined,
      expand: [],
      count: false,
    });
    expect(parseODataQuery(params(''), GRAPH_DIALECT)).toMatchObject({ top: 50, orderBy: { field: 'createdDateTime', descending: true } });
  });

  it('reads $top, $skip, $orderby, $expand and $count', () => {
    expect(parseODataQuery(params('$top=5&$skip=10&$orderby=lastUpdateTime desc&$expand=evidence'), MDE_DIALECT)).toMatchObject({
      top: 5,
      skip: 10,
      orderBy: { field: 'lastUpdateTime', descending: true },
      expand: ['evidence'],
    });
    expect(parseODataQuery(params('$orderby=lastUpdateDateTime&$count=true'), GRAPH_DIALECT)).toMatchObject({
      orderBy: { field: 'lastUpdateDateTime', descending: false },
      count: true,
    });
  });

  it('caps $top at 10 000 (MDE) and 1000 (Graph), and Graph $skip at 500', () => {
    expect(parseODataQuery(params('$top=10000'), MDE_DIALECT).top).toBe(10_000);
    expect(refusal(() => parseODataQuery(params('$top=10001'), MDE_DIALECT))).toMatch(/limit of '10000' for Top/);
    expect(parseODataQuery(params('$top=1000'), GRAPH_DIALECT).top).toBe(1000);
    expect(refusal(() => parseODataQuery(params('$top=1001'), GRAPH_DIALECT))).toMatch(/limit of '1000' for Top/);
    expect(parseODataQuery(params('$skip=500'), GRAPH_DIALECT).skip).toBe(500);
    expect(refusal(() => parseODataQuery(params('$skip=501'), GRAPH_DIALECT))).toMatch(/limit of '500' for Skip/);
    expect(parseODataQuery(params('$skip=50000'), MDE_DIALECT).skip).toBe(50_000);
  });

  it.each([
    ['$top=-1', /non-negative integer/],
    ['$top=ten', /non-negative integer/],
    ['$top=1&$top=2', /more than once/],
    ['$select=id', /'\$select' is not supported/],
    ['$orderby=title asc', /\$orderby/],
    ['$expand=comments', /property named 'comments'/],
    ['$count=true', /\$count/],
    ['$skiptoken=abc', /\$skiptoken/],
  ])('MDE refuses %s', (query, message) => {
    expect(refusal(() => parseODataQuery(params(query), MDE_DIALECT))).toMatch(message);
  });

  it('Graph continues from its own $skiptoken (not subject to the $skip cap), and refuses a forged one', () => {
    expect(parseODataQuery(params(`$skiptoken=${skipTokenFor(2000)}`), GRAPH_DIALECT).skip).toBe(2000);
    expect(refusal(() => parseODataQuery(params('$skiptoken=bm9wZQ'), GRAPH_DIALECT))).toMatch(/skiptoken is not valid/);
    expect(refusal(() => parseODataQuery(params('$expand=evidence'), GRAPH_DIALECT))).toMatch(/evidence/);
  });

  it('ignores parameters that are not system query options', () => {
    expect(parseODataQuery(params('api-version=1.0&foo=bar'), MDE_DIALECT).top).toBe(10_000);
  });

  it('takes the store bounds of the update-time field from ge/gt/le/lt/eq, tightest wins', () => {
    const conditions = parseFilter(
      'lastUpdateTime gt 2024-05-01T10:00:00Z and lastUpdateTime ge 2024-05-01T09:00:00Z and lastUpdateTime lt 2024-05-01T12:00:00Z and alertCreationTime le 2024-05-01T11:00:00Z',
      MDE_DIALECT,
    );
    expect(timeBounds(conditions, 'lastUpdateTime')).toEqual({ since: t('2024-05-01T10:00:00Z'), until: t('2024-05-01T12:00:00Z') });
    expect(timeBounds([], 'lastUpdateTime')).toEqual({ since: undefined, until: undefined });
  });
});

describe('selecting a page', () => {
  const row = (id: string, updated: string, created?: string): ODataRow<string> => ({
    render: () => id,
    times: { lastUpdateTime: t(updated), alertCreationTime: created === undefined ? undefined : t(created) },
    texts: { status: id.startsWith('r') ? 'Resolved' : 'New' },
  });
  const rows = [
    row('a', '2024-05-01T10:00:00Z', '2024-05-01T09:00:00Z'),
    row('b', '2024-05-01T10:00:00.0000001Z', '2024-05-01T08:00:00Z'),
    row('c', '2024-05-01T10:00:00.0000001Z'),
    row('r', '2024-05-01T11:00:00Z', '2024-05-01T07:00:00Z'),
  ];
  const ids = (query: string): string[] => selectPage(rows, parseODataQuery(params(query), MDE_DIALECT)).rows.map((r) => r.render());

  it('filters with both bounds inclusive, to the tick', () => {
    expect(ids('$filter=lastUpdateTime ge 2024-05-01T10:00:00.0000001Z and lastUpdateTime le 2024-05-01T11:00:00Z')).toEqual([
      'b',
      'c',
      'r',
    ]);
    expect(ids('$filter=lastUpdateTime gt 2024-05-01T10:00:00Z and lastUpdateTime lt 2024-05-01T11:00:00Z')).toEqual(['b', 'c']);
    expect(ids('$filter=lastUpdateTime eq 2024-05-01T10:00:00.0000001Z')).toEqual(['b', 'c']);
    expect(ids("$filter=status eq 'Resolved'")).toEqual(['r']);
  });

  it('treats a missing value as null: no comparison matches it, and it sorts first ascending', () => {
    expect(ids('$filter=alertCreationTime ge 2000-01-01T00:00:00Z')).toEqual(['a', 'b', 'r']);
    expect(ids('$orderby=alertCreationTime asc')).toEqual(['c', 'r', 'b', 'a']);
    expect(ids('$orderby=alertCreationTime desc')).toEqual(['a', 'b', 'r', 'c']);
  });

  it('orders stably: equal times keep their order either way', () => {
    expect(ids('$orderby=lastUpdateTime desc')).toEqual(['r', 'b', 'c', 'a']);
    expect(ids('$orderby=lastUpdateTime asc')).toEqual(['a', 'b', 'c', 'r']);
  });

  it('pages with $skip/$top and says where the next page starts only while more remain', () => {
    const page = (query: string) => selectPage(rows, parseODataQuery(params(query), MDE_DIALECT));
    expect(page('$top=3')).toMatchObject({ nextSkip: 3, total: 4 });
    expect(page('$top=3&$skip=3').rows.map((r) => r.render())).toEqual(['r']);
    expect(page('$top=3&$skip=3').nextSkip).toBeUndefined();
    expect(page('$top=4').nextSkip).toBeUndefined();
    expect(page('$top=0')).toMatchObject({ rows: [], nextSkip: undefined, total: 4 });
  });

  it('builds absolute next links that keep the query and move $skip (MDE) or $skiptoken (Graph) on', () => {
    const p = params('$filter=lastUpdateTime ge 2024-05-01T10:00:00Z&$top=2&$skip=2&$expand=evidence');
    const q = parseODataQuery(p, MDE_DIALECT);
    const link = nextLink('https://127.0.0.1:1234/api/alerts', p, 4, q, MDE_DIALECT);
    expect(link).toBe(
      'https://127.0.0.1:1234/api/alerts?$filter=lastUpdateTime%20ge%202024-05-01T10%3A00%3A00Z&$expand=evidence&$top=2&$skip=4',
    );
    expect(new URL(link).searchParams.get('$filter')).toBe('lastUpdateTime ge 2024-05-01T10:00:00Z');

    const g = params('$orderby=lastUpdateDateTime asc');
    const graphLink = new URL(nextLink('https://h/v1.0/security/alerts_v2', g, 700, parseODataQuery(g, GRAPH_DIALECT), GRAPH_DIALECT));
    expect(graphLink.searchParams.get('$skip')).toBeNull();
    expect(parseODataQuery(graphLink.searchParams, GRAPH_DIALECT)).toMatchObject({ skip: 700, top: 50 });
  });
});

describe('the sliding-minute rate limit', () => {
  it('admits `limit` calls a minute and says when the oldest leaves the window', () => {
    const limit = new SlidingWindowLimit(3, 60_000);
    expect([0, 10_000, 20_000].map((ms) => limit.take(ms).ok)).toEqual([true, true, true]);
    expect(limit.take(30_000)).toEqual({ ok: false, retryAfterSeconds: 30 });
    expect(limit.take(59_999.5)).toEqual({ ok: false, retryAfterSeconds: 1 });
    // The call at 0 leaves the window at 60 000; refused calls took no slot.
    expect(limit.take(60_000).ok).toBe(true);
    expect(limit.take(65_000)).toEqual({ ok: false, retryAfterSeconds: 5 });
  });
});
