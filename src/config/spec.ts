/**
 * The option table of every command (`pull`, `token`, `status`, `login`, `logout`, `simulate`):
 * each setting's flag, environment variable and default, declared once. `src/cli.ts` builds
 * commander options (and their help) from it; `resolve.ts` applies the one precedence rule:
 * flag > environment > --env-file > default, and `setting-values.ts` reads each value by the
 * setting's `value` rule; `env-names.ts` knows every variable from it.
 *
 * Environment names are the Azure SDKs' own where one exists (AZURE_TENANT_ID, …), so a machine
 * already set up for `az`/azure-identity needs nothing new.
 */
export interface SettingSpec {
  /** Long flag without dashes; also the key in commander's parsed options (camel-cased). */
  readonly flag: string;
  /** Value placeholder for help, e.g. `<id>`; absent for boolean switches. */
  readonly arg?: string;
  readonly env?: string;
  readonly description: string;
  readonly default?: string;
  /** Repeatable flags collect every value (`--machine-group A --machine-group B`). */
  readonly repeatable?: boolean;
  /**
   * What the value must be, checked by config/setting-values.ts (which words the problem) and
   * typed by {@link SettingValues}: declaring a setting here is all it takes to validate it.
   */
  readonly value?: ValueRule;
}

/** How a setting's text is read. Plain data: `--help` loads this table without zod. */
export type ValueRule =
  /** Any text but empty (repeatable: each value). */
  | { readonly kind: 'text' }
  /** A flag without a value. */
  | { readonly kind: 'switch' }
  | { readonly kind: 'choice'; readonly choices: readonly string[] }
  | { readonly kind: 'whole'; readonly min: number; readonly max: number }
  /** A length of time (src/time.ts `parseDuration`), in ms; `auto` as well when `auto` is set. */
  | { readonly kind: 'duration'; readonly minMs: number; readonly maxMs: number; readonly auto?: true }
  /** An instant: ISO-8601, or a duration before now. */
  | { readonly kind: 'time' }
  /** A duration sent to the API as an ISO-8601 duration (`--ago`): its ISO form. */
  | { readonly kind: 'api-duration' };

/** Settings shared by every command that signs in (`pull`, `token`; `login`/`logout` take a subset). */
export const AUTH_SETTINGS = [
  {
    flag: 'api',
    arg: '<siem|mde|graph>',
    env: 'DEFENDER_API',
    description:
      'which alert API: siem (the original SIEM export), mde (Defender for Endpoint alerts API), graph (Microsoft Graph alerts_v2)',
    default: 'siem',
  },
  {
    flag: 'cloud',
    arg: '<public|gcc|gcc-high|dod>',
    env: 'DEFENDER_CLOUD',
    description: 'Microsoft cloud: picks the sign-in host, API hosts and token audiences',
    default: 'public',
  },
  {
    flag: 'auth',
    arg: '<app|user>',
    env: 'DEFENDER_AUTH',
    description: 'app: sign in as the application (client secret or certificate); user: use the sign-in cached by "defender-alerts login"',
    default: 'app',
  },
  { flag: 'tenant', arg: '<id>', env: 'AZURE_TENANT_ID', description: 'tenant GUID or verified domain (contoso.onmicrosoft.com)' },
  { flag: 'client-id', arg: '<id>', env: 'AZURE_CLIENT_ID', description: 'application (client) id of the app registration' },
  {
    flag: 'client-secret-file',
    arg: '<path>',
    description: 'read the client secret from a file, or from stdin with "-" (env AZURE_CLIENT_SECRET holds the value itself)',
  },
  {
    flag: 'certificate',
    arg: '<pem>',
    env: 'AZURE_CLIENT_CERTIFICATE_PATH',
    description:
      'sign in with a certificate instead of a secret: a PEM file with the private key and the certificate (password in AZURE_CLIENT_CERTIFICATE_PASSWORD)',
  },
  {
    flag: 'client-secret',
    arg: '<secret>',
    description: 'the client secret on the command line (visible to other local users: prefer the file or AZURE_CLIENT_SECRET)',
  },
  {
    flag: 'region',
    arg: '<region>',
    env: 'DEFENDER_REGION',
    description:
      'siem: eu, us or uk (https://wdatp-alertexporter-<region>.windows.com; required in the public cloud unless --base-url); mde: optional geo host us, eu, uk, au, swa, ina, aea',
  },
  {
    flag: 'resource',
    arg: '<uri>',
    env: 'DEFENDER_RESOURCE',
    description:
      'token audience; siem default https://WDATPAlertExport.Seville.onmicrosoft.com (https://graph.windows.net for apps made by the portal SIEM wizard); mde and graph: chosen by --cloud',
  },
  {
    flag: 'base-url',
    arg: '<url>',
    env: 'DEFENDER_BASE_URL',
    description: 'API origin instead of the one --api/--cloud/--region pick (proxies, the simulator); the API path is appended',
  },
  {
    flag: 'authority-host',
    arg: '<url>',
    env: 'AZURE_AUTHORITY_HOST',
    description:
      'Entra ID host (default by --cloud: https://login.microsoftonline.com or .us); token URL <host>/<tenant>/oauth2/token (v2: /oauth2/v2.0/token)',
  },
  { flag: 'timeout', arg: '<seconds>', description: 'per-request budget for headers and between body chunks', default: '30' },
  {
    flag: 'max-retries',
    arg: '<n>',
    description: 'retries of failed requests: 408, 5xx, 429 without Retry-After, connection errors',
    default: '4',
  },
  {
    flag: 'max-throttle-wait',
    arg: '<duration>',
    env: 'DEFENDER_MAX_THROTTLE_WAIT',
    description:
      "how long in all to wait out the API's rate limits (429/503 with Retry-After) before giving up with exit 5 (0s, 90s, 15m, 1h)",
    default: '1h',
  },
  {
    flag: 'log-level',
    arg: '<level>',
    env: 'DEFENDER_LOG_LEVEL',
    description: 'trace, debug, info, warn, error, fatal or silent',
    default: 'info',
  },
  {
    flag: 'env-file',
    arg: '<path>',
    env: 'DEFENDER_ENV_FILE',
    description: 'load variables from a dotenv file (the environment wins over it)',
  },
] as const satisfies readonly SettingSpec[];

