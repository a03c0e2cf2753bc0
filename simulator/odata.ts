/**
 * The OData query options the simulated Defender for Endpoint and Graph alert APIs understand
 * (docs/microsoft-apis.md §2–3), as pure functions: parse `$filter`, `$top`, `$skip`, `$skiptoken`, `$orderby`,
 * `$expand` and `$count`; apply them to a list of rows; build the page and its `@odata.nextLink`.
 *
 * `$filter` takes what clients of these APIs send: `<time field> ge|gt|le|lt|eq <DateTimeOffset>`
 * and `<text field> eq '<text>'`, joined by `and`. Anything else (`or`, `not`, parentheses,
 * functions, other fields) is refused with 400, as the services refuse what they do not support,
 * so a client that builds a filter the real API would reject fails here too.
 */
import { randomUUID } from 'node:crypto';
import { parseTimestamp, type Ticks } from './ticks.js';

export type TimeOperator = 'ge' | 'gt' | 'le' | 'lt' | 'eq';

export type Condition =
  | { kind: 'time'; field: string; op: TimeOperator; ticks: Ticks }
  | { kind: 'text'; field: string; value: string }
  /** `(f eq 'a' or f eq 'b')`: one text field, any of the values. */
  | { kind: 'anyText'; field: string; values: string[] };

/** What one API accepts. */
export interface ODataDialect {
  /** Fields `$filter` compares with a DateTimeOffset literal. */
  timeFields: readonly string[];
  /** Fields `$filter` compares with `eq '<text>'`. */
  textFields: readonly string[];
  /** Fields `$orderby` accepts (time fields). */
  orderFields: readonly string[];
  /** Order without `$orderby`; undefined keeps the rows' own order. */
  defaultOrder: OrderBy | undefined;
  defaultTop: number;
  maxTop: number;
  /** Largest `$skip` accepted (undefined: no limit). */
  maxSkip: number | undefined;
  /** `$expand` values accepted. */
  expandable: readonly string[];
  /** Whether `$count=true` is supported (it adds `@odata.count`). */
  countable: boolean;
  /** Whether next links continue with an opaque `$skiptoken` (Graph) rather than `$skip` (Defender). */
  skipToken: boolean;
}

export interface OrderBy {
  field: string;
  descending: boolean;
}

export interface ODataQuery {
  conditions: Condition[];
  top: number;
  /** Rows to skip: `$skip` plus what a `$skiptoken` says. */
  skip: number;
  orderBy: OrderBy | undefined;
  expand: string[];
  count: boolean;
}

/** A row the options are applied to: the values filters compare, and the entity, built only if served. */
export interface ODataRow<E> {
  render: () => E;
  times: Readonly<Record<string, Ticks | undefined>>;
  texts: Readonly<Record<string, string | undefined>>;
}

/** A query the API refuses: answered 400 `BadRequest` with this message. */
export class ODataQueryError extends Error {
  override readonly name = 'ODataQueryError';
}

const OPTIONS = new Set(['$filter', '$top', '$skip', '$skiptoken', '$orderby', '$expand', '$count']);

