/**
 * Turns parsed flags and the environment into one validated configuration, or a UsageError that
 * lists every problem at once (`--tenant (or AZURE_TENANT_ID): required`), as changesets' config
 * parser does. Pure: files (secret, --env-file) are read by the caller and passed in.
 */
import type { AlertQuery } from '../api/source.js';
import { NO_FILTERS, type AlertFilters } from '../api/odata-filters.js';
import {
  ALERT_FILTER_VALUES,
  APIS,
  authorityHost,
  CLOUDS,
  defaultBaseUrl,
  GRAPH_MAX_PAGE,
  MDE_MAX_PAGE,
  regionsOf,
  tokenAudience,
  type ApiName,
  type Cloud,
} from '../microsoft.js';
import { gather } from './fields.js';
import { fail, flagProblem, problemLine, problemOf, settingProblem, type Problem } from './problems.js';
import { readValues, type PartialValues } from './setting-values.js';
import { AUTH_SETTINGS, LOGIN_SETTINGS, PULL_SETTINGS } from './spec.js';
import type { AuthConfig, Flags, LoginConfig, PullConfig, ResolveInput } from './types.js';

/** `--window auto`: the first windows' length, before what they held sizes the next ones. */
const AUTO_FIRST_WINDOW_MS = 3_600_000;

export type { AuthConfig, Env, Flags, LoginConfig, ODataSettings, PullConfig, ResolveInput, StateConfig } from './types.js';

function pickSecret(input: ResolveInput, problems: Problem[]): string | undefined {
  const { flags, env, secretFromFile } = input;
  const flagSecret = typeof flags['clientSecret'] === 'string' ? flags['clientSecret'] : undefined;
  if (flagSecret !== undefined && flags['clientSecretFile'] !== undefined) {
    problems.push(problemOf('--client-secret and --client-secret-file', 'give only one of them'));
  }
  const fromFlags = secretFromFile ?? flagSecret;
  if (fromFlags !== undefined && flags['certificate'] !== undefined) {
    problems.push(problemOf('--certificate and a client secret flag', 'give only one of them'));
  }
  return fromFlags ?? (env['AZURE_CLIENT_SECRET'] || undefined);
}

/**
 * Which credential: a flag beats the environment; between two environment variables the secret
 * wins, as in the Azure SDK's EnvironmentCredential.
 */
function pickCredential(flags: Flags, secret: string | undefined, certificate: string | undefined): AuthConfig['credential'] | undefined {
  if (typeof flags['certificate'] === 'string') return { kind: 'certificate', path: flags['certificate'] };
  if (secret !== undefined) return { kind: 'secret', secret };
  if (certificate !== undefined) return { kind: 'certificate', path: certificate };
  return undefined;
}

/** Resolves and validates what `token` needs; every problem is reported at once (UsageError). */
export function resolveAuthConfig(input: ResolveInput): AuthConfig {
  const problems: Problem[] = [];
  const auth = authConfig(input, problems);
  if (problems.length > 0 || auth === undefined) fail(problems);
  return auth;
}

/**
 * The sign-in half of every command's configuration: the config, or undefined with the reasons
 * added to `problems` (the caller reports them with its own, all at once).
 */
