/**
 * `defender-alerts status`: reads state files — without taking their locks, without the network —
 * and prints, per state, its API, tenant, checkpoint and lag, how the last run ended, the alerts
 * delivered, and which run holds the lock. With `--tenants` it reports every tenant of the file,
 * at the state file pull --tenants gives it, whether there is one or not. With `--max-lag` it is a
 * health probe (exit 8; the rules are in state/status.ts).
 */
import { readdir, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { fail, gather } from '../config/fields.js';
import { readTenantsText } from '../config/files.js';
import type { Problem } from '../config/problems.js';
import { tenantStatePath } from '../config/fleet.js';
import { readValues } from '../config/setting-values.js';
import type { Flags } from '../config/resolve.js';
import { STATUS_SETTINGS } from '../config/spec.js';
import { parseTenantsFile, TenantsFileError, type TenantEntry } from '../config/tenants.js';
import { AppError, DataError, StaleError, UsageError } from '../errors.js';
import { readState } from '../state/file.js';
import { peekLock } from '../state/lock.js';
import { formatStatusTable, reportState, staleSummary, unusableState, type ListedTenant, type StateReport } from '../state/status.js';
import { describeFileError } from '../util/errno.js';
import type { CommandIo } from '../context/command-context.js';

interface StatusOptions {
  paths: string[];
  dir: string | undefined;
  tenantsFile: string | undefined;
  json: boolean;
  maxLagMs: number | undefined;
}

function statusOptions(flags: Flags, env: CommandIo['env']): StatusOptions {
  const raw = gather(STATUS_SETTINGS, flags, env);
  const problems: Problem[] = [];
  const read = readValues(STATUS_SETTINGS, raw);
  problems.push(...read.problems);
  if (read.complete === undefined) fail(problems);
  const { state, stateDir, tenants, json, maxLag } = read.complete;
  const paths = state ?? [];
  if (tenants !== undefined && stateDir === undefined) {
    fail(['--tenants (or DEFENDER_TENANTS_FILE): needs --state-dir <dir>, the directory pull --tenants keeps their states in']);
  }
  if (paths.length === 0 && stateDir === undefined) fail(['--state <file> or --state-dir <dir>: required (which states to report on)']);
  return { paths, dir: stateDir, tenantsFile: tenants, json: json === true, maxLagMs: maxLag };
}

/** The state files of a --state-dir: its `*.json`, in name order (temp files and locks are not states). */
async function statesIn(dir: string): Promise<string[]> {
  try {
    const names = await readdir(dir);
    return names
      .filter((n) => n.endsWith('.json') && !n.startsWith('.'))
      .sort()
      .map((n) => join(dir, n));
  } catch (err) {
    throw new UsageError(`cannot read --state-dir "${dir}": ${describeFileError(err)}`, { cause: err });
  }
}

/** Every tenant of the tenants file, at its state file in `dir`, in the file's order. */
async function listedTenants(file: string, dir: string): Promise<{ path: string; listed: ListedTenant }[]> {
  let entries: TenantEntry[];
  try {
    entries = parseTenantsFile(await readTenantsText(file), basename(file));
  } catch (err) {
    if (err instanceof TenantsFileError) fail(err.problems);
    throw err;
  }
  let listedAt: Date;
  try {
    listedAt = (await stat(file)).mtime;
  } catch (err) {
    throw new UsageError(`cannot read --tenants "${file}": ${describeFileError(err)}`, { cause: err });
  }
  // The directory must be there: a mistyped --state-dir would otherwise report every tenant as never tried.
  await statesIn(dir);
  return entries.map((e) => ({ path: tenantStatePath(dir, e.label), listed: { label: e.label, tenant: e.tenant, listedAt } }));
}

async function report(path: string, now: Date, maxLagMs: number | undefined, listed?: ListedTenant): Promise<StateReport> {
  const lock = await peekLock(path);
  try {
    return reportState(path, await readState(path), lock, now, maxLagMs, listed);
  } catch (err) {
    if (err instanceof AppError) return { ...unusableState(path, err.message, lock, maxLagMs), ...(listed && { label: listed.label }) };
    throw err;
  }
}

export async function statusCommand(flags: Flags, io: CommandIo): Promise<StateReport[]> {
  const options = statusOptions(flags, io.env);
  const targets: { path: string; listed?: ListedTenant }[] = options.paths.map((path) => ({ path }));
  if (options.dir !== undefined) {
    // With a tenants file, its tenants are the states: one of a tenant no longer listed is not reported.
    if (options.tenantsFile !== undefined) targets.push(...(await listedTenants(options.tenantsFile, options.dir)));
    else targets.push(...(await statesIn(options.dir)).map((path) => ({ path })));
  }
  const now = io.now();
  const reports = await Promise.all(targets.map((t) => report(t.path, now, options.maxLagMs, t.listed)));
  io.stdout.write(options.json ? `${JSON.stringify(reports, null, 2)}\n` : formatStatusTable(reports, now));
  const unusable = reports.filter((r) => r.unusable === true);
  if (unusable.length > 0) {
    throw new DataError(
      'STATE_UNUSABLE',
      `${unusable.length} of ${reports.length} state file(s) cannot be used: ${unusable[0]?.state ?? ''}`,
      {
        hint: 'each is described in the report above',
      },
    );
  }
  const stale = options.maxLagMs === undefined ? undefined : staleSummary(reports);
  if (stale !== undefined) {
    throw new StaleError('STALE', stale, {
      hint: 'see the last run of each above; a run that keeps failing leaves its checkpoint behind, and one that never delivered has none',
    });
  }
  if (reports.length === 0) throw new UsageError(`no state file (*.json) in --state-dir "${options.dir ?? ''}"`);
  return reports;
}
