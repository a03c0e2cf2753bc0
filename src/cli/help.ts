/**
 * What `--help` says besides the options: each command's examples, the exit codes (once, at the
 * top level and in `help exit-codes`), and a layout that keeps the option descriptions readable
 * at 80 columns. Pure text and commander help settings; no I/O.
 */
import { Help, type HelpConfiguration } from 'commander';
import { EXIT_CODES_POINTER, exitCodeTable } from './exit-codes.js';

/**
 * The option column is at most this wide: a longer term (`-f, --format <json|ndjson|cef|leef>`)
 * gets a line of its own, so the descriptions of all the others keep 50 of the 80 columns.
 */
const TERM_COLUMN = 26;

/** commander's help with the option column capped at {@link TERM_COLUMN}. */
export const HELP_LAYOUT: HelpConfiguration = {
  padWidth(cmd, helper) {
    return Math.min(Help.prototype.padWidth.call(this, cmd, helper), TERM_COLUMN);
  },
  formatItem(term, termWidth, description, helper) {
    const format = (t: string) => Help.prototype.formatItem.call(this, t, termWidth, description, helper);
    if (!description || helper.displayWidth(term) <= termWidth) return format(term);
    return `  ${term}\n${format('')}`;
  },
};

/** Examples under each command's help; Graph is the API Microsoft recommends (docs/choosing-an-api.md). */
export const EXAMPLES = {
  program: `
Examples:
  # Graph alerts of the last two hours, high severity only
  defender-alerts pull --api graph --env-file ./defender.env -s 2h | jq '.[] | select(.severity == "high")'

  # cron, every 5 minutes: only what is new since the last run, one alert per line
  defender-alerts pull --api graph --state /var/lib/defender/state.json -f ndjson -o alerts.ndjson --append -q

  # Try it without a tenant: a local stand-in for Entra ID and the APIs
  defender-alerts simulate --http

  # Shell completion (also zsh, fish)
  defender-alerts completion bash > ~/.local/share/bash-completion/completions/defender-alerts

Each command's options and examples: defender-alerts <command> --help

${exitCodeTable()}
`,
  pull: `
Examples:
  # Time, severity and title of the last two hours' alerts
  defender-alerts pull --api graph --env-file ./defender.env -s 2h | jq -r '.[] | "\\(.createdDateTime) \\(.severity) \\(.title)"'

  # High and medium severity, filtered by the service, one alert per line into a file
  defender-alerts pull --api graph -s 1d --severity high --severity medium -f ndjson -o alerts.ndjson

  # In the SIEM API's flat fields, for parsers written for it
  defender-alerts pull --api graph --schema siem -s 2h | jq '.[] | select(.Severity == "High") | .AlertTitle'

  # cron, every 5 minutes: only what is new since the last run, appended durably
  */5 * * * * defender-alerts pull --api graph --env-file /etc/defender-alerts.env --state /var/lib/defender/state.json -f ndjson -o /var/lib/defender/alerts.ndjson --append -q

  # Every tenant of a file, each with its own state
  defender-alerts pull --api graph --tenants tenants.txt --state-dir /var/lib/defender -f ndjson -o alerts.ndjson --append

${EXIT_CODES_POINTER}
`,
  token: `
Example:
  TOKEN=$(defender-alerts token --api graph --env-file ./defender.env | jq -r .access_token)
  curl -H "Authorization: Bearer $TOKEN" "https://graph.microsoft.com/v1.0/security/alerts_v2?\\$top=1"

${EXIT_CODES_POINTER}
`,
  login: `
The app (--client-id) must be a public client in Entra ID with the redirect URI http://127.0.0.1
(mobile and desktop platform; "Allow public client flows" for --device-code), and the API's
delegated permission. Tokens are cached (mode 0600) in $XDG_CONFIG_HOME/defender-alerts/tokens.json
(~/.config/…; %APPDATA% on Windows; DEFENDER_TOKEN_CACHE overrides) and never printed.

Examples:
  defender-alerts login --tenant contoso.onmicrosoft.com --client-id <id> --api graph
  defender-alerts login --device-code --api graph --env-file ./defender.env     # on a machine without a browser
  defender-alerts pull --auth user --api graph --env-file ./defender.env -s 2h

${EXIT_CODES_POINTER}
`,
  logout: `
Examples:
  defender-alerts logout --api graph --env-file ./defender.env
  defender-alerts logout --all

${EXIT_CODES_POINTER}
`,
  status: `
Examples:
  defender-alerts status --state /var/lib/defender-alerts/state.json
  defender-alerts status --state-dir /var/lib/defender-alerts/tenants --json | jq '.[] | select(.lastRun.outcome != "ok")'
  defender-alerts status --state /var/lib/defender-alerts/state.json --max-lag 30m   # exit 8 when stale

${EXIT_CODES_POINTER}
`,
  simulate: `
It prints one JSON line with its URL and test credentials, then serves until Ctrl-C:
  {"url":"https://127.0.0.1:PORT","authorityHost":"…","tenantId":"…","clientId":"…","clientSecret":"…","caCertPath":"…"}

The real services' undocumented behaviours are off unless switched on (--mde-no-next-link,
--mde-unordered, --quota-used, --foreign-next-links, --shared-update-time), so a pipeline can be
tested against each: e.g. a Defender for Endpoint tenant whose quota another client half used,
answering full pages without next links:
  defender-alerts simulate --mde-no-next-link --mde-unordered --quota-used 95

With --tenants n it also serves n more tenants (00000000-0000-4000-8001-000000000001 …), each
with its own alerts and quota, for "pull --tenants"; --tenant-trouble <tenant>=<kind> makes one
of them fail: as a customer tenant without consent (no-consent, missing-service-principal,
app-unknown), without permission (forbidden), or with a failing service (server-error).

Examples:
  # Plain HTTP on a fixed port, then pull Graph alerts from it with the credentials it printed
  defender-alerts simulate --http --port 8080 &
  AZURE_TENANT_ID=<tenantId> AZURE_CLIENT_ID=<clientId> AZURE_CLIENT_SECRET=<clientSecret> \\
    defender-alerts pull --api graph --base-url http://127.0.0.1:8080 --authority-host http://127.0.0.1:8080

  # HTTPS, trusting its certificate
  defender-alerts simulate --port 8443 &
  NODE_EXTRA_CA_CERTS=<caCertPath> AZURE_TENANT_ID=<tenantId> AZURE_CLIENT_ID=<clientId> \\
    AZURE_CLIENT_SECRET=<clientSecret> defender-alerts pull --api graph --base-url https://127.0.0.1:8443 \\
    --authority-host https://127.0.0.1:8443

${EXIT_CODES_POINTER}
`,
  completion: `
Examples (install once; a new shell then completes commands, options and their values):
  defender-alerts completion bash > ~/.local/share/bash-completion/completions/defender-alerts
  defender-alerts completion zsh > ~/.zfunc/_defender-alerts   # with fpath+=(~/.zfunc) before compinit in ~/.zshrc
  defender-alerts completion fish > ~/.config/fish/completions/defender-alerts.fish

${EXIT_CODES_POINTER}
`,
} as const;

/** `defender-alerts help exit-codes` (and `defender-alerts exit-codes`): the table alone. */
export const EXIT_CODES_TEXT = `${exitCodeTable()}\n`;