function authConfig(input: ResolveInput, problems: Problem[]): AuthConfig | undefined {
  const raw = gather(AUTH_SETTINGS, input.flags, input.env);
  raw['clientSecret'] = pickSecret(input, problems);
  const read = readValues(AUTH_SETTINGS, raw, input.now);
  problems.push(...read.problems);
  const text = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);
  const asUser = raw['auth'] === 'user';
  if (asUser) {
    for (const key of ['clientSecret', 'clientSecretFile', 'certificate'] as const) {
      if (input.flags[key] !== undefined) problems.push(flagProblem(key, 'not used with --auth user (the cached sign-in is)'));
    }
  }
  // With --auth user a secret or certificate in the environment is simply not used.
  const credential: AuthConfig['credential'] | undefined = asUser
    ? { kind: 'user' }
    : pickCredential(input.flags, text(raw['clientSecret']), text(raw['certificate']));
  if (credential === undefined) {
    problems.push(
      problemOf(
        '--client-secret-file (or AZURE_CLIENT_SECRET), or --certificate (or AZURE_CLIENT_CERTIFICATE_PATH)',
        'required (or --auth user after defender-alerts login)',
      ),
    );
  }
  // Checked whatever else is wrong, so that a bad region is not found only once the rest is fixed.
  const api = APIS.find((a) => a === raw['api']);
  const cloud = CLOUDS.find((c) => c === raw['cloud']);
  const region = typeof raw['region'] === 'string' && api && cloud ? checkRegion(api, cloud, raw['region']) : undefined;
  if (region?.problem) problems.push(region.problem);
  const c = read.complete;
  if (c === undefined || credential === undefined || region?.problem) return undefined;
  const fallback = defaultBaseUrl(c.api, c.cloud, region?.region);
  return {
    api: c.api,
    cloud: c.cloud,
    tenant: c.tenant,
    clientId: c.clientId,
    credential,
    audience: tokenAudience(c.api, c.cloud, c.resource),
    authorityHost: c.authorityHost ?? new URL(authorityHost(c.cloud)),
    baseUrl: c.baseUrl ?? (fallback ? new URL(fallback) : undefined),
    timeoutMs: Math.round(c.timeout * 1000),
    maxRetries: c.maxRetries,
    maxThrottleWaitMs: c.maxThrottleWait,
    logLevel: c.logLevel,
    warnings: region?.warning ? [problemLine(region.warning)] : [],
  };
}

/**
 * A region is one of the API's (else a problem); where the API has none (graph), or one host in
 * a government cloud, it does not apply: a warning, and it is ignored — an env file written for
 * one API keeps working when --api changes.
 */
function checkRegion(api: ApiName, cloud: Cloud, region: string): { region?: string; problem?: Problem; warning?: Problem } {
  const regions = regionsOf(api);
  if (regions.length === 0) return { warning: settingProblem('region', `--api ${api} has no regions; "${region}" is ignored`) };
  if (!regions.includes(region)) {
    return { problem: settingProblem('region', `expected ${regions.join(', ')} for --api ${api}, got "${region}"`) };
  }
  if (cloud !== 'public') {
    return { warning: settingProblem('region', `--api ${api} has one host in --cloud ${cloud}; "${region}" is ignored`) };
  }
  return { region };
}

/** A configuration, or every problem that keeps it from being one. */
export type Resolution<C> = { ok: true; config: C } | { ok: false; problems: Problem[] };

/** Resolves and validates what `pull` needs; every problem of both halves is reported together. */
export function resolvePullConfig(input: ResolveInput): PullConfig {
  const resolution = checkPullConfig(input);
  if (!resolution.ok) fail(resolution.problems);
  return resolution.config;
}

type PullValues = PartialValues<typeof PULL_SETTINGS>;

/** {@link resolvePullConfig} without the throw: a many-tenant pull checks each tenant and reports all at once. */
export function checkPullConfig(input: ResolveInput): Resolution<PullConfig> {
  const problems: Problem[] = [];
  const raw = gather(PULL_SETTINGS, input.flags, input.env);
  // What writes one alert per line — a service, evidence records, an appended file — writes NDJSON
  // unless told otherwise (and a --format that contradicts it is refused below).
  if (input.flags['format'] === undefined && (raw['follow'] === true || raw['split'] !== undefined || raw['append'] === true)) {
    raw['format'] = 'ndjson';
  }
  const read = readValues(PULL_SETTINGS, raw, input.now);
  problems.push(...read.problems);
  const auth = authConfig(input, problems);
  problems.push(...combinationProblems(read.values, raw, input));
  const where = gather(AUTH_SETTINGS, input.flags, input.env);
  const api = String(where['api']);
  if (api === 'siem' && where['cloud'] === 'public' && where['region'] === undefined && where['baseUrl'] === undefined) {
    problems.push(settingProblem('region', 'required unless --base-url (or DEFENDER_BASE_URL) is given; one of eu, us, uk'));
  }
  problems.push(...apiSpecificProblems(api, input.flags, read.values));
  const filters = alertFilters(api, read.values, problems);
  const p = read.complete;
  if (problems.length > 0 || !auth || !auth.baseUrl || p === undefined) return { ok: false, problems };

  const query: AlertQuery = { machineGroups: p.machineGroup ?? [] };
  if (p.since) query.since = p.since;
  if (p.until) query.until = p.until;
  if (p.ago !== undefined) query.ago = p.ago;
  if (p.limit !== undefined) query.limit = p.limit;
  if (p.deviceTag !== undefined) query.deviceTag = p.deviceTag;
  if (p.cloudTag !== undefined) query.cloudTag = p.cloudTag;
  const state =
    p.state === undefined
      ? undefined
      : {
          path: p.state,
          overlapMs: p.overlap,
          windowMs: p.window === 'auto' ? AUTO_FIRST_WINDOW_MS : p.window,
          adaptiveWindows: p.window === 'auto',
          parallel: p.parallel,
        };
  const config: PullConfig = {
    ...auth,
    baseUrl: auth.baseUrl,
    query,
    format: p.format,
    output: p.output,
    // A service appends: each cycle adds to the file (and a rotated file is started afresh).
    append: p.append === true || (p.follow === true && p.output !== undefined),
    follow: p.follow ? { intervalMs: p.interval, jitterMs: p.jitter } : undefined,
    state,
    metricsFile: p.metricsFile,
    // CEF and LEEF are Microsoft's mapping of the SIEM layout: every API goes through it.
    schema: p.format === 'cef' || p.format === 'leef' ? 'siem' : p.schema,
    split: p.split,
    filters: filters ?? NO_FILTERS,
    mde: {
      filterOn: p.filterOn === 'created' ? 'alertCreationTime' : 'lastUpdateTime',
      expandEvidence: p.expand === 'evidence',
      pageSize: p.pageSize ?? MDE_MAX_PAGE,
    },
    graph: { serviceSource: p.serviceSource, pageSize: p.pageSize ?? GRAPH_MAX_PAGE },
  };
  return { ok: true, config };
}