/** Settings of `pull` only: what to fetch and where to write it. */
export const PULL_SETTINGS = [
  {
    flag: 'since',
    arg: '<time>',
    description: 'lower bound on LastProcessedTimeUtc: ISO-8601, or a duration before now: 90s, 15m, 2h30m, 7d, 1w, PT2H (API default: 2h)',
    value: { kind: 'time' },
  },
  { flag: 'until', arg: '<time>', description: 'upper bound, same forms (API default: now)', value: { kind: 'time' } },
  {
    flag: 'limit',
    arg: '<n>',
    description: 'at most n alerts (siem: the most recent n of the range, as the API does)',
    value: { kind: 'whole', min: 1, max: 1_000_000_000 },
  },
  {
    flag: 'ago',
    arg: '<duration>',
    description: 'siem: a duration (PT10M, 10m, 2h30m) sent as ago= in ISO-8601; instead of --since',
    value: { kind: 'api-duration' },
  },
  {
    flag: 'machine-group',
    arg: '<name>',
    description: 'siem: only these machine groups (repeatable)',
    repeatable: true,
    value: { kind: 'text' },
  },
  {
    flag: 'device-tag',
    arg: '<tag>',
    description: 'siem: only machines with this device-created tag (DeviceCreatedMachineTags)',
    value: { kind: 'text' },
  },
  {
    flag: 'cloud-tag',
    arg: '<tag>',
    description: 'siem: only machines with this portal-created tag (CloudCreatedMachineTags)',
    value: { kind: 'text' },
  },
  {
    flag: 'filter-on',
    arg: '<updated|created>',
    description: 'mde: filter the time range on lastUpdateTime or alertCreationTime',
    default: 'updated',
    value: { kind: 'choice', choices: ['updated', 'created'] },
  },
  {
    flag: 'expand',
    arg: '<evidence>',
    description: "mde: include each alert's evidence ($expand=evidence)",
    value: { kind: 'choice', choices: ['evidence'] },
  },
  {
    flag: 'service-source',
    arg: '<name>',
    description: 'graph: only alerts of this product, e.g. microsoftDefenderForEndpoint',
    value: { kind: 'text' },
  },
  {
    flag: 'severity',
    arg: '<level>',
    description: 'mde/graph: only alerts of this severity, filtered by the service (repeatable): informational, low, medium, high',
    repeatable: true,
    value: { kind: 'text' },
  },
  {
    flag: 'status',
    arg: '<status>',
    description: 'mde/graph: only alerts in this status, filtered by the service (repeatable): new, inProgress, resolved',
    repeatable: true,
    value: { kind: 'text' },
  },
  {
    flag: 'detection-source',
    arg: '<source>',
    description:
      'mde/graph: only alerts of this detection source, as the API names it (repeatable; e.g. mde WindowsDefenderAv, graph antivirus)',
    repeatable: true,
    value: { kind: 'text' },
  },
  {
    flag: 'page-size',
    arg: '<n>',
    description: 'mde/graph: alerts per request ($top; mde at most 10000, graph at most 1000)',
    value: { kind: 'whole', min: 1, max: 10_000 },
  },
  {
    flag: 'schema',
    arg: '<native|siem>',
    description: "native: each API's own alert objects; siem: mde/graph alerts mapped onto the SIEM API's flat fields",
    default: 'native',
    value: { kind: 'choice', choices: ['native', 'siem'] },
  },
  {
    flag: 'format',
    arg: '<json|ndjson|cef|leef>',
    description:
      "json: one array, like the API; ndjson: one alert per line; cef (ArcSight, Sentinel) or leef (QRadar): one line per alert with Microsoft's field mapping",
    default: 'json',
    value: { kind: 'choice', choices: ['json', 'ndjson', 'cef', 'leef'] },
  },
  {
    flag: 'split',
    arg: '<evidence>',
    description:
      "one NDJSON record per evidence item, the alert's fields kept (mde with --expand evidence, graph); implies --format ndjson",
    value: { kind: 'choice', choices: ['evidence'] },
  },
  {
    flag: 'output',
    arg: '<file>',
    description: 'write to this file (atomically: temp file + rename) instead of stdout',
    value: { kind: 'text' },
  },
  {
    flag: 'append',
    description: 'with --output: append to the file, NDJSON unless --format cef or leef (fsynced before the state moves on)',
    value: { kind: 'switch' },
  },
  {
    flag: 'state',
    arg: '<file>',
    env: 'DEFENDER_STATE_FILE',
    description:
      'checkpoint file for scheduled exports: each run delivers what is new since the last one, never losing or repeating an alert',
    value: { kind: 'text' },
  },
  {
    flag: 'follow',
    description: 'with --state: run as a service, a --state run every --interval until SIGTERM (--format ndjson; --output is appended to)',
    value: { kind: 'switch' },
  },
  {
    flag: 'interval',
    arg: '<duration>',
    env: 'DEFENDER_INTERVAL',
    description: 'with --follow: from the start of one cycle to the start of the next (30s, 5m, 1h)',
    default: '5m',
    value: { kind: 'duration', minMs: 1000, maxMs: 86_400_000 },
  },
  {
    flag: 'jitter',
    arg: '<duration>',
    env: 'DEFENDER_JITTER',
    description: 'with --follow: add a random delay up to this to each interval, so many services do not poll in step',
    default: '0s',
    value: { kind: 'duration', minMs: 0, maxMs: 86_400_000 },
  },
  {
    flag: 'metrics-file',
    arg: '<path>',
    env: 'DEFENDER_METRICS_FILE',
    description:
      "with --state: after each run, write Prometheus metrics here atomically (name it *.prom in node_exporter's textfile directory)",
    value: { kind: 'text' },
  },
  {
    flag: 'overlap',
    arg: '<duration>',
    description: 'with --state: re-read this much before the checkpoint to catch late alerts (90s, 15m, 2h)',
    default: '10m',
    value: { kind: 'duration', minMs: 0, maxMs: 7 * 86_400_000 },
  },
  {
    flag: 'parallel',
    arg: '<k>',
    env: 'DEFENDER_PARALLEL',
    description:
      'with --state: read up to k windows at once (a backfill), delivered in window order; the quota is still shared (with --tenants: 1 unless given)',
    default: '4',
    value: { kind: 'whole', min: 1, max: 16 },
  },
  {
    flag: 'window',
    arg: '<duration|auto>',
    description:
      'with --state: read a long range in windows, saving the state after each; auto sizes each by what the last held (about four pages), a duration fixes them',
    default: 'auto',
    value: { kind: 'duration', minMs: 60_000, maxMs: 7 * 86_400_000, auto: true },
  },
] as const satisfies readonly SettingSpec[];