/** Parses and checks the system query options of `params`; throws {@link ODataQueryError}. */
export function parseODataQuery(params: URLSearchParams, dialect: ODataDialect): ODataQuery {
  const one = (name: string): string | undefined => {
    const values = params.getAll(name);
    if (values.length > 1)
      throw new ODataQueryError(`Query option '${name}' was specified more than once, but it must be specified at most once.`);
    return values[0];
  };
  for (const name of new Set(params.keys())) {
    // Other parameters (api-version, …) are ignored, as the services do; unknown `$` options are not.
    if (name.startsWith('$') && !OPTIONS.has(name)) throw new ODataQueryError(`The query parameter '${name}' is not supported.`);
  }

  const topText = one('$top');
  const top = topText === undefined ? dialect.defaultTop : wholeNumber('$top', topText);
  if (top > dialect.maxTop) {
    throw new ODataQueryError(
      `The limit of '${dialect.maxTop}' for Top query has been exceeded. The value from the incoming request is '${top}'.`,
    );
  }
  const skipText = one('$skip');
  let skip = skipText === undefined ? 0 : wholeNumber('$skip', skipText);
  if (dialect.maxSkip !== undefined && skip > dialect.maxSkip) {
    throw new ODataQueryError(
      `The limit of '${dialect.maxSkip}' for Skip query has been exceeded. The value from the incoming request is '${skip}'.`,
    );
  }
  const token = one('$skiptoken');
  if (token !== undefined) {
    if (!dialect.skipToken) throw new ODataQueryError("The query parameter '$skiptoken' is not supported.");
    skip += parseSkipToken(token);
  }

  const filterText = one('$filter');
  const conditions = filterText === undefined ? [] : parseFilter(filterText, dialect);
  const orderText = one('$orderby');
  const orderBy = orderText === undefined ? dialect.defaultOrder : parseOrderBy(orderText, dialect);
  const expandText = one('$expand');
  const expand = expandText === undefined ? [] : expandText.split(',').map((e) => e.trim());
  for (const e of expand) {
    if (!dialect.expandable.includes(e)) throw new ODataQueryError(`Could not find a property named '${e}' to expand.`);
  }
  const countText = one('$count');
  if (countText !== undefined && (!dialect.countable || !/^(true|false)$/.test(countText))) {
    throw new ODataQueryError(`The query parameter '$count=${countText}' is not supported.`);
  }
  return { conditions, top, skip, orderBy, expand, count: countText === 'true' };
}

function wholeNumber(name: string, value: string): number {
  if (!/^\d{1,9}$/.test(value))
    throw new ODataQueryError(
      `Invalid value '${value}' for ${name} query option found. The ${name} query option requires a non-negative integer value.`,
    );
  return Number(value);
}

// One comparison: a field, an operator, and a quoted string or a bare literal.
const CLAUSE = /\s*([A-Za-z_][A-Za-z0-9_]*)\s+([A-Za-z]+)\s+('(?:[^']|'')*'|[^\s'()]+)\s*/y;
const AND = /and\s+/iy;
// OData's DateTimeOffset literal: unquoted, with a zone (Z or an offset), 0–7 fraction digits.
const DATE_TIME_OFFSET = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,7})?)?(?:Z|[+-]\d{2}:\d{2})$/i;

const OPEN = /\s*\(/y;
const OR = /or\s+/iy;
const CLOSE = /\)\s*/y;

/**
 * Parses a `$filter` expression: comparisons joined by `and`, where one may be a parenthesised
 * group of text comparisons of one field joined by `or` (`(severity eq 'High' or severity eq 'Low')`),
 * as clients filter on several values.
 */
export function parseFilter(text: string, dialect: ODataDialect): Condition[] {
  const conditions: Condition[] = [];
  let at = 0;
  const clause = (): Condition => {
    CLAUSE.lastIndex = at;
    const m = CLAUSE.exec(text);
    if (!m) throw new ODataQueryError(`Invalid filter clause: syntax error at position ${at} in '${text}'.`);
    at = CLAUSE.lastIndex;
    const [, field = '', opText = '', literal = ''] = m;
    return condition(field, opText, literal, dialect);
  };
  for (;;) {
    OPEN.lastIndex = at;
    if (OPEN.exec(text)) {
      at = OPEN.lastIndex;
      const group: Condition[] = [clause()];
      for (;;) {
        CLOSE.lastIndex = at;
        if (CLOSE.exec(text)) {
          at = CLOSE.lastIndex;
          break;
        }
        OR.lastIndex = at;
        if (!OR.exec(text)) throw new ODataQueryError(`Invalid filter clause: syntax error at position ${at} in '${text}'.`);
        at = OR.lastIndex;
        group.push(clause());
      }
      const fields = new Set(group.map((c) => c.field));
      const [field] = fields;
      if (fields.size !== 1 || field === undefined || group.some((c) => c.kind !== 'text')) {
        throw new ODataQueryError(`Invalid filter clause: 'or' is supported between text comparisons of one property in '${text}'.`);
      }
      conditions.push({ kind: 'anyText', field, values: group.map((c) => (c.kind === 'text' ? c.value : '')) });
    } else {
      conditions.push(clause());
    }
    if (at === text.length) return conditions;
    AND.lastIndex = at;
    if (!AND.exec(text))
      throw new ODataQueryError(`Invalid filter clause: only 'and' may join comparisons; syntax error at position ${at} in '${text}'.`);
    at = AND.lastIndex;
  }
}

