/**
 * The values of the settings that declare a `value` rule in the option table (spec.ts): each read
 * by its rule, checked on its own so that every bad value is reported at once, and typed from the
 * table, so that adding a setting is one entry there. Pure.
 */
import { z } from 'zod';
import { isoDuration, parseIsoDuration, parseDuration, TimeParseError } from '../time.js';
import { DOMAIN, duration, GUID, origin, timeOption, wholeNumber } from './fields.js';
import { parseShard, type Shard } from './shard.js';
import { settingProblem, type Problem } from './problems.js';
import { optionKey, type OptionKey, type SettingKey, type SettingSpec, type ValueRule } from './spec.js';

/** What a rule's text becomes. */
type ValueOf<Rule extends ValueRule, Repeatable> = Rule extends { kind: 'text' }
  ? Repeatable extends true
    ? string[]
    : string
  : Rule extends { kind: 'switch' }
    ? boolean
    : Rule extends { kind: 'choice'; choices: readonly (infer C)[] }
      ? C
      : Rule extends { kind: 'whole' }
        ? number
        : Rule extends { kind: 'duration'; auto: true }
          ? number | 'auto'
          : Rule extends { kind: 'duration' }
            ? number
            : Rule extends { kind: 'time' }
              ? Date
              : Rule extends { kind: 'api-duration' | 'tenant' | 'guid' | 'uri' }
                ? string
                : Rule extends { kind: 'origin' }
                  ? URL
                  : Rule extends { kind: 'seconds' }
                    ? number
                    : Rule extends { kind: 'shard' }
                      ? Shard
                      : never;

/** Rules whose setting must be given (no default could stand for it). */
type Required = { kind: 'tenant' } | { kind: 'guid' };

type Valued = SettingSpec & { readonly value: ValueRule };

/** The value of each setting of `Specs` with a rule, by commander's key; undefined when not given (a default is always given). */
export type SettingValues<Specs extends readonly SettingSpec[]> = {
  [S in Extract<Specs[number], Valued> as OptionKey<S['flag']>]: S extends { default: string }
    ? ValueOf<S['value'], S['repeatable']>
    : S['value'] extends Required
      ? ValueOf<S['value'], S['repeatable']>
      : ValueOf<S['value'], S['repeatable']> | undefined;
};

/** The values as far as they could be read: a bad one is undefined (its problem is reported). */
export type PartialValues<Specs extends readonly SettingSpec[]> = {
  [K in keyof SettingValues<Specs>]: SettingValues<Specs>[K] | undefined;
};

const text = z.string().min(1, 'is empty');

/** `a, b or c`, as the choices are named in a message. */
function alternatives(choices: readonly string[]): string {
  return choices.length <= 1 ? (choices[0] ?? '') : `${choices.slice(0, -1).join(', ')} or ${choices.at(-1) ?? ''}`;
}

/** The duration the API is sent: as typed when it is already the API's form, else that form. */
const apiDuration = z.string().transform((typed, ctx) => {
  try {
    parseIsoDuration(typed);
    return typed.trim();
  } catch {
    // another form: its ISO-8601 equivalent below
  }
  try {
    const ms = parseDuration(typed);
    if (ms > 0) return isoDuration(ms);
  } catch (err) {
    if (!(err instanceof TimeParseError)) throw err;
  }
  ctx.addIssue({ code: 'custom', message: 'expected a duration such as PT10M, PT2H, P1D or 10m, 2h30m, 1w' });
  return z.NEVER;
});

/** The zod schema of one rule. */
function schemaOf(spec: SettingSpec, rule: ValueRule, now: Date): z.ZodType {
  switch (rule.kind) {
    case 'text':
      // A repeatable setting given in the environment is one value.
      return spec.repeatable ? z.union([z.array(text), text.transform((v) => [v])]) : text;
    case 'switch':
      return z.boolean();
    case 'choice':
      return z.enum(rule.choices as [string, ...string[]], { error: `expected ${alternatives(rule.choices)}` });
    case 'whole':
      return wholeNumber(rule.min, rule.max);
    case 'duration':
      return rule.auto
        ? z.union([z.literal('auto'), duration(rule.minMs, rule.maxMs)], {
            error: `expected auto or a duration from ${spanOf(rule.minMs)} to ${spanOf(rule.maxMs)} (e.g. 30m, 6h, 1d)`,
          })
        : duration(rule.minMs, rule.maxMs);
    case 'time':
      return timeOption(now);
    case 'api-duration':
      return apiDuration;
    case 'tenant':
      return required(
        z.string().refine((t) => GUID.test(t) || DOMAIN.test(t), {
          message: 'expected the tenant GUID or a verified domain such as contoso.onmicrosoft.com',
        }),
      );
    case 'guid':
      return required(z.string().regex(GUID, `expected ${rule.what}, a GUID`));
    case 'origin':
      return origin(rule.what);
    case 'uri':
      return z.string().url('expected a URI such as https://WDATPAlertExport.Seville.onmicrosoft.com');
    case 'shard':
      return z.string().transform((given, ctx) => {
        try {
          return parseShard(given);
        } catch (err) {
          ctx.addIssue({ code: 'custom', message: (err as Error).message });
          return z.NEVER;
        }
      });
    case 'seconds':
      return z
        .string()
        .regex(/^\d+(\.\d+)?$/, 'expected seconds, e.g. 30')
        .transform(Number)
        .pipe(z.number().positive('must be more than 0').max(rule.max, `must be at most ${rule.max}`));
  }
}

/** A value that must be given: missing or empty is `required`. */
function required(schema: z.ZodString): z.ZodType {
  return z.string().min(1, 'required').pipe(schema);
}

/** `1m`, `7d`: a bound of a duration in a message. */
function spanOf(ms: number): string {
  return ms % 86_400_000 === 0 ? `${ms / 86_400_000}d` : ms % 60_000 === 0 ? `${ms / 60_000}m` : `${ms / 1000}s`;
}

/**
 * Reads the gathered `raw` text of each setting of `specs` that has a rule. Each value is checked
 * on its own: `values` holds every one that could be read, `problems` one per bad value, and
 * `complete` the values when none was bad.
 */
export function readValues<const Specs extends readonly SettingSpec[]>(
  specs: Specs,
  raw: Readonly<Record<string, unknown>>,
  /** What a relative time is relative to (only `time` rules read it). */
  now: Date = new Date(),
): { values: PartialValues<Specs>; problems: Problem[]; complete: SettingValues<Specs> | undefined } {
  const values: Record<string, unknown> = {};
  const problems: Problem[] = [];
  for (const spec of specs) {
    if (spec.value === undefined) continue;
    const key = optionKey(spec.flag);
    const given = raw[key];
    if (given === undefined) {
      values[key] = undefined;
      if (spec.value.kind === 'tenant' || spec.value.kind === 'guid') problems.push(settingProblem(key as SettingKey, 'required'));
      continue;
    }
    const parsed = schemaOf(spec, spec.value, now).safeParse(given);
    if (parsed.success) values[key] = parsed.data;
    // Each value is one problem, however many of zod's checks it failed.
    else problems.push(settingProblem(key as SettingKey, parsed.error.issues[0]?.message ?? 'is not valid'));
  }
  // Every key of the rules was read by its rule above: the object is what the types say.
  return {
    values: values as PartialValues<Specs>,
    problems,
    complete: problems.length === 0 ? (values as SettingValues<Specs>) : undefined,
  };
}
