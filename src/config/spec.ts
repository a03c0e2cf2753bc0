/**
 * The option table of `pull` and `token`: each setting's flag, environment variable and default,
 * declared once. `src/cli.ts` builds commander options (and their help) from it; `resolve.ts`
 * applies the one precedence rule: flag > environment > --env-file > default.
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
}

export const DEFAULT_RESOURCE = 'https://WDATPAlertExport.Seville.onmicrosoft.com';
export const DEFAULT_AUTHORITY_HOST = 'https://login.microsoftonline.com';

/** Settings shared by every command that signs in (`pull`, `token`). */
export const AUTH_SETTINGS = [
  { flag: 'tenant', arg: '<id>', env: 'AZURE_TENANT_ID', description: 'tenant GUID or verified domain (contoso.onmicrosoft.com)' },
  { flag: 'client-id', arg: '<id>', env: 'AZURE_CLIENT_ID', description: 'application (client) id of the app registration' },
  {
    flag: 'client-secret-file',
    arg: '<path>',
    description: 'read the client secret from a file, or from stdin with "-" (env AZURE_CLIENT_SECRET holds the value itself)',
  },
  {
    flag: 'client-secret',
    arg: '<secret>',
    description: 'the client secret on the command line (visible to other local users: prefer the file or AZURE_CLIENT_SECRET)',
  },
  {
    flag: 'region',
    arg: '<eu|us|uk>',
    env: 'DEFENDER_REGION',
    description: 'exporter region: https://wdatp-alertexporter-<region>.windows.com (required unless --base-url)',
  },
  {
    flag: 'resource',
    arg: '<uri>',
    env: 'DEFENDER_RESOURCE',
    description: 'token resource; https://graph.windows.net for apps made by the portal SIEM wizard',
    default: DEFAULT_RESOURCE,
  },
  {
    flag: 'base-url',
    arg: '<url>',
    env: 'DEFENDER_BASE_URL',
    description: 'exporter origin instead of --region (sovereign clouds, proxies, the simulator); /api/alerts is appended',
  },
  {
    flag: 'authority-host',
    arg: '<url>',
    env: 'AZURE_AUTHORITY_HOST',
    description: 'Entra ID host; the token URL is <host>/<tenant>/oauth2/token',
    default: DEFAULT_AUTHORITY_HOST,
  },
  { flag: 'timeout', arg: '<seconds>', description: 'per-request budget for headers and between body chunks', default: '30' },
  { flag: 'max-retries', arg: '<n>', description: 'retries of 408/429/5xx and connection errors', default: '4' },
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
  { flag: 'since', arg: '<time>', description: 'lower bound on LastProcessedTimeUtc: ISO-8601, or relative 90s, 15m, 2h, 7d (API default: 2h)' },
  { flag: 'until', arg: '<time>', description: 'upper bound, same forms (API default: now)' },
  { flag: 'limit', arg: '<n>', description: 'only the most recent n alerts of the range' },
  { flag: 'ago', arg: '<duration>', description: 'ISO-8601 duration (PT10M) sent as ago=; instead of --since' },
  { flag: 'machine-group', arg: '<name>', description: 'only these machine groups (repeatable)', repeatable: true },
  { flag: 'device-tag', arg: '<tag>', description: 'only machines with this device-created tag (DeviceCreatedMachineTags)' },
  { flag: 'cloud-tag', arg: '<tag>', description: 'only machines with this portal-created tag (CloudCreatedMachineTags)' },
  { flag: 'format', arg: '<json|ndjson>', description: 'json: one array, like the API; ndjson: one alert per line', default: 'json' },
  { flag: 'output', arg: '<file>', description: 'write to this file (atomically: temp file + rename) instead of stdout' },
  {
    flag: 'append',
    description: 'with --output and --format ndjson: append to the file (fsynced before the state moves on)',
  },
  {
    flag: 'state',
    arg: '<file>',
    env: 'DEFENDER_STATE_FILE',
    description: 'checkpoint file for scheduled exports: each run delivers what is new since the last one, never losing or repeating an alert',
  },
  {
    flag: 'overlap',
    arg: '<duration>',
    description: 'with --state: re-read this much before the checkpoint to catch late alerts (90s, 15m, 2h)',
    default: '10m',
  },
  {
    flag: 'window',
    arg: '<duration>',
    description: 'with --state: read a long range in windows of this size, saving the state after each',
    default: '1h',
  },
] as const satisfies readonly SettingSpec[];

export type AuthFlag = (typeof AUTH_SETTINGS)[number]['flag'];
export type PullFlag = (typeof PULL_SETTINGS)[number]['flag'];

/** commander's key for a flag: `client-id` → `clientId`. */
export function optionKey(flag: string): string {
  return flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

/** How a setting is named in messages: both places a user can set it. */
export function settingLabel(spec: SettingSpec): string {
  return spec.env ? `--${spec.flag} (or ${spec.env})` : `--${spec.flag}`;
}