function condition(field: string, opText: string, literal: string, dialect: ODataDialect): Condition {
  const op = opText.toLowerCase();
  if (dialect.timeFields.includes(field)) {
    if (!isTimeOperator(op)) throw new ODataQueryError(`Invalid filter clause: the operator '${opText}' is not supported for '${field}'.`);
    const ticks = DATE_TIME_OFFSET.test(literal) ? parseTimestamp(literal) : undefined;
    if (ticks === undefined) {
      throw new ODataQueryError(
        `Invalid filter clause: '${literal}' is not a valid DateTimeOffset for '${field}' (use e.g. 2024-05-01T10:00:00Z).`,
      );
    }
    return { kind: 'time', field, op, ticks };
  }
  if (dialect.textFields.includes(field)) {
    if (op !== 'eq') throw new ODataQueryError(`Invalid filter clause: the operator '${opText}' is not supported for '${field}'.`);
    if (!literal.startsWith("'")) throw new ODataQueryError(`Invalid filter clause: '${field}' must be compared with a quoted string.`);
    return { kind: 'text', field, value: literal.slice(1, -1).replace(/''/g, "'") };
  }
  throw new ODataQueryError(`Invalid filter clause: could not find a property named '${field}' that supports filtering.`);
}

function isTimeOperator(op: string): op is TimeOperator {
  return op === 'ge' || op === 'gt' || op === 'le' || op === 'lt' || op === 'eq';
}

function parseOrderBy(text: string, dialect: ODataDialect): OrderBy {
  const m = /^\s*([A-Za-z_][A-Za-z0-9_]*)(?:\s+(asc|desc))?\s*$/i.exec(text);
  if (!m?.[1] || !dialect.orderFields.includes(m[1])) {
    throw new ODataQueryError(
      `The $orderby expression '${text}' is not supported; use one of ${dialect.orderFields.map((f) => `'${f} asc|desc'`).join(', ')}.`,
    );
  }
  return { field: m[1], descending: m[2]?.toLowerCase() === 'desc' };
}

/** The opaque `$skiptoken` of a next link: how many rows the next page starts after. */
export function skipTokenFor(skip: number): string {
  return Buffer.from(`skip:${skip}`, 'utf8').toString('base64url');
}

function parseSkipToken(token: string): number {
  const m = /^skip:(\d{1,9})$/.exec(Buffer.from(token, 'base64url').toString('utf8'));
  if (!m?.[1]) throw new ODataQueryError('The $skiptoken is not valid.');
  return Number(m[1]);
}

/**
 * The bounds a query's conditions put on one time field, both inclusive, so the caller can
 * narrow what it reads before filtering exactly.
 */
export function timeBounds(conditions: readonly Condition[], field: string): { since: Ticks | undefined; until: Ticks | undefined } {
  let since: Ticks | undefined;
  let until: Ticks | undefined;
  for (const c of conditions) {
    if (c.kind !== 'time' || c.field !== field) continue;
    if (c.op === 'ge' || c.op === 'gt' || c.op === 'eq') since = since === undefined || c.ticks > since ? c.ticks : since;
    if (c.op === 'le' || c.op === 'lt' || c.op === 'eq') until = until === undefined || c.ticks < until ? c.ticks : until;
  }
  return { since, until };
}

