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
import { APIS, CLOUDS } from '../microsoft.js';
import { LOG_LEVELS } from '../notice.js';
export interface SettingSpec {
  /** Long flag without dashes; also the key in commander's parsed options (camel-cased). */
  readonly flag: string;
  /** Value placeholder for help, e.g. `<id>`; absent for boolean switches. */
  readonly arg?: string;
  readonly env?: string;
  /** One line for `--help`: what a user scans for. Plain text (the help prints it as it is). */
  readonly description: string;
  /**
   * The rest of what there is to know, in Markdown: shown only in the configuration reference
   * that `npm run docs:reference` writes into docs/reference.md, after the description.
   */
  readonly details?: string;
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
  | { readonly kind: 'api-duration' }
  /** A tenant: its GUID or a verified domain; required. */
  | { readonly kind: 'tenant' }
  /** A GUID (`what` names it in the message); required. */
  | { readonly kind: 'guid'; readonly what: string }
  /** An origin credentials may go to: https, plain http on loopback only (`what` names it). */
  | { readonly kind: 'origin'; readonly what: string }
  /** An absolute URI (a token audience). */
  | { readonly kind: 'uri' }
  /** Seconds, a fraction allowed: more than 0, at most `max`. */
  | { readonly kind: 'seconds'; readonly max: number }
  /** A shard `i/n` of a tenants file (config/shard.ts). */
  | { readonly kind: 'shard' };

/** Settings shared by every command that signs in (`pull`, `token`; `login`/`logout` take a subset). */
export const AUTH_SETTINGS = [
  {
    flag: 'api',
    arg: '<siem|mde|graph>',
    value: { kind: 'choice', choices: APIS },
    env: 'DEFENDER_API',
    description: 'which API: graph (recommended), mde, siem (deprecated)',
    details:
      "`graph`: Microsoft Graph `security/alerts_v2`, Microsoft's recommended API; `mde`: the Defender for Endpoint alerts API; `siem`: the SIEM alert-export API, deprecated by Microsoft but still the default. See [Choosing an API](choosing-an-api.md).",
    default: 'siem',
  },
  {
    flag: 'cloud',
    arg: '<public|gcc|gcc-high|dod>',
    value: { kind: 'choice', choices: CLOUDS },
    env: 'DEFENDER_CLOUD',
    description: 'Microsoft cloud: sign-in host, API hosts, audiences',
    details:
      "Picks the sign-in host, the API hosts and the token audiences; an explicit `--base-url`, `--authority-host` or `--resource` still overrides. Each cloud's hosts: [Clouds](choosing-an-api.md#clouds).",
    default: 'public',
  },
  {
    flag: 'auth',
    arg: '<app|user>',
    value: { kind: 'choice', choices: ['app', 'user'] },
    env: 'DEFENDER_AUTH',
    description: 'app: a secret or certificate; user: the "login" sign-in',
    details:
      "`app`: the application's client secret or certificate; `user`: the sign-in cached by `defender-alerts login` (see [Signing in as a user](sign-in.md)).",
    default: 'app',
  },
  {
    flag: 'tenant',
    arg: '<id>',
    value: { kind: 'tenant' },
    env: 'AZURE_TENANT_ID',
    description: 'tenant GUID or domain',
    details: 'A GUID or a verified domain (`contoso.onmicrosoft.com`); anything else is refused before any request.',
  },
  {
    flag: 'client-id',
    arg: '<id>',
    value: { kind: 'guid', what: 'the application (client) id' },
    env: 'AZURE_CLIENT_ID',
    description: 'application (client) id',
    details: "The app registration's application (client) id, a GUID.",
  },
  {
    flag: 'client-secret-file',
    arg: '<path>',
    description: 'read the secret from a file ("-": stdin)',
    details:
      'One trailing newline is trimmed; a warning if the file is readable by other users. `AZURE_CLIENT_SECRET` holds the secret itself (its value, not a path).',
  },
  {
    flag: 'certificate',
    arg: '<pem>',
    value: { kind: 'text' },
    env: 'AZURE_CLIENT_CERTIFICATE_PATH',
    description: 'sign in with a certificate (PEM: key and certificate)',
    details:
      'Instead of a secret: one PEM file holding the private key and the certificate, the password of an encrypted key in `AZURE_CLIENT_CERTIFICATE_PASSWORD`. A flag beats the environment; between two environment variables the secret wins. See [Certificate sign-in](sign-in.md#certificate-sign-in).',
  },
  {
    flag: 'client-secret',
    arg: '<secret>',
    value: { kind: 'text' },
    description: 'the secret itself; prefer AZURE_CLIENT_SECRET',
    details: 'Accepted, with a warning: a command line is visible to other local users, a file or the environment is not.',
  },
  {
    flag: 'region',
    arg: '<region>',
    env: 'DEFENDER_REGION',
    description: 'siem: eu, us or uk (required); mde: a geo host',
    details:
      'siem: `eu`, `us` or `uk` → `https://wdatp-alertexporter-{eu,us,uk}.windows.com`, required in the public cloud unless `--base-url`: there is no silent default. mde: an optional geo host, `us`, `eu`, `uk`, `au`, `swa`, `ina` or `aea`. graph: none. Where a region does not apply (graph; siem and mde outside the public cloud) it is ignored with a warning.',
  },
  {
    flag: 'resource',
    arg: '<uri>',
    value: { kind: 'uri' },
    env: 'DEFENDER_RESOURCE',
    description: 'token audience',
    details:
      "siem: `https://WDATPAlertExport.Seville.onmicrosoft.com` (`https://graph.windows.net` for apps made by the portal's SIEM wizard); mde and graph: chosen by `--cloud`.",
  },
  {
    flag: 'base-url',
    arg: '<url>',
    value: { kind: 'origin', what: 'the base URL' },
    env: 'DEFENDER_BASE_URL',
    description: 'API origin instead of the usual (a proxy, the simulator)',
    details: 'It replaces the origin that `--api`, `--cloud` and `--region` pick; the API path is appended to it.',
  },
  {
    flag: 'authority-host',
    arg: '<url>',
    value: { kind: 'origin', what: 'the authority host' },
    env: 'AZURE_AUTHORITY_HOST',
    description: 'Entra ID host',
    details:
      'Default by `--cloud`: `https://login.microsoftonline.com`, or `https://login.microsoftonline.us` for GCC High and DoD. Token URL `{host}/{tenant}/oauth2/token` (siem) or `…/oauth2/v2.0/token` (mde, graph).',
  },
  {
    flag: 'timeout',
    arg: '<seconds>',
    value: { kind: 'seconds', max: 3600 },
    description: 'per-request budget, in seconds',
    details: 'For the response headers, and between two chunks of the body.',
    default: '30',
  },
  {
    flag: 'max-retries',
    arg: '<n>',
    value: { kind: 'whole', min: 0, max: 20 },
    description: 'retries of a failed request',
    details:
      'What is retried: 408, 5xx, a 429 without `Retry-After` (or with one under a second), connection errors; with capped exponential backoff and jitter (see [Retries and timeouts](#retries-and-timeouts)).',
    default: '4',
  },
  {
    flag: 'max-throttle-wait',
    arg: '<duration>',
    value: { kind: 'duration', minMs: 0, maxMs: 86_400_000 },
    env: 'DEFENDER_MAX_THROTTLE_WAIT',
    description: 'how long in all to wait out rate limits',
    details:
      'Rate limits are a 429 or 503 whose `Retry-After` asks for a second or more; when waiting them out would exceed this budget, the run gives up with exit 5 (`0s`: never wait). One hour, because the mde hourly quota is a sliding hour: waiting at most that long frees it. See [What the real services do](choosing-an-api.md#what-the-real-services-do-and-what-the-tool-does-about-it).',
    default: '1h',
  },
  {
    flag: 'log-level',
    arg: '<level>',
    value: { kind: 'choice', choices: LOG_LEVELS },
    env: 'DEFENDER_LOG_LEVEL',
    description: 'trace, debug, info, warn, error, fatal or silent',
    default: 'info',
  },
  {
    flag: 'env-file',
    arg: '<path>',
    env: 'DEFENDER_ENV_FILE',
    description: 'load a dotenv file',
    details: 'The environment wins over it; a missing file is exit 2. How it is read and checked: [The env file](#the-env-file).',
  },
] as const satisfies readonly SettingSpec[];

/** Settings of `pull` only: what to fetch and where to write it. */
export const PULL_SETTINGS = [
  {
    flag: 'since',
    arg: '<time>',
    description: 'start: an ISO-8601 time, or a duration ago (2h)',
    details:
      "A lower bound on the alerts' last-update time (siem `LastProcessedTimeUtc`, sent as `sinceTimeUtc`; mde `lastUpdateTime`; graph `lastUpdateDateTime`): ISO-8601 (`2024-05-01T12:00:00Z`; no zone = UTC) or a duration before now, in any form of [Durations](#durations) (`90s`, `2h30m`, `1w`, `PT2H`). Without it, the SIEM API answers its own default, the last two hours, and a first `--state` run starts there.",
    value: { kind: 'time' },
  },
  {
    flag: 'until',
    arg: '<time>',
    description: 'end, in the same forms (default: now)',
    details: 'An upper bound on the last-update time, in the forms of `--since` (siem: sent as `untilTimeUtc`).',
    value: { kind: 'time' },
  },
  {
    flag: 'limit',
    arg: '<n>',
    description: 'at most n alerts (not with --state)',
    details:
      'siem: sent as `limit`, and the API answers the **most recent** n of the range (Graph likewise; mde: the first n it answers). Refused with `--state`, whose checkpoint would then skip the older rest.',
    value: { kind: 'whole', min: 1, max: 1_000_000_000 },
  },
  {
    flag: 'ago',
    arg: '<duration>',
    description: 'siem: a duration sent as ago= (not with --since)',
    details: 'Sent as `ago` in ISO-8601: `PT10M` as typed; `10m`, `2h30m`, `1w` converted (`PT2H30M`).',
    value: { kind: 'api-duration' },
  },
  {
    flag: 'machine-group',
    arg: '<name>',
    description: 'siem: only this machine group (repeatable)',
    details: 'Sent as `machinegroups=`, once per value.',
    repeatable: true,
    value: { kind: 'text' },
  },
  {
    flag: 'device-tag',
    arg: '<tag>',
    description: 'siem: only machines with this device tag',
    details: 'Sent as `DeviceCreatedMachineTags`.',
    value: { kind: 'text' },
  },
  {
    flag: 'cloud-tag',
    arg: '<tag>',
    description: 'siem: only machines with this portal tag',
    details: 'Sent as `CloudCreatedMachineTags`.',
    value: { kind: 'text' },
  },
  {
    flag: 'filter-on',
    arg: '<updated|created>',
    description: 'mde: the time the range is on',
    details: '`updated`: `lastUpdateTime`; `created`: `alertCreationTime`.',
    default: 'updated',
    value: { kind: 'choice', choices: ['updated', 'created'] },
  },
  {
    flag: 'expand',
    arg: '<evidence>',
    description: "mde: add each alert's evidence",
    details: "Sent as `$expand=evidence`. `--split evidence` needs it with mde, and so do the SIEM layout's file and process fields.",
    value: { kind: 'choice', choices: ['evidence'] },
  },
  {
    flag: 'service-source',
    arg: '<name>',
    description: 'graph: only alerts of this product',
    details:
      "Filtered by the service (`serviceSource eq '\u2026'`), e.g. `microsoftDefenderForEndpoint`: Graph also carries the other Defender products' alerts.",
    value: { kind: 'text' },
  },
  {
    flag: 'severity',
    arg: '<level>',
    description: 'mde/graph: only this severity (repeatable)',
    details:
      '`informational`, `low`, `medium`, `high`; filtered by the service (`$filter`), the values written as each API spells them (see [Feeding a SIEM](feeding-a-siem.md)).',
    repeatable: true,
    value: { kind: 'text' },
  },
  {
    flag: 'status',
    arg: '<status>',
    description: 'mde/graph: only this status (repeatable)',
    details: '`new`, `inProgress`, `resolved`; filtered by the service (`$filter`).',
    repeatable: true,
    value: { kind: 'text' },
  },
  {
    flag: 'detection-source',
    arg: '<source>',
    description: 'mde/graph: only this source (repeatable)',
    details:
      'The detection source as the API names it, e.g. mde `WindowsDefenderAv`, graph `antivirus`; filtered by the service (`$filter`).',
    repeatable: true,
    value: { kind: 'text' },
  },
  {
    flag: 'page-size',
    arg: '<n>',
    description: 'mde/graph: alerts per request ($top)',
    details: 'mde at most 10 000 (default 10 000); graph at most 1000 (default 1000).',
    value: { kind: 'whole', min: 1, max: 10_000 },
  },
  {
    flag: 'schema',
    arg: '<native|siem>',
    description: "native: each API's own; siem: the SIEM layout",
    details:
      "`native`: each API's own objects, byte for byte; `siem`: mde and graph alerts in the SIEM API's 50 flat fields (see [The SIEM layout](#the-siem-layout---schema-siem)).",
    default: 'native',
    value: { kind: 'choice', choices: ['native', 'siem'] },
  },
  {
    flag: 'format',
    arg: '<json|ndjson|cef|leef>',
    description: 'json array, ndjson lines, or cef/leef lines',
    details:
      "`json`: one JSON array, like the API; `ndjson`: one alert per line; `cef` (ArcSight, Sentinel) and `leef` (QRadar): one line per alert with Microsoft's field mapping (see [Feeding a SIEM](feeding-a-siem.md)).",
    default: 'json',
    value: { kind: 'choice', choices: ['json', 'ndjson', 'cef', 'leef'] },
  },
  {
    flag: 'split',
    arg: '<evidence>',
    description: 'one NDJSON record per evidence item',
    details:
      "The alert's other fields kept, `evidence` holding the one item (graph; mde with `--expand evidence`). NDJSON is chosen when no `--format` is given; another format is refused.",
    value: { kind: 'choice', choices: ['evidence'] },
  },
  {
    flag: 'output',
    arg: '<file>',
    description: 'write to this file instead of stdout',
    details:
      'Atomically: a temp file in the same directory, fsynced and renamed into place, so a failed run leaves the old file untouched. With `--tenants`, `{tenant}` in the name makes one file per tenant.',
    value: { kind: 'text' },
  },
  {
    flag: 'append',
    description: 'with --output: append (ndjson, cef or leef)',
    details:
      'Appends to the file instead of replacing it, in a line format: `ndjson` (chosen when no `--format` is given), `cef` or `leef`; fsynced before the state moves on (see [Scheduled export](scheduled-export.md)).',
    value: { kind: 'switch' },
  },
  {
    flag: 'state',
    arg: '<file>',
    env: 'DEFENDER_STATE_FILE',
    description: 'checkpoint file',
    details:
      'For scheduled exports: each run delivers what is new since the last one, never losing or repeating an alert (see [Scheduled export](scheduled-export.md)). Not with `--limit`.',
    value: { kind: 'text' },
  },
  {
    flag: 'follow',
    description: 'run as a service: a --state run every --interval',
    details:
      'Until SIGTERM or Ctrl-C; one alert per line (`--format ndjson`), `--output` appended to (see [Running as a service](service.md)).',
    value: { kind: 'switch' },
  },
  {
    flag: 'interval',
    arg: '<duration>',
    env: 'DEFENDER_INTERVAL',
    description: 'time from one cycle to the next',
    details: 'With `--follow`: from the start of one cycle to the start of the next (`30s`, `5m`, `1h`).',
    default: '5m',
    value: { kind: 'duration', minMs: 1000, maxMs: 86_400_000 },
  },
  {
    flag: 'jitter',
    arg: '<duration>',
    env: 'DEFENDER_JITTER',
    description: 'random delay added to each interval',
    details: 'With `--follow`: up to this much is added to each interval, so many services do not poll in step.',
    default: '0s',
    value: { kind: 'duration', minMs: 0, maxMs: 86_400_000 },
  },
  {
    flag: 'metrics-file',
    arg: '<path>',
    env: 'DEFENDER_METRICS_FILE',
    description: 'Prometheus metrics file',
    details:
      "With `--state` (or `--state-dir`): written atomically after each run, for node_exporter's textfile collector (name it `*.prom` in its directory; see [Health and metrics](service.md#health-and-metrics)).",
    value: { kind: 'text' },
  },
  {
    flag: 'overlap',
    arg: '<duration>',
    description: 're-read this much for late alerts',
    details: 'With `--state`: each run re-reads this much before the checkpoint, so alerts that reach the API late are still caught.',
    default: '10m',
    value: { kind: 'duration', minMs: 0, maxMs: 7 * 86_400_000 },
  },
  {
    flag: 'parallel',
    arg: '<k>',
    env: 'DEFENDER_PARALLEL',
    description: 'windows read at once (a backfill)',
    details:
      'With `--state`: read up to k windows at once, still delivered in window order; they share the quota. With `--tenants`, 1 unless given: `--concurrency` tenants at once already keep the machine busy.',
    default: '4',
    value: { kind: 'whole', min: 1, max: 16 },
  },
  {
    flag: 'window',
    arg: '<duration|auto>',
    description: 'size of each read window, or auto',
    details:
      'With `--state`: a long range is read in windows, the state saved after each. `auto` sizes each by what the last held (about four pages; 1m to 1d); a duration fixes them.',
    default: 'auto',
    value: { kind: 'duration', minMs: 60_000, maxMs: 7 * 86_400_000, auto: true },
  },
] as const satisfies readonly SettingSpec[];

/** Settings of `pull` for many tenants in one run (docs/many-tenants.md). */
export const FLEET_SETTINGS = [
  {
    flag: 'tenants',
    arg: '<file>',
    value: { kind: 'text' },
    env: 'DEFENDER_TENANTS_FILE',
    description: 'a file of tenants',
    details:
      'Pull every tenant of this file: one tenant id or domain a line (`#` comments), or a JSON array of `{"tenant", "name", …}` with per-tenant settings (see [Many tenants](many-tenants.md)).',
  },
  {
    flag: 'state-dir',
    arg: '<dir>',
    value: { kind: 'text' },
    env: 'DEFENDER_STATE_DIR',
    description: 'per-tenant state files',
    details: 'With `--tenants`: one state file per tenant in this directory (`<name>.json`), as `--state` is for one.',
  },
  {
    flag: 'concurrency',
    arg: '<n>',
    value: { kind: 'whole', min: 1, max: 256 },
    env: 'DEFENDER_CONCURRENCY',
    description: 'tenants pulled at once',
    default: '16',
  },
  {
    flag: 'shard',
    arg: '<i/n>',
    value: { kind: 'shard' },
    env: 'DEFENDER_SHARD',
    description: 'only shard i of n of the tenants',
    details:
      'With `--tenants`: only the tenants of shard i of n (i from 0), by a stable hash of the tenant id, so machines can share a fleet.',
  },
] as const satisfies readonly SettingSpec[];

/** Settings of `status`: which state files, and the health probe's limit. */
export const STATUS_SETTINGS = [
  {
    flag: 'state',
    arg: '<file>',
    value: { kind: 'text' },
    env: 'DEFENDER_STATE_FILE',
    description: 'a state file to report on (repeatable)',
    repeatable: true,
  },
  {
    flag: 'state-dir',
    arg: '<dir>',
    value: { kind: 'text' },
    env: 'DEFENDER_STATE_DIR',
    description: 'every state file (*.json) in this directory (pull --tenants --state-dir)',
  },
  {
    flag: 'tenants',
    arg: '<file>',
    value: { kind: 'text' },
    env: 'DEFENDER_TENANTS_FILE',
    description: "every tenant of pull's --tenants file",
    details:
      "With `--state-dir`: report every tenant of `pull --tenants`' file, whether it has a state or not, instead of the files in the directory.",
  },
  { flag: 'json', description: 'print JSON (one array) instead of a table', value: { kind: 'switch' } },
  {
    flag: 'max-lag',
    arg: '<duration>',
    value: { kind: 'duration', minMs: 1000, maxMs: 365 * 86_400_000 },
    description: 'health probe: exit 8 when a checkpoint is older',
    details:
      'Exit 8 unless every checkpoint is at most this far behind now (`90s`, `30m`, `2h`). A state without a checkpoint fails, and with `--tenants` so does a tenant never tried once the tenants file is older than this.',
  },
  {
    flag: 'log-level',
    arg: '<level>',
    value: { kind: 'choice', choices: LOG_LEVELS },
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
  {
    flag: 'mde-calls-per-minute',
    arg: '<n>',
    description: 'Defender for Endpoint API rate limit (429 beyond it)',
    default: '100',
    details: 'As documented for the real API (per app and tenant).',
  },
  {
    flag: 'mde-calls-per-hour',
    arg: '<n>',
    description: 'Defender for Endpoint API hourly rate limit (429 beyond it)',
    default: '1500',
    details: 'As documented for the real API (per app and tenant).',
  },
  {
    flag: 'mde-minute',
    arg: '<seconds>',
    description: 'length of the per-minute window, shorter to test throttling quickly',
    default: '60',
  },
  {
    flag: 'graph-calls-per-minute',
    arg: '<n>',
    description: 'Graph security API rate limit per tenant (429 beyond it)',
    default: '150',
    details: 'As documented for the real API: per app and tenant.',
  },
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
    details: 'Charged to the Defender for Endpoint quotas only: `--quota-used 1500` spends the hourly quota.',
  },
  { flag: 'mde-no-next-link', description: 'mde: leave out @odata.nextLink when the request has $top, as users of the real API report' },
  {
    flag: 'mde-unordered',
    description: 'mde: answer rows in an order unrelated to time (the API documents none)',
    details: 'The order is fixed per alert id, so runs are repeatable.',
  },
  { flag: 'foreign-next-links', arg: '<origin>', description: 'mde/graph: next links point to this origin instead of the one asked' },
  {
    flag: 'shared-update-time',
    arg: '<n>',
    description: 'this many alerts share one last-update time (a bulk change in the portal)',
    default: '0',
    details: 'The alerts share a time halfway through the initial window.',
  },
  { flag: 'seed', arg: '<n>', description: 'seed of the alert generator (same seed, same alerts)', default: '1' },
  {
    flag: 'tenants',
    arg: '<n>',
    description: 'serve n more tenants, ids 00000000-0000-4000-8001-000000000001 …; each its own alerts and quota',
    default: '0',
    details: 'Each id ends in its index as 12 decimal digits; the same test app is consented in each: for `pull --tenants`.',
  },
  {
    flag: 'tenant-trouble',
    arg: '<tenant>=<kind>',
    description: 'trouble in one tenant: no-consent, missing-service-principal, app-unknown, forbidden or server-error (repeatable)',
    repeatable: true,
    details:
      "`no-consent`, `missing-service-principal`, `app-unknown`: Entra ID's refusals, as a customer tenant without consent answers; `forbidden`: 403 from the API; `server-error`: 500 from the API.",
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
