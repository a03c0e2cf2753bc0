/**
 * `defender-alerts status`: reads state files — without taking their locks, without the network —
 * and prints, per state, its API, tenant, checkpoint and lag, how the last run ended, the alerts
 * delivered, and which run holds the lock. With `--max-lag` it is a health probe (exit 8 when a
 * checkpoint is staler).
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { collect, duration, fail, gather } from '../config/fields.js';
import type { Flags } from '../config/resolve.js';
import { STATUS_SETTINGS } from '../config/spec.js';
import { AppError, DataError, StaleError, UsageError } from '../errors.js';
import { readState } from '../state/file.js';
import { peekLock } from '../state/lock.js';
import { formatStatusTable, reportState, unusableState, type StateReport } from '../state/status.js';
import { describeFileError } from '../util/errno.js';
import type { CommandIo } from './context.js';

interface StatusOptions {
  paths: string[];
  dir: string | undefined;
  json: boolean;
  maxLagMs: number | undefined;
}

function statusOptions(flags: Flags, env: CommandIo['env']): StatusOptions {
  const raw = gather(STATUS_SETTINGS, flags, env);
  const problems: string[] = [];
  const parsed = z
    .object({
      state: z.union([z.array(z.string().min(1, 'is empty')), z.string().min(1, 'is empty')]).optional(),
      stateDir: z.string().min(1, 'is empty').optional(),
      json: z.boolean().optional(),
      maxLag: duration(1000, 365 * 86_400_000).optional(),
    })
    .safeParse(raw);
  collect(parsed, problems);
  if (!parsed.success) fail(problems);
  const { state, stateDir, json, maxLag } = parsed.data;
  const paths = state === undefined ? [] : Array.isArray(state) ? state : [state];
  if (paths.length === 0 && stateDir === undefined) fail(['--state <file> or --state-dir <dir>: required (which states to report on)']);
  return { paths, dir: stateDir, json: json === true, maxLagMs: maxLag };
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

async function report(path: string, now: Date, maxLagMs: number | undefined): Promise<StateReport> {
  const lock = await peekLock(path);
  try {
    return reportState(path, await readState(path), lock, now, maxLagMs);
  } catch (err) {
    if (err instanceof AppError) return unusableState(path, err.message, lock, maxLagMs);
    throw err;
  }
}

export async function statusCommand(flags: Flags, io: CommandIo): Promise<StateReport[]> {
  const options = statusOptions(flags, io.env);
  const paths = [...options.paths, ...(options.dir === undefined ? [] : await statesIn(options.dir))];
  const now = io.now();
  const reports = await Promise.all(paths.map((p) => report(p, now, options.maxLagMs)));
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
  if (options.maxLagMs !== undefined) {
    const stale = reports.filter((r) => r.fresh === false);
    if (stale.length > 0) {
      throw new StaleError(
        'STALE',
        `${stale.length} of ${reports.length} checkpoint(s) are older than --max-lag: ${stale
          .slice(0, 5)
          .map((r) => r.state)
          .join(', ')}${stale.length > 5 ? ', …' : ''}`,
        { hint: 'see the last run of each above; a run that keeps failing leaves its checkpoint behind' },
      );
    }
  }
  if (reports.length === 0) throw new UsageError(`no state file (*.json) in --state-dir "${options.dir ?? ''}"`);
  return reports;
}
