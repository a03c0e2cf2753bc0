/**
 * Commander options from the setting table (config/spec.ts), and how the help presents them: the
 * group each option is listed under, the few short flags, and `--quiet`. Values and defaults are
 * resolved in config/resolve.ts (flag > environment > --env-file > default), so commander only
 * records what was typed.
 */
import { Command, Option } from 'commander';
import type { AUTH_SETTINGS, FLEET_SETTINGS, LOGIN_SETTINGS, LOGOUT_SETTINGS, PULL_SETTINGS, SettingSpec } from '../config/spec.js';

/** The headings of `pull --help` (and of token, login, logout), in the order they are listed. */
export const HELP_GROUPS = {
  general: 'General:',
  signIn: 'Sign-in:',
  api: 'API and time range:',
  filters: 'Filters:',
  output: 'Output:',
  state: 'Scheduled export (state):',
  tenants: 'Tenants:',
  service: 'Service (follow, metrics):',
  network: 'Network:',
} as const;
type HelpGroup = keyof typeof HELP_GROUPS;

type GroupedFlag = (
  typeof AUTH_SETTINGS | typeof PULL_SETTINGS | typeof FLEET_SETTINGS | typeof LOGIN_SETTINGS | typeof LOGOUT_SETTINGS
)[number]['flag'];

/**
 * The group of every setting of pull, token, login and logout: a record over their flags, so a
 * new setting does not compile until it has one. (status and simulate are short flat lists.)
 */
export const OPTION_GROUPS: Record<GroupedFlag, HelpGroup> = {
  'env-file': 'general',
  'log-level': 'general',
  auth: 'signIn',
  tenant: 'signIn',
  'client-id': 'signIn',
  'client-secret-file': 'signIn',
  certificate: 'signIn',
  'client-secret': 'signIn',
  'authority-host': 'signIn',
  resource: 'signIn',
  'device-code': 'signIn',
  'redirect-port': 'signIn',
  'no-browser': 'signIn',
  wait: 'signIn',
  all: 'signIn',
  api: 'api',
  cloud: 'api',
  region: 'api',
  'base-url': 'api',
  since: 'api',
  until: 'api',
  ago: 'api',
  limit: 'api',
  'page-size': 'api',
  'machine-group': 'filters',
  'device-tag': 'filters',
  'cloud-tag': 'filters',
  'filter-on': 'filters',
  expand: 'filters',
  'service-source': 'filters',
  severity: 'filters',
  status: 'filters',
  'detection-source': 'filters',
  format: 'output',
  schema: 'output',
  split: 'output',
  output: 'output',
  append: 'output',
  state: 'state',
  overlap: 'state',
  window: 'state',
  parallel: 'state',
  tenants: 'tenants',
  'state-dir': 'tenants',
  concurrency: 'tenants',
  shard: 'tenants',
  follow: 'service',
  interval: 'service',
  jitter: 'service',
  'metrics-file': 'service',
  timeout: 'network',
  'max-retries': 'network',
  'max-throttle-wait': 'network',
};

/** Short flags, only where a user reaches for one (none clashes with -h, -V or -q). */
export const SHORT_FLAGS: Partial<Record<GroupedFlag, string>> = {
  output: 'o',
  format: 'f',
  since: 's',
  until: 'u',
  limit: 'n',
};

/** How a command's options are presented: grouped (pull, token, login, logout) or one flat list. */
export type Layout = 'grouped' | 'flat';

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

function groupOf(spec: SettingSpec): HelpGroup | undefined {
  return (OPTION_GROUPS as Partial<Record<string, HelpGroup>>)[spec.flag];
}

function optionFor(spec: SettingSpec, layout: Layout): Option {
  const extras = [spec.env ? `env: ${spec.env}` : '', spec.default !== undefined ? `default: ${spec.default}` : '']
    .filter(Boolean)
    .join(', ');
  const short = layout === 'grouped' ? (SHORT_FLAGS as Partial<Record<string, string>>)[spec.flag] : undefined;
  const flags = `${short ? `-${short}, ` : ''}--${spec.flag}${spec.arg ? ` ${spec.arg}` : ''}`;
  const option = new Option(flags, `${spec.description}${extras ? ` (${extras})` : ''}`);
  if (spec.repeatable) option.argParser(collect);
  const group = layout === 'grouped' ? groupOf(spec) : undefined;
  if (group) option.helpGroup(HELP_GROUPS[group]);
  return option;
}

/** `-q, --quiet`: a shorthand for `--log-level warn`; giving both is a usage error (exit 2). */
function quietOption(layout: Layout): Option {
  const option = new Option('-q, --quiet', 'warnings and errors only: --log-level warn (not with --log-level)').conflicts('logLevel');
  return layout === 'grouped' ? option.helpGroup(HELP_GROUPS.general) : option;
}

/**
 * Adds `specs` to `command` as options (grouped ones in the order of HELP_GROUPS, as the help
 * lists them), and `--quiet` next to `--log-level`.
 */
export function addSettings(command: Command, specs: readonly SettingSpec[], layout: Layout): Command {
  const order = Object.keys(HELP_GROUPS);
  const rank = (spec: SettingSpec) => (layout === 'grouped' ? order.indexOf(groupOf(spec) ?? 'general') : 0);
  // Array.prototype.sort is stable: within a group the table's own order stays.
  for (const spec of [...specs].sort((a, b) => rank(a) - rank(b))) {
    command.addOption(optionFor(spec, layout));
    if (spec.flag === 'log-level') command.addOption(quietOption(layout));
  }
  if (layout === 'grouped') command.addHelpOption(new Option('-h, --help', 'display help for command').helpGroup(HELP_GROUPS.general));
  return command;
}

/** The flags a command function gets: `--quiet` becomes the log level it stands for. */
export function settingFlags(opts: Record<string, unknown>): Record<string, unknown> {
  const { quiet, ...flags } = opts;
  return quiet === true ? { ...flags, logLevel: 'warn' } : flags;
}
