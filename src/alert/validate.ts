/**
 * Checks one alert's raw bytes against a schema, turning every failure into data for the report
 * (a broken alert is counted and named, not thrown, so the run can decide what to do with it).
 */
import { isUtf8 } from 'node:buffer';
import type { z } from 'zod';
import type { Precheck } from './precheck.js';

/** Prechecks registered for schemas (see ./precheck.ts): a valid alert then costs no zod call. */
const prechecks = new WeakMap<z.ZodType, Precheck>();

/**
 * Registers `precheck` for `schema`: {@link validateAlert} then accepts a value the precheck
 * passes without running the schema. The precheck must accept nothing the schema rejects, and
 * the value must be what the schema would output (true of a loose object schema without
 * transforms, whose output is a copy of its input).
 */
export function registerPrecheck(schema: z.ZodType, precheck: Precheck): void {
  prechecks.set(schema, precheck);
}

/** The outcome of {@link validateAlert}. */
export type AlertValidation<T> =
  | { ok: true; value: T }
  | {
      ok: false;
      /** The alert's `AlertId` (SIEM API) or `id` (newer APIs), when it can be found. */
      alertId: string | undefined;
      /** One `path: reason` line per problem, e.g. `LastProcessedTimeUtc: required`. */
      problems: string[];
    };

/** The path shown for a problem with the alert as a whole. */
const ROOT = '(root)';

/**
 * Parses `raw` (one alert's JSON bytes) and validates it with `schema`. Never throws for bad
 * input: invalid JSON is reported as a problem like any other.
 */
export function validateAlert<T>(schema: z.ZodType<T>, raw: Buffer): AlertValidation<T> {
  // The raw bytes are what we write: bytes that are not UTF-8 would reach the SIEM as they are
  // (JSON.parse alone would see U+FFFD and pass them).
  if (!isUtf8(raw)) {
    return { ok: false, alertId: alertIdFromText(raw), problems: [`${ROOT}: not valid UTF-8`] };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw.toString('utf8'));
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return { ok: false, alertId: alertIdFromText(raw), problems: [`${ROOT}: not valid JSON (${reason})`] };
  }

  if (prechecks.get(schema)?.(parsed) === true) return { ok: true, value: parsed as T };
  const result = schema.safeParse(parsed);
  if (result.success) return { ok: true, value: result.data };
  return {
    ok: false,
    alertId: alertIdOf(parsed),
    problems: result.error.issues.map((issue) => `${formatPath(issue.path)}: ${issue.message}`),
  };
}

/** `a.b[0].c`, or `(root)` for the alert itself. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out === '' ? ROOT : out;
}

function alertIdOf(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const record = value as Record<string, unknown>;
  for (const key of ['AlertId', 'id']) {
    const id = record[key];
    if (typeof id === 'string' && id !== '') return id;
  }
  return undefined;
}

/** Best effort for bytes JSON.parse rejected: the report can still name the alert. */
const ALERT_ID_IN_TEXT = /"(?:AlertId|id)"\s*:\s*"([^"\\]{1,200})"/;

function alertIdFromText(raw: Buffer): string | undefined {
  // The id sits near the start of an alert; don't decode a huge broken element just to look.
  return ALERT_ID_IN_TEXT.exec(raw.subarray(0, 64 * 1024).toString('utf8'))?.[1];
}