/**
 * Settings that do not go together. Each check reads what could be read (a bad value is undefined
 * and reported on its own), so every problem is found in one run.
 */
function combinationProblems(p: PullValues, raw: Readonly<Record<string, unknown>>, input: ResolveInput): Problem[] {
  const problems: Problem[] = [];
  const given = (key: keyof PullValues) => raw[key] !== undefined;
  if (p.ago !== undefined && p.since !== undefined) problems.push(problemOf('--ago and --since', 'give only one of them'));
  if (p.since && p.until && p.since.getTime() >= p.until.getTime()) {
    problems.push(settingProblem('until', `must be later than --since (${p.since.toISOString()})`));
  }
  if (p.since && p.since.getTime() > input.now.getTime()) problems.push(settingProblem('since', 'is in the future'));
  if (p.output?.includes('{tenant}'))
    problems.push(settingProblem('output', '{tenant} names one file per tenant; only with --tenants <file>'));
  if (p.append && !given('output'))
    problems.push(settingProblem('append', 'needs --output <file> (stdout is appended to by the shell: >>)'));
  if (p.append && p.format === 'json') {
    problems.push(settingProblem('append', 'appends one alert per line; use it with --format ndjson, cef or leef'));
  }
  if (p.split !== undefined && p.format !== undefined && p.format !== 'ndjson') {
    problems.push(problemOf('--split evidence', 'writes NDJSON records; use it with --format ndjson'));
  }
  if ((p.format === 'cef' || p.format === 'leef') && input.flags['schema'] === 'native') {
    problems.push(problemOf(`--format ${p.format}`, 'maps the SIEM layout (every API through --schema siem); leave out --schema native'));
  }
  if (p.split !== undefined && p.schema === 'siem') {
    problems.push(problemOf('--split evidence', 'the SIEM layout has no evidence; leave out --schema siem'));
  }
  if (p.follow) {
    if (!given('state')) {
      problems.push(settingProblem('follow', 'needs --state <file> (or --tenants with --state-dir): each cycle is a --state run'));
    }
    if (p.format === 'json') {
      problems.push(settingProblem('follow', 'writes one alert per line; use --format ndjson (a JSON array would never end)'));
    }
    if (p.jitter !== undefined && p.interval !== undefined && p.jitter > p.interval) {
      problems.push(settingProblem('jitter', 'must not be longer than --interval'));
    }
  } else {
    for (const flag of ['interval', 'jitter'] as const) {
      if (input.flags[flag] !== undefined) problems.push(flagProblem(flag, 'only with --follow'));
    }
  }
  // A plain pull reads one range; windows (and so parallel ones) belong to --state runs.
  if (!given('state') && input.flags['parallel'] !== undefined) {
    problems.push(flagProblem('parallel', 'with --state (or --state-dir), whose runs read their range in --window windows'));
  }
  if (given('metricsFile') && !given('state')) {
    problems.push(settingProblem('metricsFile', 'needs --state <file> (or --state-dir with --tenants): the counters live in the state'));
  }
  // The SIEM API answers --limit with the *most recent* n alerts, so a checkpoint after a limited
  // answer would silently skip the older rest (docs/microsoft-apis.md §1). --window bounds each request instead.
  if (given('state') && given('limit')) {
    problems.push(problemOf('--limit with --state', 'would silently lose the older alerts of a range; use --window to bound each request'));
  }
  return problems;
}

