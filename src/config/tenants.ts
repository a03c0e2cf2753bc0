/**
 * The tenants file of a many-tenant pull (`--tenants`): a plain list of tenant ids or domains (one
 * app consented in every tenant), or a JSON array of entries that may override, per tenant, the
 * settings a single pull takes. Parsing and validation are pure: every problem is reported at once
 * as `tenants.json[3].region: …` (or `tenants.txt:5: …`), and nothing is fetched.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { DOMAIN, GUID } from './fields.js';
import { problemLine, problemOf, type Problem } from './problems.js';
import type { SettingKey } from './spec.js';
import type { Flags } from './types.js';

/** What one tenant of the file asks for: its id, a label, and the flags it overrides. */
export interface TenantEntry {
  /** Tenant GUID or verified domain, as the token URL takes it. */
  tenant: string;
  /** Short label for logs, the summary, state and output file names, and the alerts' tenant field. */
  label: string;
  /** Where the entry is in the file, for messages: `tenants.json[3]` or `tenants.txt:5`. */
  where: string;
  /** Flags (commander's camel-cased keys) this tenant sets instead of the command line's. */
  overrides: Flags;
}

const TENANT_ID_MESSAGE = 'expected the tenant GUID or a verified domain such as contoso.onmicrosoft.com';
const text = (what: string) => z.string({ error: `expected ${what}` }).min(1, 'is empty');
/** A path in the file, never `-`: stdin can be read once, not once per tenant. */
const path = text('a file path').refine((p) => p !== '-', 'stdin ("-") cannot be read per tenant; name a file');

/**
 * One JSON entry. The keys are the camel-cased flags of `pull` they override
 * (docs/many-tenants.md); an inline secret is refused so that a tenants file never becomes a secrets file.
 */
const ENTRY_SHAPE = {
  tenant: z.string({ error: 'required' }).refine((t) => GUID.test(t) || DOMAIN.test(t), TENANT_ID_MESSAGE),
  name: text('a short label')
    .max(100, 'must be at most 100 characters')
    // A label goes into log lines and file names: no control characters (a newline would forge a line).
    .refine((n) => ![...n].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f), 'must not contain control characters')
    .optional(),
  api: text('siem, mde or graph').optional(),
  cloud: text('public, gcc, gcc-high or dod').optional(),
  region: text('a region').optional(),
  clientId: text('the application (client) id').optional(),
  clientSecretFile: path.optional(),
  certificate: path.optional(),
  baseUrl: text('a URL').optional(),
  authorityHost: text('a URL').optional(),
  resource: text('a URI').optional(),
  machineGroups: z.array(text('a machine group name'), { error: 'expected an array of machine group names' }).optional(),
  deviceTag: text('a tag').optional(),
  cloudTag: text('a tag').optional(),
  serviceSource: text('a product name').optional(),
  filterOn: text('updated or created').optional(),
  expand: text('evidence').optional(),
  pageSize: z.union([z.number().int(), z.string()], { error: 'expected a whole number' }).optional(),
};
const ENTRY_KEYS = Object.keys(ENTRY_SHAPE);
const Entry = z.strictObject(ENTRY_SHAPE, {
  error: (issue) =>
    issue.code === 'unrecognized_keys'
      ? undefined
      : issue.input === undefined || typeof issue.input !== 'object' || Array.isArray(issue.input)
        ? 'expected an object such as {"tenant": "contoso.onmicrosoft.com"}'
        : undefined,
});

/** Entry keys that are flags under another name. */
const FLAG_OF: Readonly<Record<string, string>> = { machineGroups: 'machineGroup' };
/** Flags a tenant's credential replaces: naming one source drops the command line's others. */
const CREDENTIAL_FLAGS = ['clientSecretFile', 'clientSecret', 'certificate'] as const satisfies readonly SettingKey[];

/** What is wrong with a tenants file: every problem, each at its place in the file. */
export class TenantsFileError extends Error {
  constructor(readonly problems: Problem[]) {
    super(problems.map(problemLine).join('\n'));
  }
}

/**
 * Parses a tenants file: JSON when its first character (after whitespace) is `[` or `{`, else the
 * plain list. `file` names it in messages (its base name). Throws {@link TenantsFileError} with
 * every problem.
 */