/** Settings of `pull` for many tenants in one run (docs/many-tenants.md). */
export const FLEET_SETTINGS = [
  {
    flag: 'tenants',
    arg: '<file>',
    env: 'DEFENDER_TENANTS_FILE',
    description:
      'pull every tenant of this file: one tenant id or domain a line (# comments), or a JSON array of {"tenant", "name", per-tenant settings}',
  },
  {
    flag: 'state-dir',
    arg: '<dir>',
    env: 'DEFENDER_STATE_DIR',
    description: 'with --tenants: one state file per tenant in this directory (<name>.json), as --state is for one',
  },
  {
    flag: 'concurrency',
    arg: '<n>',
    env: 'DEFENDER_CONCURRENCY',
    description: 'with --tenants: how many tenants are pulled at once',
    default: '16',
  },
  {
    flag: 'shard',
    arg: '<i/n>',
    env: 'DEFENDER_SHARD',
    description: 'with --tenants: only the tenants of shard i of n (i from 0), by a stable hash of the tenant id',
  },
] as const satisfies readonly SettingSpec[];

/** Settings of `status`: which state files, and the health probe's limit. */
export const STATUS_SETTINGS = [
  {
    flag: 'state',
    arg: '<file>',
    env: 'DEFENDER_STATE_FILE',
    description: 'a state file to report on (repeatable)',
    repeatable: true,
  },
  {
    flag: 'state-dir',
    arg: '<dir>',
    env: 'DEFENDER_STATE_DIR',
    description: 'every state file (*.json) in this directory (pull --tenants --state-dir)',
  },
  {
    flag: 'tenants',
    arg: '<file>',
    env: 'DEFENDER_TENANTS_FILE',
    description:
      "with --state-dir: every tenant of pull --tenants' file, instead of the files in the directory, whether it has a state or not",
  },
  { flag: 'json', description: 'print JSON (one array) instead of a table' },
  {
    flag: 'max-lag',
    arg: '<duration>',
    description:
      'health probe: exit 8 unless every checkpoint is at most this far behind now (90s, 30m, 2h); a state without one fails, and with --tenants so does a tenant never tried once the file is older than this',
  },
  {
    flag: 'log-level',
    arg: '<level>',
    env: 'DEFENDER_LOG_LEVEL',
    description: 'trace, debug, info, warn, error, fatal or silent',
    default: 'info',
  },
] as const satisfies readonly SettingSpec[];

