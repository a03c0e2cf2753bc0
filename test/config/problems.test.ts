/**
 * What a newcomer meets when the configuration is wrong: every problem found in one run, each in
 * the tool's own words on a line of its own, after a one-line summary; and the option table as
 * the one declaration of what each setting takes.
 */
import { describe, expect, it } from 'vitest';
import { fail, problemLine, problemOf, settingProblem, flagProblem } from '../../src/config/problems.js';
import { resolvePullConfig, type Flags, type ResolveInput } from '../../src/config/resolve.js';
import { readValues } from '../../src/config/setting-values.js';
import { AUTH_SETTINGS, FLEET_SETTINGS, PULL_SETTINGS, STATUS_SETTINGS, type SettingSpec } from '../../src/config/spec.js';
import { outcomeLine, outcomeOf, UsageError } from '../../src/errors.js';

const now = new Date('2024-05-01T12:00:00.000Z');
const goodEnv = {
  AZURE_TENANT_ID: '00000000-0000-4000-8000-000000000001',
  AZURE_CLIENT_ID: '00000000-0000-4000-8000-0000000000c1',
  AZURE_CLIENT_SECRET: 's3cret',
  DEFENDER_REGION: 'eu',
};

function input(flags: Flags, env: Record<string, string> = goodEnv): ResolveInput {
  return { flags, env, now };
}

function refusal(fn: () => unknown): UsageError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return err as UsageError;
  }
  throw new Error('expected a UsageError');
}

describe('a problem is data, worded in one place', () => {
  it('names a setting by its flag and variable, a flag alone, or what it is about', () => {
    expect(problemLine(settingProblem('region', 'required'))).toBe('--region (or DEFENDER_REGION): required');
    expect(problemLine(flagProblem('interval', 'only with --follow'))).toBe('--interval: only with --follow');
    expect(problemLine(problemOf('--ago and --since', 'give only one of them'))).toBe('--ago and --since: give only one of them');
    expect(problemLine(settingProblem('clientSecret', 'is empty'))).toBe('--client-secret-file (or AZURE_CLIENT_SECRET): is empty');
  });

  it('one problem is one line; several are a summary, then one a line, each once; the hint follows', () => {
    expect(refusal(() => fail([settingProblem('since', 'is in the future')])).message).toBe(
      'invalid configuration: --since: is in the future',
    );
    const err = refusal(() =>
      fail([settingProblem('tenant', 'required'), flagProblem('interval', 'only with --follow'), settingProblem('tenant', 'required')]),
    );
    expect(err.message).toBe(
      'invalid configuration (2 problems):\n  --tenant (or AZURE_TENANT_ID): required\n  --interval: only with --follow',
    );
    expect(err.problems).toEqual(['--tenant (or AZURE_TENANT_ID): required', '--interval: only with --follow']);
    const outcome = outcomeOf(err);
    expect(outcome.problems).toEqual(err.problems);
    expect(outcomeLine(outcome).split('\n').at(-1)).toBe('run with --help for every option and its environment variable');
    expect(outcomeLine(outcomeOf(refusal(() => fail(['one'])))).split('\n')).toHaveLength(1);
  });
});

describe('every problem of a configuration at once', () => {
  it('finds the bad values and the combinations together, never joined with "; "', () => {
    const err = refusal(() =>
      resolvePullConfig(input({ format: 'xml', limit: '0', since: 'soon', append: true, interval: '1m', clientId: 'abc' })),
    );
    expect(err.problems).toEqual([
      '--since: "soon" is neither a duration before now (90s, 15m, 2h30m, 7d, 1w or PT2H) nor an ISO-8601 time (2024-05-01T12:00:00Z)',
      '--limit: must be at least 1',
      '--format: expected json, ndjson, cef or leef',
      '--client-id (or AZURE_CLIENT_ID): expected the application (client) id, a GUID',
      '--append: needs --output <file> (stdout is appended to by the shell: >>)',
      '--interval: only with --follow',
    ]);
    expect(err.message).not.toContain('; ');
  });

  it('reports a bad region with the sign-in problems, not once they are fixed', () => {
    const err = refusal(() => resolvePullConfig(input({ region: 'mars' }, { AZURE_TENANT_ID: 'not a tenant' })));
    expect(err.problems).toContain('--region (or DEFENDER_REGION): expected eu, us, uk for --api siem, got "mars"');
    expect(err.problems).toContain('--client-id (or AZURE_CLIENT_ID): required');
  });

  it('says a number too large for JavaScript once, in its own words', () => {
    const err = refusal(() => resolvePullConfig(input({ limit: '99999999999999999999' })));
    expect(err.message).toBe('invalid configuration: --limit: must be at most 1000000000');
  });
});

