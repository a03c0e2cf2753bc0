/**
 * Turns parsed flags and the environment into one validated configuration, or a UsageError that
 * lists every problem at once (`--tenant (or AZURE_TENANT_ID): required`), as changesets' config
 * parser does. Pure: files (secret, --env-file) are read by the caller and passed in.
 */
import { z } from 'zod';
import type { AlertQuery } from '../api/source.js';
import { NO_FILTERS, type AlertFilters } from '../api/odata-filters.js';
import {
  ALERT_FILTER_VALUES,
  authorityHost,
  defaultBaseUrl,
  GRAPH_MAX_PAGE,
  MDE_MAX_PAGE,
  regionsOf,
  tokenAudience,
} from '../microsoft.js';
import { parseIsoDuration } from '../time.js';
import { authShape, collect, duration, fail, gather, timeOption, wholeNumber } from './fields.js';
import { AUTH_SETTINGS, LOGIN_SETTINGS, PULL_SETTINGS, optionKey } from './spec.js';
import type { AuthConfig, Flags, LoginConfig, PullConfig, ResolveInput } from './types.js';

/** `--window auto`: the first windows' length, before what they held sizes the next ones. */
const AUTO_FIRST_WINDOW_MS = 3_600_000;

export type { AuthConfig, Env, Flags, LoginConfig, ODataSettings, PullConfig, ResolveInput, StateConfig } from './types.js';

function pickSecret(input: ResolveInput, problems: string[]): string | undefined {
  const { flags, env, secretFromFile } = input;
  const flagSecret = typeof flags['clientSecret'] === 'string' ? flags['clientSecret'] : undefined;
  if (flagSecret !== undefined && flags['clientSecretFile'] !== undefined) {
    problems.push('--client-secret and --client-secret-file: give only one of them');
  }
  const fromFlags = secretFromFile ?? flagSecret;
  if (fromFlags !== undefined && flags['certificate'] !== undefined) {
    problems.push('--certificate and a client secret flag: give only one of them');
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
  const problems: string[] = [];
  const auth = authConfig(input, problems);
  if (problems.length > 0 || auth === undefined) fail(problems);
  return auth;
}

/**
 * The sign-in half of every command's configuration: the config, or undefined with the reasons
 * added to `problems` (the caller reports them with its own, all at once).
 */
function authConfig(input: ResolveInput, problems: string[]): AuthConfig | undefined {
  const raw = gather(AUTH_SETTINGS, input.flags, input.env);
  raw['clientSecret'] = pickSecret(input, problems);
  const parsed = z.object(authShape()).safeParse(raw);
  collect(parsed, problems);
  const text = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);
  const asUser = raw['auth'] === 'user';
  if (asUser) {
    for (const flag of ['client-secret', 'client-secret-file', 'certificate']) {
      if (input.flags[optionKey(flag)] !== undefined) problems.push(`--${flag}: not used with --auth user (the cached sign-in is)`);
    }
  }
  // With --auth user a secret or certificate in the environment is simply not used.
  const credential: AuthConfig['credential'] | undefined = asUser
    ? { kind: 'user' }
    : pickCredential(input.flags, text(raw['clientSecret']), text(raw['certificate']));
  if (credential === undefined) {
    problems.push(
      '--client-secret-file (or AZURE_CLIENT_SECRET), or --certificate (or AZURE_CLIENT_CERTIFICATE_PATH): required (or --auth user after defender-alerts login)',
    );
  }
  if (!parsed.success || credential === undefined) return undefined;
  const c = parsed.data;
  const regions = regionsOf(c.api);
  if (c.region !== undefined && !regions.includes(c.region)) {
    problems.push(
      regions.length === 0
        ? `--region (or DEFENDER_REGION): --api ${c.api} has no regions; leave it out`
        : `--region (or DEFENDER_REGION): expected ${regions.join(', ')} for --api ${c.api}, got "${c.region}"`,
    );
    return undefined;
  }
  const fallback = defaultBaseUrl(c.api, c.cloud, c.region);
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
  };
}

/** A configuration, or every problem that keeps it from being one. */
export type Resolution<C> = { ok: true; config: C } | { ok: false; problems: string[] };

/** Resolves and validates what `pull` needs; every problem of both halves is reported together. */
export function resolvePullConfig(input: ResolveInput): PullConfig {
  const resolution = checkPullConfig(input);
  if (!resolution.ok) fail(resolution.problems);
  return resolution.config;
}