/** Whether a row satisfies every condition (a missing value satisfies none, as null in OData). */
export function rowMatches(row: ODataRow<unknown>, conditions: readonly Condition[]): boolean {
  return conditions.every((c) => {
    if (c.kind === 'text') return row.texts[c.field] === c.value;
    if (c.kind === 'anyText') return c.values.includes(row.texts[c.field] ?? '');
    const t = row.times[c.field];
    if (t === undefined) return false;
    switch (c.op) {
      case 'ge':
        return t >= c.ticks;
      case 'gt':
        return t > c.ticks;
      case 'le':
        return t <= c.ticks;
      case 'lt':
        return t < c.ticks;
      case 'eq':
        return t === c.ticks;
    }
  });
}

/** One page of an answer: its rows, whether more remain, and how many matched in all. */
export interface ODataPage<E> {
  rows: ODataRow<E>[];
  /** Rows skipped before the next page (set only when more remain). */
  nextSkip: number | undefined;
  total: number;
}

/** Filters, orders (stably: equal values keep their order) and pages the rows. */
export function selectPage<E>(rows: readonly ODataRow<E>[], query: ODataQuery): ODataPage<E> {
  const matching = rows.filter((r) => rowMatches(r, query.conditions));
  const order = query.orderBy;
  if (order !== undefined) {
    // Rows without the value sort first ascending, last descending, as nulls do in OData.
    const key = (r: ODataRow<E>): Ticks => r.times[order.field] ?? -(2n ** 63n);
    matching.sort((a, b) => {
      const [x, y] = order.descending ? [key(b), key(a)] : [key(a), key(b)];
      return x < y ? -1 : x > y ? 1 : 0;
    });
  }
  const end = query.skip + query.top;
  return {
    rows: matching.slice(query.skip, end),
    nextSkip: query.top > 0 && end < matching.length ? end : undefined,
    total: matching.length,
  };
}

/**
 * The absolute `@odata.nextLink` of a page: the same request with `$skip` (Defender) or an
 * opaque `$skiptoken` (Graph) moved on. `$`-names are kept readable, as the services write them.
 */
export function nextLink(pageUrl: string, params: URLSearchParams, nextSkip: number, query: ODataQuery, dialect: ODataDialect): string {
  const parts: string[] = [];
  const add = (name: string, value: string): void => {
    parts.push(`${name.startsWith('$') ? `$${encodeURIComponent(name.slice(1))}` : encodeURIComponent(name)}=${encodeURIComponent(value)}`);
  };
  for (const [name, value] of params) {
    if (name === '$skip' || name === '$skiptoken' || name === '$top') continue;
    add(name, value);
  }
  add('$top', String(query.top));
  if (dialect.skipToken) add('$skiptoken', skipTokenFor(nextSkip));
  else add('$skip', String(nextSkip));
  return `${pageUrl}?${parts.join('&')}`;
}

/** Which service's error JSON to write. */
export type ODataService = 'mde' | 'graph';

/**
 * The error JSON of each service. Defender for Endpoint: `{"error":{"code","message","target"}}`
 * with a correlation id as `target` (docs/microsoft-apis.md §2); Graph: `{"error":{"code","message","innerError"}}`
 * with the request id and date, as Graph writes every error.
 */
export function odataErrorBody(
  service: ODataService,
  code: string,
  message: string,
  now: Date,
  clientRequestId?: string,
): Record<string, unknown> {
  const requestId = randomUUID();
  if (service === 'mde') return { error: { code, message, target: requestId } };
  return {
    error: {
      code,
      message,
      innerError: { date: now.toISOString().slice(0, 19), 'request-id': requestId, 'client-request-id': clientRequestId ?? requestId },
    },
  };
}