/** Options that belong to one API only: a usage error elsewhere, rather than silently ignored. */
function apiSpecificProblems(api: string, flags: Flags, p: PullValues): Problem[] {
  const problems: Problem[] = [];
  const only = (key: keyof PullValues, apis: string[]) => {
    if (flags[key] !== undefined && !apis.includes(api)) {
      problems.push(flagProblem(key, `only with --api ${apis.join(' or ')} (this is --api ${api})`));
    }
  };
  only('ago', ['siem']);
  only('machineGroup', ['siem']);
  only('deviceTag', ['siem']);
  only('cloudTag', ['siem']);
  only('filterOn', ['mde']);
  only('expand', ['mde']);
  only('serviceSource', ['graph']);
  // The SIEM API filters on time, machine groups and tags only (docs/microsoft-apis.md §1).
  only('severity', ['mde', 'graph']);
  only('status', ['mde', 'graph']);
  only('detectionSource', ['mde', 'graph']);
  if (flags['split'] !== undefined && api === 'siem') {
    problems.push(problemOf('--split evidence', 'only with --api mde (with --expand evidence) or graph'));
  }
  if (flags['split'] !== undefined && api === 'mde' && flags['expand'] !== 'evidence') {
    problems.push(problemOf('--split evidence', 'with --api mde, also give --expand evidence (the API sends evidence only when asked)'));
  }
  only('pageSize', ['mde', 'graph']);
  if (api === 'graph' && p.pageSize !== undefined && p.pageSize > GRAPH_MAX_PAGE) {
    problems.push(flagProblem('pageSize', `Graph answers at most ${GRAPH_MAX_PAGE} alerts a page`));
  }
  return problems;
}

/**
 * `--severity`, `--status`, `--detection-source` as the API writes them: severity and status
 * matched case-insensitively against its values (microsoft.ts), a detection source as given.
 */
function alertFilters(api: string, p: PullValues, problems: Problem[]): AlertFilters | undefined {
  if (api !== 'mde' && api !== 'graph') return undefined;
  const known = ALERT_FILTER_VALUES[api];
  const canonical = (key: 'severity' | 'status', allowed: readonly string[]): string[] =>
    (p[key] ?? []).flatMap((v) => {
      const match = allowed.find((a) => a.toLowerCase() === v.toLowerCase());
      if (match === undefined) problems.push(flagProblem(key, `expected one of ${allowed.join(', ')} for --api ${api}, got "${v}"`));
      return match === undefined ? [] : [match];
    });
  return {
    severity: canonical('severity', known.severity),
    status: canonical('status', known.status),
    detectionSource: p.detectionSource ?? [],
  };
}

/**
 * Resolves what `login` and `logout` need: the identity of a user sign-in (tenant, public client
 * id, the API's token audience), never a secret.
 */
export function resolveLoginConfig(input: ResolveInput): LoginConfig {
  const problems: Problem[] = [];
  const read = readValues(LOGIN_SETTINGS, gather(LOGIN_SETTINGS, input.flags, input.env), input.now);
  problems.push(...read.problems);
  const auth = authConfig({ ...input, flags: { ...input.flags, auth: 'user' } }, problems);
  const deviceCode = input.flags['deviceCode'] === true;
  if (deviceCode && input.flags['redirectPort'] !== undefined) problems.push(flagProblem('redirectPort', 'not used with --device-code'));
  const values = read.complete;
  if (problems.length > 0 || !auth || values === undefined) fail(problems);
  return {
    ...auth,
    deviceCode,
    redirectPort: values.redirectPort ?? 0,
    openBrowser: input.flags['browser'] !== false,
    waitMs: values.wait * 1000,
  };
}
