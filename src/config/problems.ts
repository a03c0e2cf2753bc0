/**
 * What is wrong with a configuration, as data: each check says which setting failed and why
 * (`{ setting: 'since', message: 'is in the future' }`), and only here does a problem become the
 * line a person reads (`--since: is in the future`), so every message of the configuration has one
 * voice and a tenants file can put the blame on the entry that set the setting. Pure.
 */
import { UsageError } from '../errors.js';
import { EVERY_SETTING, optionKey, settingLabel, type SettingKey, type SettingSpec } from './spec.js';

/** One thing wrong with a configuration. */
export interface Problem {
  /** The setting at fault (commander's key): names it in the line; a tenants file's entry that set it takes the blame. */
  readonly setting?: SettingKey | undefined;
  /** The flag alone is meant (the check looked at the command line only), not its variable. */
  readonly flagOnly?: boolean | undefined;
  /** What the problem is about when that is not one setting: `--ago and --since`, `tenants.json[3].region`. */
  readonly subject?: string | undefined;
  /** What is wrong, and what to do: completes `<setting>: …`. */
  readonly message: string;
}

/** A problem of one setting, named by its flag and its variable (`--region (or DEFENDER_REGION): …`). */
export function settingProblem(setting: SettingKey, message: string): Problem {
  return { setting, message };
}

/** A problem of a flag given on the command line (`--interval: only with --follow`). */
export function flagProblem(setting: SettingKey, message: string): Problem {
  return { setting, flagOnly: true, message };
}

/** A problem of something other than one setting: two settings together, a place in a file. */
export function problemOf(subject: string, message: string): Problem {
  return { subject, message };
}

/**
 * Each setting by commander's key. Where two commands' settings share a key (`--tenants`: pull's
 * file, the simulator's count), the first listed names it: the configuration's.
 */
const SPEC_BY_KEY = new Map<string, SettingSpec>();
for (const spec of EVERY_SETTING) if (!SPEC_BY_KEY.has(optionKey(spec.flag))) SPEC_BY_KEY.set(optionKey(spec.flag), spec);

/** How a setting is named in a problem: both places it can be set, or its flag alone. */
function settingName(setting: SettingKey, flagOnly: boolean): string {
  // The secret is read from three places; the flag of the file and the variable of the value are the ones to name.
  if (setting === 'clientSecret') return '--client-secret-file (or AZURE_CLIENT_SECRET)';
  const spec = SPEC_BY_KEY.get(setting);
  if (spec === undefined) return setting;
  return flagOnly ? `--${spec.flag}` : settingLabel(spec);
}

/** The line a person reads: `<what>: <message>`. A string is a problem already in words. */
export function problemLine(problem: Problem | string): string {
  if (typeof problem === 'string') return problem;
  const what = problem.subject ?? (problem.setting === undefined ? undefined : settingName(problem.setting, problem.flagOnly === true));
  return what === undefined ? problem.message : `${what}: ${problem.message}`;
}

const HINT = 'run with --help for every option and its environment variable';

/**
 * The message of several problems: `<summary>:` on the first line, then one problem a line,
 * indented, as every list of problems of the configuration is written.
 */
export function listing(summary: string, lines: readonly string[]): string {
  return `${summary}:\n${lines.map((line) => `  ${line}`).join('\n')}`;
}

/**
 * Throws the UsageError of a configuration: one problem on one line (`invalid configuration:
 * --limit: must be at most 1000000000`); several as a summary line, then one problem a line. The
 * same problem found twice is said once. The lines travel with the error (`problems`), so the
 * JSON stderr line carries them as an array.
 */
export function fail(problems: readonly (Problem | string)[]): never {
  const lines = [...new Set(problems.map(problemLine))];
  const message =
    lines.length === 1 ? `invalid configuration: ${lines[0] ?? ''}` : listing(`invalid configuration (${lines.length} problems)`, lines);
  throw new UsageError(message, { hint: HINT, problems: lines });
}