describe('the option table declares what each pull setting takes', () => {
  it('gives every pull setting a rule, so that each is checked by it', () => {
    const settings: readonly SettingSpec[] = PULL_SETTINGS;
    expect(settings.filter((s) => s.value === undefined).map((s) => s.flag)).toEqual([]);
  });

  it('gives every sign-in setting a rule, but those read as files or checked against the API', () => {
    const settings: readonly SettingSpec[] = AUTH_SETTINGS;
    // The secret file and the env file are read, not parsed; a region is checked against --api's regions.
    expect(settings.filter((s) => s.value === undefined).map((s) => s.flag)).toEqual(['client-secret-file', 'region', 'env-file']);
  });

  it('gives every tenants-file and status setting a rule', () => {
    const settings: readonly SettingSpec[] = [...FLEET_SETTINGS, ...STATUS_SETTINGS];
    expect(settings.filter((s) => s.value === undefined).map((s) => s.flag)).toEqual([]);
  });

  it('reads a repeatable setting given in the environment as one value', () => {
    const read = readValues(STATUS_SETTINGS, { state: '/var/lib/defender/state.json', logLevel: 'info' });
    expect(read.problems).toEqual([]);
    expect(read.complete?.state).toEqual(['/var/lib/defender/state.json']);
  });

  it('checks the sign-in settings by those rules, every bad one at once', () => {
    const err = refusal(() =>
      resolvePullConfig(
        input({ tenant: 'not a tenant', clientId: 'not-a-guid', timeout: '0', baseUrl: 'http://example.com', maxRetries: '99' }),
      ),
    );
    expect(err.message).toContain('expected the tenant GUID or a verified domain');
    expect(err.message).toContain('expected the application (client) id, a GUID');
    expect(err.message).toContain('--timeout: must be more than 0');
    expect(err.message).toContain('the base URL must use https://');
    expect(err.message).toContain('--max-retries: must be at most 20');
  });

  it.each(PULL_SETTINGS.filter((s) => s.value.kind === 'choice').map((s) => [s.flag, s] as const))(
    '--%s takes its choices, and refuses anything else naming them',
    (flag, spec) => {
      const choices = spec.value.kind === 'choice' ? spec.value.choices : [];
      const key = flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
      expect(refusal(() => resolvePullConfig(input({ [key]: 'bogus' }))).problems?.[0]).toMatch(
        new RegExp(`^--${flag}: expected ${choices.at(-1) ?? ''}|^--${flag}: expected .* or ${choices.at(-1) ?? ''}$`),
      );
    },
  );

  it('reads every duration in every form: ISO-8601, compound, weeks', () => {
    const c = resolvePullConfig(input({ state: 's.json', overlap: 'PT1H30M', window: '1w', since: '1w' }));
    expect(c.state).toMatchObject({ overlapMs: 5_400_000, windowMs: 604_800_000 });
    expect(c.query.since?.toISOString()).toBe('2024-04-24T12:00:00.000Z');
    expect(resolvePullConfig(input({ since: 'PT2H' })).query.since?.toISOString()).toBe('2024-05-01T10:00:00.000Z');
    const service = resolvePullConfig(input({ state: 's.json', follow: true, interval: '1h30m', jitter: 'PT30S' }));
    expect(service.follow).toEqual({ intervalMs: 5_400_000, jitterMs: 30_000 });
  });

  it('sends --ago in ISO-8601: as typed when it is, converted when another form', () => {
    expect(resolvePullConfig(input({ ago: ' PT10M ' })).query.ago).toBe('PT10M');
    expect(resolvePullConfig(input({ ago: '2h30m' })).query.ago).toBe('PT2H30M');
    expect(resolvePullConfig(input({ ago: '1w' })).query.ago).toBe('P7D');
    expect(refusal(() => resolvePullConfig(input({ ago: '0s' }))).message).toContain('--ago: expected a duration');
  });
});

describe('flags are typed by the option table', () => {
  it('a key that is no setting does not compile', () => {
    const flags: Flags = { clientSecretFile: '/run/secret' };
    // @ts-expect-error -- a misspelt setting is a type error (tsc), not a silently unset option
    expect(flags['clientSecretFlie']).toBeUndefined();
    expect(flags['clientSecretFile']).toBe('/run/secret');
  });
});