/** {@link resolvePullConfig} without the throw: a many-tenant pull checks each tenant and reports all at once. */
export function checkPullConfig(input: ResolveInput): Resolution<PullConfig> {
  const problems: string[] = [];
  const raw = gather(PULL_SETTINGS, input.flags, input.env);
  // A service writes one alert per line unless told otherwise (and json is then refused below).
  if (raw['follow'] === true && input.flags['format'] === undefined) raw['format'] = 'ndjson';
  const pullShape = z
    .object({
      since: timeOption(input.now).optional(),
      until: timeOption(input.now).optional(),
      ago: z
        .string()
        .refine(
          (t) => {
            try {
              return parseIsoDuration(t) > 0;
            } catch {
              return false;
            }
          },
          { message: 'expected an ISO-8601 duration such as PT10M, PT2H or P1D' },
        )
        .optional(),
      limit: wholeNumber(1, 1_000_000_000).optional(),
      machineGroup: z.array(z.string().min(1, 'is empty')).optional(),
      deviceTag: z.string().min(1, 'is empty').optional(),
      cloudTag: z.string().min(1, 'is empty').optional(),
      format: z.enum(['json', 'ndjson', 'cef', 'leef'], { error: 'expected json, ndjson, cef or leef' }),
      split: z.literal('evidence', { error: 'expected evidence' }).optional(),
      severity: z.array(z.string().min(1, 'is empty')).optional(),
      status: z.array(z.string().min(1, 'is empty')).optional(),
      detectionSource: z.array(z.string().min(1, 'is empty')).optional(),
      output: z.string().min(1, 'is empty').optional(),
      append: z.boolean().optional(),
      state: z.string().min(1, 'is empty').optional(),
      metricsFile: z.string().min(1, 'is empty').optional(),
      follow: z.boolean().optional(),
      interval: duration(1000, 86_400_000),
      jitter: duration(0, 86_400_000),
      overlap: duration(0, 7 * 86_400_000),
      window: z.union([z.literal('auto'), duration(60_000, 7 * 86_400_000)], {
        error: 'expected auto or a duration from 1m to 7d (e.g. 30m, 6h, 1d)',
      }),
      parallel: wholeNumber(1, 16),
      filterOn: z.enum(['updated', 'created'], { error: 'expected updated or created' }),
      expand: z.literal('evidence', { error: 'expected evidence' }).optional(),
      serviceSource: z.string().min(1, 'is empty').optional(),
      pageSize: wholeNumber(1, 10_000).optional(),
      schema: z.enum(['native', 'siem'], { error: 'expected native or siem' }),
    })
    .safeParse(raw);
  collect(pullShape, problems);

  const auth = authConfig(input, problems);
  if (pullShape.success) {
    const p = pullShape.data;
    if (p.ago !== undefined && p.since !== undefined) problems.push('--ago and --since: give only one of them');
    if (p.since && p.until && p.since.getTime() >= p.until.getTime()) {
      problems.push(`--until: must be later than --since (${p.since.toISOString()})`);
    }
    if (p.since && p.since.getTime() > input.now.getTime()) problems.push('--since: is in the future');
    if (p.output?.includes('{tenant}')) problems.push('--output: {tenant} names one file per tenant; only with --tenants <file>');
    if (p.append && p.output === undefined) problems.push('--append: needs --output <file> (stdout is appended to by the shell: >>)');
    if (p.append && p.format === 'json') problems.push('--append: appends one alert per line; use it with --format ndjson, cef or leef');
    if (p.split !== undefined && p.format !== 'ndjson')
      problems.push('--split evidence: writes NDJSON records; use it with --format ndjson');
    if ((p.format === 'cef' || p.format === 'leef') && input.flags['schema'] === 'native') {
      problems.push(`--format ${p.format}: maps the SIEM layout (every API through --schema siem); leave out --schema native`);
    }
    if (p.split !== undefined && p.schema === 'siem')
      problems.push('--split evidence: the SIEM layout has no evidence; leave out --schema siem');
    // The SIEM API answers --limit with the *most recent* n alerts, so a checkpoint after a limited
    // answer would silently skip the older rest (docs/microsoft-apis.md §1). --window bounds each request instead.
    if (p.follow) {
      if (p.state === undefined) {
        problems.push('--follow: needs --state <file> (or --tenants with --state-dir): each cycle is a --state run');
      }
      if (p.format === 'json') problems.push('--follow: writes one alert per line; use --format ndjson (a JSON array would never end)');
      if (p.jitter > p.interval) problems.push('--jitter: must not be longer than --interval');
    } else {
      for (const flag of ['interval', 'jitter']) {
        if (input.flags[flag] !== undefined) problems.push(`--${flag}: only with --follow`);
      }
    }
    // A plain pull reads one range; windows (and so parallel ones) belong to --state runs.
    if (p.state === undefined && input.flags['parallel'] !== undefined) {
      problems.push('--parallel: with --state (or --state-dir), whose runs read their range in --window windows');
    }
    if (p.metricsFile !== undefined && p.state === undefined) {
      problems.push(
        '--metrics-file (or DEFENDER_METRICS_FILE): needs --state <file> (or --state-dir with --tenants): the counters live in the state',
      );
    }
    if (p.state !== undefined && p.limit !== undefined) {
      problems.push('--limit with --state would silently lose the older alerts of a range; use --window to bound each request');
    }
  }
  const where = gather(AUTH_SETTINGS, input.flags, input.env);
  const api = String(where['api']);
  if (api === 'siem' && where['cloud'] === 'public' && where['region'] === undefined && where['baseUrl'] === undefined) {
    problems.push('--region (or DEFENDER_REGION): required unless --base-url (or DEFENDER_BASE_URL) is given; one of eu, us, uk');
  }
  if (pullShape.success) problems.push(...apiSpecificProblems(api, input.flags, pullShape.data));
  const filters = pullShape.success ? alertFilters(api, pullShape.data, problems) : undefined;
  if (problems.length > 0 || !auth || !auth.baseUrl || !pullShape.success) return { ok: false, problems };

  const p = pullShape.data;
  const query: AlertQuery = { machineGroups: p.machineGroup ?? [] };
  if (p.since) query.since = p.since;
  if (p.until) query.until = p.until;
  if (p.ago !== undefined) query.ago = p.ago.trim();
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

/** Options that belong to one API only: a usage error elsewhere, rather than silently ignored. */
function apiSpecificProblems(api: string, flags: Flags, p: { pageSize?: number | undefined; schema: string }): string[] {
  const problems: string[] = [];
  const only = (flag: string, apis: string[]) => {
    if (flags[optionKey(flag)] !== undefined && !apis.includes(api)) {
      problems.push(`--${flag}: only with --api ${apis.join(' or ')} (this is --api ${api})`);
    }
  };
  only('ago', ['siem']);
  only('machine-group', ['siem']);
  only('device-tag', ['siem']);
  only('cloud-tag', ['siem']);
  only('filter-on', ['mde']);
  only('expand', ['mde']);
  only('service-source', ['graph']);
  // The SIEM API filters on time, machine groups and tags only (docs/microsoft-apis.md §1).
  only('severity', ['mde', 'graph']);
  only('status', ['mde', 'graph']);
  only('detection-source', ['mde', 'graph']);
  if (flags['split'] !== undefined && api === 'siem')
    problems.push('--split evidence: only with --api mde (with --expand evidence) or graph');
  if (flags['split'] !== undefined && api === 'mde' && flags['expand'] !== 'evidence') {
    problems.push('--split evidence: with --api mde, also give --expand evidence (the API sends evidence only when asked)');
  }
  only('page-size', ['mde', 'graph']);
  if (api === 'graph' && p.pageSize !== undefined && p.pageSize > GRAPH_MAX_PAGE) {
    problems.push(`--page-size: Graph answers at most ${GRAPH_MAX_PAGE} alerts a page`);
  }
  return problems;
}

/**
 * `--severity`, `--status`, `--detection-source` as the API writes them: severity and status
 * matched case-insensitively against its values (microsoft.ts), a detection source as given.
 */
function alertFilters(
  api: string,
  p: { severity?: string[] | undefined; status?: string[] | undefined; detectionSource?: string[] | undefined },
  problems: string[],
): AlertFilters | undefined {
  if (api !== 'mde' && api !== 'graph') return undefined;
  const known = ALERT_FILTER_VALUES[api];
  const canonical = (flag: string, values: string[] | undefined, allowed: readonly string[]): string[] =>
    (values ?? []).flatMap((v) => {
      const match = allowed.find((a) => a.toLowerCase() === v.toLowerCase());
      if (match === undefined) problems.push(`--${flag}: expected one of ${allowed.join(', ')} for --api ${api}, got "${v}"`);
      return match === undefined ? [] : [match];
    });
  return {
    severity: canonical('severity', p.severity, known.severity),
    status: canonical('status', p.status, known.status),
    detectionSource: p.detectionSource ?? [],
  };
}

/**
 * Resolves what `login` and `logout` need: the identity of a user sign-in (tenant, public client
 * id, the API's token audience), never a secret.
 */
export function resolveLoginConfig(input: ResolveInput): LoginConfig {
  const problems: string[] = [];
  const raw = gather(LOGIN_SETTINGS, input.flags, input.env);
  const parsed = z
    .object({
      redirectPort: wholeNumber(0, 65_535).optional(),
      wait: z
        .string()
        .regex(/^\d+$/, 'expected whole seconds, e.g. 300')
        .transform(Number)
        .pipe(z.number().int().min(1, 'must be at least 1').max(3600, 'must be at most 3600')),
    })
    .safeParse(raw);
  collect(parsed, problems);
  const auth = authConfig({ ...input, flags: { ...input.flags, auth: 'user' } }, problems);
  const deviceCode = input.flags['deviceCode'] === true;
  if (deviceCode && input.flags['redirectPort'] !== undefined) problems.push('--redirect-port: not used with --device-code');
  if (problems.length > 0 || !auth || !parsed.success) fail(problems);
  return {
    ...auth,
    deviceCode,
    redirectPort: parsed.data.redirectPort ?? 0,
    openBrowser: input.flags['browser'] !== false,
    waitMs: parsed.data.wait * 1000,
  };
}
