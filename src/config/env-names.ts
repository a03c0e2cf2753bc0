/**
 * Every environment variable defender-alerts reads, and what an unknown name in `--env-file` is:
 * a typo of ours (an error, with the name meant), or someone else's variable (a warning). Pure.
 */
import { closestName } from '../util/edit-distance.js';
import type { EnvFileEntry, EnvFileProblem } from './env-file.js';
import { EVERY_SETTING as SETTINGS } from './spec.js';

/**
 * Read outside the option table: the secret (config/resolve.ts), the key's password
 * (context/sign-in.ts), the sign-in cache (auth/token-store.ts), the crash-safety tests' pause
 * points (cli.ts), the proxies (http/dispatcher.ts) and the extra CA certificates.
 */
const READ_ELSEWHERE = [
  'AZURE_CLIENT_SECRET',
  'AZURE_CLIENT_CERTIFICATE_PASSWORD',
  'DEFENDER_TOKEN_CACHE',
  'DEFENDER_ALERTS_TEST_PAUSE',
  'HTTPS_PROXY',
  'https_proxy',
  'HTTP_PROXY',
  'http_proxy',
  'NO_PROXY',
  'no_proxy',
  'NODE_EXTRA_CA_CERTS',
];

/** Every variable defender-alerts reads. */
export const KNOWN_VARIABLES: ReadonlySet<string> = new Set([...SETTINGS.flatMap((s) => (s.env ? [s.env] : [])), ...READ_ELSEWHERE]);

// DEFENDER_ is this tool's alone, so an unknown DEFENDER_ name is a mistake. AZURE_ is shared with
// the Azure SDKs, az and other tools (AZURE_SUBSCRIPTION_ID, AZURE_FEDERATED_TOKEN_FILE, …): a file
// written for azure-identity must keep working, so only a near miss of one of ours is an error.
const OURS = /^DEFENDER_/i;
const SHARED = /^AZURE_/i;
const PREFIXED = [...KNOWN_VARIABLES].filter((name) => OURS.test(name) || SHARED.test(name));
// A near miss of this one is ignored silently, and the run then fails on TLS asking for it.
const WATCHED = ['NODE_EXTRA_CA_CERTS'];
// Two edits: a doubled, dropped or swapped letter or two; three would match unrelated names.
const MAX_TYPO_DISTANCE = 2;

/** What the env file's names are: problems (unknown settings of ours) and warnings (ignored names worth a word). */
export function checkNames(entries: readonly EnvFileEntry[]): { problems: EnvFileProblem[]; warnings: EnvFileProblem[] } {
  const problems: EnvFileProblem[] = [];
  const warnings: EnvFileProblem[] = [];
  for (const { key, line } of entries) {
    if (KNOWN_VARIABLES.has(key)) continue;
    const upper = key.toUpperCase();
    if (OURS.test(key) || (SHARED.test(key) && closestName(upper, PREFIXED, MAX_TYPO_DISTANCE) !== undefined)) {
      const meant = suggestion(key);
      problems.push({ line, message: `unknown setting ${key}${meant ? ` — ${meant}` : '; --help lists every setting with its variable'}` });
    } else if (SHARED.test(key)) {
      const meant = suggestion(key);
      warnings.push({ line, message: `${key} is not a defender-alerts setting${meant ? ` (${meant})` : ''}; ignored` });
    } else {
      const near = closestName(upper, WATCHED, MAX_TYPO_DISTANCE);
      if (near !== undefined) warnings.push({ line, message: `${key} is ignored — did you mean ${near}?` });
    }
  }
  return { problems, warnings };
}

/**
 * `did you mean NAME?` for an unknown prefixed name, or `--flag has no environment variable…`, or
 * undefined when nothing is close. Tried in order: the same name with the other prefix or in capitals
 * (AZURE_TENANT_ID for a DEFENDER_ one), the variable of the flag the name spells (`…_STATE` →
 * --state → DEFENDER_STATE_FILE), then spelling.
 */
function suggestion(key: string): string | undefined {
  const upper = key.toUpperCase();
  const rest = upper.replace(/^(DEFENDER|AZURE)_/, '');
  const swapped = ['AZURE_', 'DEFENDER_'].map((prefix) => prefix + rest).find((name) => name !== key && KNOWN_VARIABLES.has(name));
  if (swapped !== undefined) return `did you mean ${swapped}?`;
  const flag = rest.toLowerCase().replace(/_/g, '-');
  const spec = SETTINGS.find((s) => s.flag === flag && s.env !== undefined) ?? SETTINGS.find((s) => s.flag === flag);
  if (spec?.env !== undefined) return `did you mean ${spec.env}?`;
  if (spec !== undefined) return `--${spec.flag} has no environment variable; give it as a flag`;
  const near = closestName(upper, PREFIXED, MAX_TYPO_DISTANCE);
  return near === undefined ? undefined : `did you mean ${near}?`;
}