// What a user sign-in needs of AUTH_SETTINGS: no secret, no certificate, no API host.
const USER_SIGN_IN_FLAGS: ReadonlySet<string> = new Set([
  'api',
  'cloud',
  'tenant',
  'client-id',
  'resource',
  'authority-host',
  'timeout',
  'max-retries',
  'max-throttle-wait',
  'log-level',
  'env-file',
]);

/** Settings of `login` and `logout` that say which sign-in: tenant, public client id, API (its token audience). */
export const USER_SIGN_IN_SETTINGS: readonly SettingSpec[] = AUTH_SETTINGS.filter((s) => USER_SIGN_IN_FLAGS.has(s.flag));

/** Settings of `login` only. */
export const LOGIN_SETTINGS = [
  { flag: 'device-code', description: 'sign in by entering a code on another device (for machines without a browser)' },
  {
    flag: 'redirect-port',
    arg: '<port>',
    description: 'port of the local redirect listener on 127.0.0.1 (default: a free one)',
    value: { kind: 'whole', min: 0, max: 65_535 },
  },
  { flag: 'no-browser', description: 'only print the sign-in URL; do not try to open a browser' },
  {
    flag: 'wait',
    arg: '<seconds>',
    description: 'how long to wait for the sign-in to be completed',
    default: '300',
    value: { kind: 'whole', min: 1, max: 3600 },
  },
] as const satisfies readonly SettingSpec[];

/** Settings of `logout` only. */
export const LOGOUT_SETTINGS = [
  { flag: 'all', description: 'remove every cached sign-in (the whole token cache file)' },
] as const satisfies readonly SettingSpec[];

