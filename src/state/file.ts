/**
 * Reading and writing the state file. Writes are atomic and private: a temp file in the same
 * directory, fsync, rename over the old one, fsync the directory, mode 0600. A reader (or a crash
 * at any instant) therefore sees either the old state or the new one, never a mix.
 */
import { randomBytes } from 'node:crypto';
import { open, rename, unlink, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { DataError, UsageError } from '../errors.js';
import { parseState, serializeState, type State, type StateIdentity } from './format.js';
import { syncDirectory } from '../util/sync-directory.js';
import { pauseAt } from './test-hooks.js';

// A state holds the keys of one overlap window: kilobytes. Far more is not our file.
const MAX_STATE_BYTES = 64 * 1024 * 1024;

/** Reads the state; undefined when the file does not exist yet (the first run). */
export async function readState(path: string, identity: StateIdentity): Promise<State | undefined> {
  let text: string;
  try {
    const handle = await open(path, 'r');
    try {
      const { size, isDirectory } = await handle.stat().then((s) => ({ size: s.size, isDirectory: s.isDirectory() }));
      if (isDirectory) throw Object.assign(new Error('directory'), { code: 'EISDIR' });
      if (size > MAX_STATE_BYTES) {
        throw new DataError('STATE_CORRUPT', `the state file ${path} is ${size} bytes, far more than a state file holds`, {
          hint: 'check --state names the right file',
        });
      }
      text = await handle.readFile('utf8');
    } finally {
      await handle.close();
    }
  } catch (err) {
    if (err instanceof DataError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    const reason = code === 'EISDIR' ? 'it is a directory' : code === 'EACCES' || code === 'EPERM' ? 'permission denied' : String(code ?? err);
    throw new UsageError(`cannot read the state file ${path}: ${reason}`, { cause: err, hint: 'check --state (or DEFENDER_STATE_FILE)' });
  }
  const parsed = parseState(text, identity);
  if (!parsed.ok) {
    throw new DataError('STATE_CORRUPT', `the state file ${path} is not usable: ${parsed.reason}`, {
      hint: `it was left untouched; to start over from --since, move it aside (mv "${path}" "${path}.bad"); to re-read a period, run pull --since/--until without --state`,
    });
  }
  return parsed.state;
}

/** Writes the state atomically (see the module comment). */
export async function writeState(path: string, state: State): Promise<void> {
  const directory = dirname(path);
  const temp = join(directory, `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  let handle: FileHandle | undefined;
  try {
    handle = await open(temp, 'wx', 0o600);
    await handle.writeFile(serializeState(state), 'utf8');
    await handle.sync();
    await handle.close();
    handle = undefined;
    await pauseAt('state-written');
    await rename(temp, path);
  } catch (err) {
    await handle?.close().catch(() => {});
    await unlink(temp).catch(() => {});
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'EACCES' || code === 'EPERM' || code === 'EROFS' || code === 'ENOTDIR') {
      throw new UsageError(`cannot write the state file ${path}: ${code}`, { cause: err, hint: 'its directory must exist and be writable' });
    }
    throw err;
  }
  await syncDirectory(directory);
}
