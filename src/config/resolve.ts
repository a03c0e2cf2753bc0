/**
 * Turns parsed flags and the environment into one validated configuration, or a UsageError that
 * lists every problem at once (`--tenant (or AZURE_TENANT_ID): required`), as changesets' config
 * parser does. Pure: files (secret, --env-file) are read by the caller and passed in.
 */
import { z } from 'zod';
import { UsageError } from '../errors.js';
import { parseDuration, parseIsoDuration, parseTimeOption, TimeParseError } from '../time.js';
import { AUTH_SETTINGS, LOGIN_SETTINGS, PULL_SETTINGS, optionKey, settingLabel, type SettingSpec } from './spec.js';
import {
  APIS,
  CLOUDS,
  authorityHost,
  defaultBaseUrl,
  regionsOf,
  tokenAudience,
  type ApiName,
  type Cloud,
  type TokenAudience,
  GRAPH_MAX_PAGE,
  MDE_MAX_PAGE,
} from '../microsoft.js';
import { LOG_LEVELS, type LogLevel } from '../log.js';
import type { AlertQuery } from '../api/source.js';

export type Flags = Readonly<Record<string, unknown>>;
export type Env = Readonly<Record<string, string | undefined>>;

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// A verified domain: DNS labels, at least two. The tenant goes into the token URL's path, so
// nothing else (no '/', '?', '%', '..') may pass.
const DOMAIN = /^(?=.{3,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i;

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * An origin we may send credentials to: https anywhere, plain http only on loopback (the simulator,
 * a local TLS-terminating proxy) — a bearer token over plain http on a network is a leak.
 */
function origin(what: string) {
  return z.string().transform((text, ctx) => {
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      ctx.addIssue({ code: 'custom', message: `"${text}" is not a URL; expected e.g. https://host.example` });
      return z.NEVER;
    }
    const loopback = LOOPBACK_HOSTS.has(url.hostname) || url.hostname.startsWith('127.');
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
      ctx.addIssue({ code: 'custom', message: `${what} must use https:// (plain http only on loopback), got "${text}"` });
      return z.NEVER;
    }
    if (url.search || url.hash || url.username || url.password) {
      ctx.addIssue({ code: 'custom', message: `${what} must not carry a query, fragment or credentials: "${text}"` });
      return z.NEVER;
    }
    // Keep a path prefix (a reverse proxy may mount the API below one) without a trailing slash;
    // rebuilt from origin and path so an empty `?` or `#` cannot swallow the API path appended later.
    return new URL(url.origin + url.pathname.replace(/\/+$/, ''));
  });
}

function timeOption(now: Date) {
  return z.string().transform((text, ctx) => {
    try {
      return parseTimeOption(text, now);
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: err instanceof TimeParseError ? err.message : String(err) });
      return z.NEVER;
    }
  });
}

function duration(minMs: number, maxMs: number) {
  return z.string().transform((text, ctx) => {
    try {
      const ms = parseDuration(text);
      if (ms < minMs || ms > maxMs) {
        ctx.addIssue({ code: 'custom', message: `must be from ${minMs / 1000}s to ${maxMs / 86_400_000}d` });
        return z.NEVER;
      }
      return ms;
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: err instanceof TimeParseError ? err.message : String(err) });
      return z.NEVER;
    }
  });
}

function wholeNumber(min: number, max: number) {
  return z
    .string()
    .regex(/^\d+$/, `expected a whole number from ${min} to ${max}`)
    .transform(Number)
    .pipe(z.number().int().min(min, `must be at least ${min}`).max(max, `must be at most ${max}`));
}

const required = (schema: z.ZodString) => z.string({ error: 'required' }).min(1, 'required').pipe(schema);

function authShape() {
  return {
    tenant: required(
      z.string().refine((t) => GUID.test(t) || DOMAIN.test(t), {
        message: 'expected the tenant GUID or a verified domain such as contoso.onmicrosoft.com',
      }),
    ),
    clientId: required(z.string().regex(GUID, 'expected the application (client) id, a GUID')),
    clientSecret: z.string().min(1, 'is empty').optional(),
    certificate: z.string().min(1, 'is empty').optional(),
    auth: z.enum(['app', 'user'], { error: 'expected app or user' }),
    api: z.enum(APIS, { error: 'expected siem, mde or graph' }),
    cloud: z.enum(CLOUDS, { error: 'expected public, gcc, gcc-high or dod' }),
    resource: z.string().url('expected a URI such as https://WDATPAlertExport.Seville.onmicrosoft.com').optional(),
    authorityHost: origin('the authority host').optional(),
    region: z.string().optional(),
    baseUrl: origin('the base URL').optional(),
    timeout: z
      .string()
      .regex(/^\d+(\.\d+)?$/, 'expected seconds, e.g. 30')
      .transform(Number)
      .pipe(z.number().positive('must be more than 0').max(3600, 'must be at most 3600')),
    maxRetries: wholeNumber(0, 20),
    maxThrottleWait: duration(0, 86_400_000),
    logLevel: z.enum(LOG_LEVELS, { error: `expected one of ${LOG_LEVELS.join(', ')}` }),
  };
}

