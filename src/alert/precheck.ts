/**
 * A fast check of parsed alerts that accepts only what the zod schema accepts, so that valid
 * alerts (nearly all of them) skip zod. zod's own walk through 51 fields, unions and per-field
 * contexts cost more than JSON.parse itself (~200k alerts/s for zod alone, against several
 * million for these plain type tests; BENCHMARKS.md). When the precheck says no, zod runs and its
 * answer stands, with its messages: the precheck may be stricter than the schema, never looser.
 * Pure functions, no I/O.
 */

/**
 * The kinds of value an alert field holds (see SIEM_FIELD_KINDS, MDE_FIELD_KINDS,
 * GRAPH_FIELD_KINDS). Every kind but identity and timestamp may also be missing or null.
 * - identity: a non-empty string; timestamp: a UTC_TIMESTAMP string (both required)
 * - text: a string; integer: an integer or ""; flag: true, false or ""; number: a finite number
 * - strings: an array of strings; array: an array of anything
 * - typedObjects: an array of objects whose `@odata.type`, if present, is a string (Graph evidence)
 * - objects: an array of objects, or one object (MDE evidence: an array with `$expand`, one
 *   object per line in Elastic's published data)
 * - account: an object whose `userName` and `domainName` are text (MDE relatedUser)
 */
export type FieldKind =
  'identity' | 'timestamp' | 'text' | 'integer' | 'flag' | 'number' | 'strings' | 'array' | 'typedObjects' | 'objects' | 'account';

/**
 * ISO-8601 UTC timestamp as the API writes it: `2017-01-23T07:32:54.1861171Z` (0-7 fraction
 * digits; .NET's DateTime ticks give 7). Kept as a string: JavaScript's Date would drop digits 4-7.
 */
export const UTC_TIMESTAMP = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d{1,7})?Z$/;

/** True when `value` surely passes the schema; false means "ask the schema". */
export type Precheck = (value: unknown) => boolean;

/** A JavaScript condition that holds when `x` (one field's value, undefined if missing) is surely valid. */
const CONDITION: Record<FieldKind, string> = {
  identity: `typeof x === 'string' && x.length > 0`,
  timestamp: `typeof x === 'string' && timestamp.test(x)`,
  text: `x === undefined || x === null || typeof x === 'string'`,
  integer: `x === undefined || x === null || x === '' || (typeof x === 'number' && Number.isInteger(x))`,
  flag: `x === undefined || x === null || x === '' || typeof x === 'boolean'`,
  number: `x === undefined || x === null || (typeof x === 'number' && Number.isFinite(x))`,
  strings: `x === undefined || x === null || (Array.isArray(x) && x.every((e) => typeof e === 'string'))`,
  array: `x === undefined || x === null || Array.isArray(x)`,
  typedObjects: `x === undefined || x === null || (Array.isArray(x) && x.every((e) => isObject(e) && (e['@odata.type'] === undefined || typeof e['@odata.type'] === 'string')))`,
  objects: `x === undefined || x === null || isObject(x) || (Array.isArray(x) && x.every(isObject))`,
  account: `x === undefined || x === null || (isObject(x) && isText(x.userName) && isText(x.domainName))`,
};

/** Helpers the generated conditions call (JSON.parse output: own data properties only). */
const isObject = (e: unknown): e is Record<string, unknown> => typeof e === 'object' && e !== null && !Array.isArray(e);
const isText = (e: unknown): boolean => e === undefined || e === null || typeof e === 'string';

/**
 * Builds the precheck of a loose object schema declared as `{ field: kind }` (unknown fields
 * allowed, as `z.looseObject`).
 *
 * The check is generated code with one constant property read per field (as zod itself does):
 * V8 then caches each read for the few object shapes an answer's alerts have, where a loop
 * reading `record[field]` over 51 names was measured 5× slower, costing as much as JSON.parse.
 * Field names come from our own table and are embedded as JSON string literals.
 */
export function compilePrecheck(kinds: Readonly<Record<string, FieldKind>>): Precheck {
  const reads = Object.entries(kinds).map(([field, kind]) => {
    // An inherited name (`toString`) would read Object.prototype: only own keys count, as for zod.
    const read =
      field in Object.prototype
        ? `(Object.hasOwn(v, ${JSON.stringify(field)}) ? v[${JSON.stringify(field)}] : undefined)`
        : `v[${JSON.stringify(field)}]`;
    return `  x = ${read};\n  if (!(${CONDITION[kind]})) return false;`;
  });
  const source = [
    `return function precheck(v) {`,
    `  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;`,
    `  let x;`,
    ...reads,
    `  return true;`,
    `};`,
  ].join('\n');
  // eslint-disable-next-line @typescript-eslint/no-implied-eval -- generated from our own constant table, see above
  const make = new Function('timestamp', 'isObject', 'isText', source) as (
    timestamp: RegExp,
    isObject: (e: unknown) => boolean,
    isText: (e: unknown) => boolean,
  ) => Precheck;
  return make(UTC_TIMESTAMP, isObject, isText);
}