export function parseTenantsFile(content: string, file: string): TenantEntry[] {
  const body = content.replace(/^\uFEFF/, '');
  const entries = /^\s*[[{]/.test(body) ? parseJson(body, file) : parseList(body, file);
  const problems = duplicateProblems(entries);
  if (entries.length === 0) problems.push(problemOf(file, 'names no tenant'));
  if (problems.length > 0) throw new TenantsFileError(problems);
  return entries;
}

function parseList(body: string, file: string): TenantEntry[] {
  const entries: TenantEntry[] = [];
  const problems: Problem[] = [];
  body.split(/\r?\n/).forEach((line, i) => {
    const tenant = line.replace(/(^|\s)#.*$/, '').trim();
    if (tenant === '') return;
    const where = `${file}:${i + 1}`;
    if (!GUID.test(tenant) && !DOMAIN.test(tenant)) {
      problems.push(problemOf(where, `"${tenant}": ${TENANT_ID_MESSAGE}`));
      return;
    }
    entries.push({ tenant, label: tenant, where, overrides: {} });
  });
  if (problems.length > 0) throw new TenantsFileError(problems);
  return entries;
}

function parseJson(body: string, file: string): TenantEntry[] {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch (err) {
    throw new TenantsFileError([problemOf(file, `is not valid JSON (${err instanceof Error ? err.message : String(err)})`)]);
  }
  if (!Array.isArray(json)) {
    throw new TenantsFileError([problemOf(file, 'expected a JSON array of tenants, such as [{"tenant": "contoso.onmicrosoft.com"}]')]);
  }
  const entries: TenantEntry[] = [];
  const problems: Problem[] = [];
  json.forEach((item: unknown, i) => {
    const where = `${file}[${i}]`;
    const parsed = Entry.safeParse(item);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        if (issue.code === 'unrecognized_keys') {
          for (const key of issue.keys) problems.push(problemOf(`${where}.${key}`, unknownKeyMessage(key)));
        } else {
          const at = issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('');
          problems.push(problemOf(`${where}${at}`, issue.message));
        }
      }
      return;
    }
    const { tenant, name, ...settings } = parsed.data;
    const overrides: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(settings)) {
      if (value === undefined) continue;
      overrides[FLAG_OF[key] ?? key] = typeof value === 'number' ? String(value) : value;
    }
    entries.push({ tenant, label: name ?? tenant, where, overrides });
  });
  if (problems.length > 0) throw new TenantsFileError(problems);
  return entries;
}

function unknownKeyMessage(key: string): string {
  if (/secret/i.test(key) && key !== 'clientSecretFile') {
    return 'a tenants file never holds a secret: put it in a file (mode 0600) and name that file with "clientSecretFile"';
  }
  return `not a setting of a tenant; expected one of ${ENTRY_KEYS.join(', ')}`;
}

/** Two entries may not share a label, nor a file name (state files, `{tenant}` outputs). */
function duplicateProblems(entries: readonly TenantEntry[]): Problem[] {
  const problems: Problem[] = [];
  const byName = new Map<string, TenantEntry>();
  for (const entry of entries) {
    // Case-insensitive: on macOS and Windows, Contoso.json and contoso.json are one file.
    const key = fileSafeLabel(entry.label).toLowerCase();
    const first = byName.get(key);
    if (first === undefined) {
      byName.set(key, entry);
      continue;
    }
    problems.push(
      problemOf(
        entry.where,
        first.label === entry.label
          ? `"${entry.label}" is already listed at ${first.where}; give each tenant once (or a distinct "name")`
          : `"${entry.label}" and "${first.label}" (${first.where}) would share the file name "${fileSafeLabel(entry.label)}"; give them distinct names`,
      ),
    );
  }
  return problems;
}

/**
 * A stable, path-safe form of a label, for its state file and its `{tenant}` output: the label
 * itself when it is made of letters, digits, `.`, `_` and `-` (every tenant id and domain is);
 * otherwise those characters kept, the rest `_`, and a short hash of the label so that two labels
 * never meet by accident.
 */
export function fileSafeLabel(label: string): string {
  if (/^[A-Za-z0-9_-][A-Za-z0-9._-]{0,99}$/.test(label)) return label;
  const kept = label
    .replace(/[^A-Za-z0-9._-]+/g, '_')
    .replace(/^\.+/, '_')
    .slice(0, 80);
  return `${kept}-${createHash('sha256').update(label).digest('hex').slice(0, 8)}`;
}

/**
 * The flags a tenant runs with: the command line's, with the tenant and its overrides on top. A
 * tenant that names its own credential drops the command line's credential flags, so that its
 * file or certificate is what signs in.
 */
export function tenantFlags(base: Flags, entry: TenantEntry): Flags {
  const flags: Record<string, unknown> = { ...base, tenant: entry.tenant };
  delete flags['tenants'];
  if (CREDENTIAL_FLAGS.some((key) => entry.overrides[key] !== undefined)) {
    for (const key of CREDENTIAL_FLAGS) delete flags[key];
  }
  return { ...flags, ...entry.overrides };
}