export interface AuthConfig {
  api: ApiName;
  cloud: Cloud;
  tenant: string;
  clientId: string;
  /**
   * How the app proves itself: its client secret, or a certificate (PEM file) to sign assertions
   * with; or `user`: the delegated sign-in cached by `defender-alerts login` (`--auth user`).
   */
  credential: { kind: 'secret'; secret: string } | { kind: 'certificate'; path: string } | { kind: 'user' };
  /** What token to ask for: v1 `resource=` (siem) or v2 `scope=` (mde, graph). */
  audience: TokenAudience;
  authorityHost: URL;
  /** Exporter origin (from --base-url, else --region); absent only for `token`, which needs none. */
  baseUrl: URL | undefined;
  timeoutMs: number;
  maxRetries: number;
  /** Total time a run may spend waiting out throttled answers (`--max-throttle-wait`). */
  maxThrottleWaitMs: number;
  logLevel: LogLevel;
}

/** Settings of the OData APIs (ignored for siem). */
export interface ODataSettings {
  mde: { filterOn: 'lastUpdateTime' | 'alertCreationTime'; expandEvidence: boolean; pageSize: number };
  graph: { serviceSource: string | undefined; pageSize: number };
}

export interface PullConfig extends AuthConfig, ODataSettings {
  /** native: each API's own alert objects; siem: mapped onto the SIEM API's flat fields. */
  schema: 'native' | 'siem';
  baseUrl: URL;
  query: AlertQuery;
  format: 'json' | 'ndjson';
  output: string | undefined;
  /** Append to --output instead of replacing it (ndjson only). */
  append: boolean;
  /** Scheduled-export checkpointing (`--state`); absent for a plain pull. */
  state: StateConfig | undefined;
}

export interface StateConfig {
  path: string;
  /** Re-read this much before the checkpoint (late arrivals, clock skew). */
  overlapMs: number;
  /** Largest range asked for in one request when catching up. */
  windowMs: number;
}

/** What the caller read for the secret: the file's (or stdin's) content, if a file was named. */
export interface ResolveInput {
  flags: Flags;
  env: Env;
  /** Content of --client-secret-file, already read and trimmed of its trailing newline. */
  secretFromFile?: string | undefined;
  now: Date;
}

/** Gathers each setting by precedence: flag > environment (which already includes --env-file) > default. */
function gather(specs: readonly SettingSpec[], flags: Flags, env: Env): Record<string, unknown> {
  const raw: Record<string, unknown> = {};
  for (const spec of specs) {
    const key = optionKey(spec.flag);
    const flag = flags[key];
    const fromEnv = spec.env ? env[spec.env] : undefined;
    raw[key] = flag ?? (fromEnv === '' ? undefined : fromEnv) ?? spec.default;
  }
  return raw;
}

const SPEC_BY_KEY = new Map<string, SettingSpec>(
  [...AUTH_SETTINGS, ...PULL_SETTINGS, ...LOGIN_SETTINGS].map((s) => [optionKey(s.flag), s] as const),
);

function label(key: string): string {
  if (key === 'clientSecret') return '--client-secret-file (or AZURE_CLIENT_SECRET)';
  const spec = SPEC_BY_KEY.get(key);
  return spec ? settingLabel(spec) : key;
}

function fail(problems: string[]): never {
  const [first, ...rest] = problems;
  const message =
    rest.length === 0 ? `invalid configuration: ${first}` : `invalid configuration (${problems.length} problems): ${problems.join('; ')}`;
  throw new UsageError(message, { hint: 'run with --help for every option and its environment variable' });
}

function collect(result: z.ZodSafeParseResult<unknown>, problems: string[]): void {
  if (result.success) return;
  for (const issue of result.error.issues) {
    problems.push(`${label(String(issue.path[0] ?? ''))}: ${issue.message}`);
  }
}

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

