/**
 * The zod schema of each kind of field (./precheck.ts `FieldKind`), so that an API's alert is
 * declared once, as a table of its fields' kinds, and both its zod schema and its fast checks
 * (./precheck.ts, ./byte-check.ts) are built from that table. Tolerant, as every alert schema here
 * is: an absent value may be missing or null, unknown fields are kept by the caller's
 * `z.looseObject`.
 */
import { z } from 'zod';
import { UTC_TIMESTAMP, type FieldKind } from './precheck.js';

/** A string field that may be absent: missing, `null` (or, for the SIEM API, `""`). */
const text = z.string().nullable().optional();

/** An integer field that may be absent. Not `z.int()`: that rejects integers beyond 2^53. */
const integer = z
  .union([z.number().refine(Number.isInteger, { error: 'expected an integer' }), z.literal(''), z.null()], {
    error: (issue) => `expected an integer, "" or null, got ${describe(issue.input)}`,
  })
  .optional();

/** A boolean field that may be absent (`null` in both documented SIEM examples). */
const flag = z
  .union([z.boolean(), z.literal(''), z.null()], {
    error: (issue) => `expected true, false, "" or null, got ${describe(issue.input)}`,
  })
  .optional();

/** A required string: says "required" rather than "expected string, received undefined". */
const required = () => z.string({ error: (issue) => (issue.input === undefined ? 'required' : undefined) });

/** Evidence of Graph and of MDE with `$expand`: polymorphic by `@odata.type` (deviceEvidence, fileEvidence, …). */
export const TypedObjectSchema = z.looseObject({ '@odata.type': z.string().optional() });

/** Each kind's schema; `example` is the API's own way of writing a timestamp, shown when one is wrong. */
function kindSchemas(example: string) {
  return {
    identity: required().min(1, { error: 'must not be empty' }),
    timestamp: required().regex(UTC_TIMESTAMP, { error: `expected an ISO-8601 UTC timestamp like ${example}` }),
    text,
    integer,
    flag,
    number: z.number().nullable().optional(),
    strings: z.array(z.string()).nullable().optional(),
    array: z.array(z.unknown()).nullable().optional(),
    typedObjects: z.array(TypedObjectSchema).nullable().optional(),
    // An array with `$expand=evidence`; Elastic's published test data splits it into one object per line.
    objects: z
      .union([z.array(z.looseObject({})), z.looseObject({})])
      .nullable()
      .optional(),
    account: z.looseObject({ userName: text, domainName: text }).nullable().optional(),
  } as const satisfies Record<FieldKind, z.ZodType>;
}

type KindSchemas = ReturnType<typeof kindSchemas>;

/** The zod shape of a table of field kinds: one schema per field, typed field by field. */
export type ShapeOf<T extends Record<string, FieldKind>> = { [K in keyof T]: KindSchemas[T[K]] };

/** The zod object of an alert whose fields are `kinds`; unknown fields pass through untouched. */
export function alertSchemaOf<const T extends Record<string, FieldKind>>(
  kinds: T,
  timestampExample: string,
): z.ZodObject<ShapeOf<T>, z.core.$loose> {
  const schemas = kindSchemas(timestampExample);
  const shape: Record<string, z.ZodType> = {};
  for (const [field, kind] of Object.entries(kinds)) shape[field] = schemas[kind];
  return z.looseObject(shape as ShapeOf<T>);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'string' ? JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value) : typeof value;
}