/** Settings of `simulate`: the stand-in's transport, its alerts, and the trouble it can make. */
export const SIMULATE_SETTINGS = [
  { flag: 'port', arg: '<n>', description: 'port to listen on (0 = a free one)', default: '0' },
  { flag: 'host', arg: '<address>', description: 'address to listen on', default: '127.0.0.1' },
  { flag: 'http', description: 'serve plain HTTP instead of HTTPS with a self-signed certificate' },
  { flag: 'cert-dir', arg: '<dir>', description: 'where to write the self-signed CA certificate (default: a new temp dir)' },
  { flag: 'alerts', arg: '<n>', description: 'alerts present at start, spread over the last 3 hours', default: '50' },
  { flag: 'rate', arg: '<n>', description: 'new alerts per minute', default: '0' },
  { flag: 'fail-rate', arg: '<fraction>', description: 'fraction of alert requests answered 500 (0..1)', default: '0' },
  { flag: 'throttle', arg: '<n>', description: 'answer every nth alert request 429 with Retry-After: 1 (0 = never)', default: '0' },
  { flag: 'latency', arg: '<ms>', description: 'delay before each answer', default: '0' },
  { flag: 'mde-calls-per-minute', arg: '<n>', description: 'Defender for Endpoint API rate limit (429 beyond it)', default: '100' },
  { flag: 'mde-calls-per-hour', arg: '<n>', description: 'Defender for Endpoint API hourly rate limit (429 beyond it)', default: '1500' },
  {
    flag: 'mde-minute',
    arg: '<seconds>',
    description: 'length of the per-minute window, shorter to test throttling quickly',
    default: '60',
  },
  { flag: 'graph-calls-per-minute', arg: '<n>', description: 'Graph security API rate limit per tenant (429 beyond it)', default: '150' },
  {
    flag: 'graph-minute',
    arg: '<seconds>',
    description: "length of Graph's per-minute window, shorter to test throttling quickly",
    default: '60',
  },
  {
    flag: 'quota-used',
    arg: '<n>',
    description: 'calls "another client" of the same app already made this minute and hour (the quota is per app and tenant)',
    default: '0',
  },
  { flag: 'mde-no-next-link', description: 'mde: leave out @odata.nextLink when the request has $top, as users of the real API report' },
  { flag: 'mde-unordered', description: 'mde: answer rows in an order unrelated to time (the API documents none)' },
  { flag: 'foreign-next-links', arg: '<origin>', description: 'mde/graph: next links point to this origin instead of the one asked' },
  {
    flag: 'shared-update-time',
    arg: '<n>',
    description: 'this many alerts share one last-update time (a bulk change in the portal)',
    default: '0',
  },
  { flag: 'seed', arg: '<n>', description: 'seed of the alert generator (same seed, same alerts)', default: '1' },
  {
    flag: 'tenants',
    arg: '<n>',
    description: 'serve n more tenants, ids 00000000-0000-4000-8001-000000000001 …; each its own alerts and quota',
    default: '0',
  },
  {
    flag: 'tenant-trouble',
    arg: '<tenant>=<kind>',
    description: 'trouble in one tenant: no-consent, missing-service-principal, app-unknown, forbidden or server-error (repeatable)',
    repeatable: true,
  },
] as const satisfies readonly SettingSpec[];

type CamelCase<S extends string> = S extends `${infer Head}-${infer Tail}` ? `${Head}${Capitalize<CamelCase<Tail>>}` : S;

/** commander's key for a flag, as a type: `client-id` → `clientId`, `no-browser` → `browser`. */
export type OptionKey<Flag extends string> = Flag extends `no-${infer Rest}` ? CamelCase<Rest> : CamelCase<Flag>;

/** The key of every setting of every command: what a parsed command line may hold. */
export type SettingKey = OptionKey<
  (
    | typeof AUTH_SETTINGS
    | typeof PULL_SETTINGS
    | typeof FLEET_SETTINGS
    | typeof STATUS_SETTINGS
    | typeof LOGIN_SETTINGS
    | typeof LOGOUT_SETTINGS
    | typeof SIMULATE_SETTINGS
  )[number]['flag']
>;

/** commander's key for a flag: `client-id` → `clientId`; a negated switch `no-browser` → `browser`. */
export function optionKey<Flag extends string>(flag: Flag): OptionKey<Flag> {
  return flag.replace(/^no-/, '').replace(/-([a-z])/g, (_, c: string) => c.toUpperCase()) as OptionKey<Flag>;
}

/** Every setting of every command, once each (a setting two commands share is the same object). */
export const EVERY_SETTING: readonly SettingSpec[] = [
  ...new Set<SettingSpec>([
    ...AUTH_SETTINGS,
    ...PULL_SETTINGS,
    ...FLEET_SETTINGS,
    ...STATUS_SETTINGS,
    ...LOGIN_SETTINGS,
    ...LOGOUT_SETTINGS,
    ...SIMULATE_SETTINGS,
  ]),
];

/** How a setting is named in messages: both places a user can set it. */
export function settingLabel(spec: SettingSpec): string {
  return spec.env ? `--${spec.flag} (or ${spec.env})` : `--${spec.flag}`;
}