/** Resolves and validates what `token` needs. */
export function resolveAuthConfig(input: ResolveInput, problems: string[] = []): AuthConfig {
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
  if (!parsed.success || problems.length > 0 || credential === undefined) fail(problems);
  const c = parsed.data;
  const regions = regionsOf(c.api);
  if (c.region !== undefined && !regions.includes(c.region)) {
    problems.push(
      regions.length === 0
        ? `--region (or DEFENDER_REGION): --api ${c.api} has no regions; leave it out`
        : `--region (or DEFENDER_REGION): expected ${regions.join(', ')} for --api ${c.api}, got "${c.region}"`,
    );
    fail(problems);
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

/** Resolves and validates what `pull` needs; every problem of both halves is reported together. */
export function resolvePullConfig(input: ResolveInput): PullConfig {
  const problems: string[] = [];
  const raw = gather(PULL_SETTINGS, input.flags, input.env);
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
      format: z.enum(['json', 'ndjson'], { error: 'expected json or ndjson' }),
      output: z.string().min(1, 'is empty').optional(),
      append: z.boolean().optional(),
      state: z.string().min(1, 'is empty').optional(),
      overlap: duration(0, 7 * 86_400_000),
      window: duration(60_000, 7 * 86_400_000),
      filterOn: z.enum(['updated', 'created'], { error: 'expected updated or created' }),
      expand: z.literal('evidence', { error: 'expected evidence' }).optional(),
      serviceSource: z.string().min(1, 'is empty').optional(),
      pageSize: wholeNumber(1, 10_000).optional(),
      schema: z.enum(['native', 'siem'], { error: 'expected native or siem' }),
    })
    .safeParse(raw);
  collect(pullShape, problems);

  let auth: AuthConfig | undefined;
  try {
    auth = resolveAuthConfig(input, problems);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
  }
  if (pullShape.success) {
    const p = pullShape.data;
    if (p.ago !== undefined && p.since !== undefined) problems.push('--ago and --since: give only one of them');
    if (p.since && p.until && p.since.getTime() >= p.until.getTime()) {
      problems.push(`--until: must be later than --since (${p.since.toISOString()})`);
    }
    if (p.since && p.since.getTime() > input.now.getTime()) problems.push('--since: is in the future');
    if (p.append && p.output === undefined) problems.push('--append: needs --output <file> (stdout is appended to by the shell: >>)');
    if (p.append && p.format === 'json') problems.push('--append: appends one alert per line; use it with --format ndjson');
    // The SIEM API answers --limit with the *most recent* n alerts, so a checkpoint after a limited
    // answer would silently skip the older rest (docs/microsoft-apis.md §1). --window bounds each request instead.
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
  if (problems.length > 0 || !auth || !auth.baseUrl || !pullShape.success) fail(problems);

  const p = pullShape.data;
  const query: AlertQuery = { machineGroups: p.machineGroup ?? [] };
  if (p.since) query.since = p.since;
  if (p.until) query.until = p.until;
  if (p.ago !== undefined) query.ago = p.ago.trim();
  if (p.limit !== undefined) query.limit = p.limit;
  if (p.deviceTag !== undefined) query.deviceTag = p.deviceTag;
  if (p.cloudTag !== undefined) query.cloudTag = p.cloudTag;
  const state = p.state === undefined ? undefined : { path: p.state, overlapMs: p.overlap, windowMs: p.window };
  return {
    ...auth,
    baseUrl: auth.baseUrl,
    query,
    format: p.format,
    output: p.output,
    append: p.append === true,
    state,
    schema: p.schema,
    mde: {
      filterOn: p.filterOn === 'created' ? 'alertCreationTime' : 'lastUpdateTime',
      expandEvidence: p.expand === 'evidence',
      pageSize: p.pageSize ?? MDE_MAX_PAGE,
    },
    graph: { serviceSource: p.serviceSource, pageSize: p.pageSize ?? GRAPH_MAX_PAGE },
  };
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
  only('page-size', ['mde', 'graph']);
  if (api === 'graph' && p.pageSize !== undefined && p.pageSize > GRAPH_MAX_PAGE) {
    problems.push(`--page-size: Graph answers at most ${GRAPH_MAX_PAGE} alerts a page`);
  }
  return problems;
}

/** What `login` needs besides the sign-in's identity. */
export interface LoginConfig extends AuthConfig {
  deviceCode: boolean;
  /** Loopback listener port; 0 picks a free one. */
  redirectPort: number;
  openBrowser: boolean;
  /** How long to wait for the user to finish signing in. */
  waitMs: number;
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
  let auth: AuthConfig | undefined;
  try {
    auth = resolveAuthConfig({ ...input, flags: { ...input.flags, auth: 'user' } }, problems);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
  }
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
