/**
 * Reading and writing the state file. Writes are atomic and private (util/atomic-file.ts, mode
 * 0600): a reader, or a crash at any instant, sees either the old state or the new one, never a mix.
 */
import { open, stat } from 'node:fs/promises';
import { DataError, UsageError } from '../errors.js';
import { writeFileAtomic } from '../util/atomic-file.js';
import { describeFileError, errnoCode, fileProblem } from '../util/errno.js';
import { parseState, serializeState, type StateFile, type StateIdentity } from './format.js';
import { NO_PAUSE, type Pause } from './pause.js';

// A state holds the keys of one overlap window: kilobytes. Far more is not our file.
const MAX_STATE_BYTES = 64 * 1024 * 1024;

const LEFT_UNTOUCHED = (path: string): string =>
  `it was left untouched; to start over from --since, move it aside (mv "${path}" "${path}.bad"); to re-read a period, run pull --since/--until without --state`;

/**
 * Reads the state; undefined when the file does not exist yet (no run has ended under it). A state
 * without a checkpoint (format.ts, version 3) says only how runs that delivered nothing failed.
 */
export async function readState(path: string, identity?: StateIdentity): Promise<StateFile | undefined> {
  let text: string;
  try {
    // stat before open: opening a FIFO for reading blocks until a writer comes, forever in cron.
    const info = await stat(path);
    if (info.isDirectory()) throw Object.assign(new Error('directory'), { code: 'EISDIR' });
    if (!info.isFile()) {
      throw new UsageError(`cannot read the state file ${path}: it is not a regular file`, {
        hint: 'check --state (or DEFENDER_STATE_FILE)',
      });
    }
    const tooBig = (bytes: number): DataError =>
      new DataError('STATE_CORRUPT', `the state file ${path} is not usable: it is ${bytes} bytes, far more than a state file holds`, {
        hint: `check --state names the right file; ${LEFT_UNTOUCHED(path)}`,
      });
    if (info.size > MAX_STATE_BYTES) throw tooBig(info.size);
    const handle = await open(path, 'r');
    try {
      // Never more than stat said (+1 to notice growth): a file that grows while read is not ours.
      const buffer = Buffer.alloc(info.size + 1);
      let filled = 0;
      for (;;) {
        if (filled === buffer.length) {
          throw new UsageError(`cannot read the state file ${path}: it grew while it was read`, {
            hint: 'another program writes it: give --state a file of its own',
          });
        }
        const { bytesRead } = await handle.read(buffer, filled, buffer.length - filled, filled);
        if (bytesRead === 0) break;
        filled += bytesRead;
      }
      text = buffer.subarray(0, filled).toString('utf8');
    } finally {
      await handle.close();
    }
  } catch (err) {
    if (err instanceof DataError || err instanceof UsageError) throw err;
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new UsageError(`cannot read the state file ${path}: ${describeFileError(err)}`, {
      cause: err,
      hint: 'check --state (or DEFENDER_STATE_FILE)',
    });
  }
  const parsed = parseState(text, identity);
  if (!parsed.ok) {
    throw new DataError('STATE_CORRUPT', `the state file ${path} is not usable: ${parsed.reason}`, { hint: LEFT_UNTOUCHED(path) });
  }
  return parsed.state;
}

/** Writes the state atomically (see the module comment). */
export async function writeState(path: string, state: StateFile, pause: Pause = NO_PAUSE): Promise<void> {
  try {
    await writeFileAtomic(path, serializeState(state), 0o600, () => pause('state-written'));
  } catch (err) {
    const code = errnoCode(err);
    // A full disk is not a bug: say so (the old state stays, the next run delivers again).
    if (code === 'ENOSPC' || code === 'EDQUOT') {
      throw new UsageError(`cannot write the state file ${path}: ${describeFileError(err)}`, {
        cause: err,
        hint: 'free some space; the old state was kept and the next run delivers these alerts again',
      });
    }
    const problem = fileProblem(err, 'creating');
    if (problem !== undefined) {
      throw new UsageError(`cannot write the state file ${path}: ${problem} (${code ?? '?'})`, {
        cause: err,
        hint: 'its directory must exist and be writable',
      });
    }
    throw err;
  }
}
