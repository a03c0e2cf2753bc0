/**
 * One run at a time per state file: a lock file beside it (`<state>.lock`), created with O_EXCL and
 * naming its holder. A second run exits 75 at once, naming the holder. A lock whose holder is dead
 * (crash, kill -9, reboot) is taken over safely: renamed aside atomically, checked to be the very
 * lock we judged stale, and only then replaced.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, unlinkSync } from 'node:fs';
import { link, open, readFile, rename, stat, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { hostname } from 'node:os';
import { z } from 'zod';
import { LockedError, UsageError } from '../errors.js';
import { describeFileError, errnoCode } from '../util/errno.js';
import { undoOnForcedExit } from '../util/forced-exit.js';

const Owner = z.object({
  pid: z.number().int(),
  hostname: z.string(),
  bootId: z.string().optional(),
  startedAt: z.string(),
  token: z.string(),
});
type Owner = z.infer<typeof Owner>;

export interface Lock {
  readonly path: string;
  release(): Promise<void>;
}

/** Seconds a lock file may stay unreadable (its creator between open and write) before it counts as debris. */
const HALF_WRITTEN_GRACE_MS = 10_000;

async function bootId(): Promise<string | undefined> {
  // Linux: a new value every boot, so a lock from before a reboot is stale even if its pid was reused.
  try {
    return (await readFile('/proc/sys/kernel/random/boot_id', 'utf8')).trim();
  } catch {
    return undefined;
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Whether the holder is certainly gone. A lock from another host cannot be checked: it is held. */
export function isStale(owner: Owner, here: { hostname: string; bootId: string | undefined }): boolean {
  if (owner.hostname !== here.hostname) return false;
  if (owner.bootId !== undefined && here.bootId !== undefined && owner.bootId !== here.bootId) return true;
  return !processAlive(owner.pid);
}

async function readOwner(path: string): Promise<Owner | 'missing' | 'unreadable'> {
  let text: string;
  try {
    // A lock file is one short JSON line; anything longer is debris, judged without reading it all.
    const handle = await open(path, 'r');
    try {
      const buffer = Buffer.alloc(4096);
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
      text = buffer.subarray(0, bytesRead).toString('utf8');
    } finally {
      await handle.close();
    }
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return 'missing';
    // Not a stale lock we may take over: something else is in the way; a person must look.
    throw new UsageError(`cannot read the lock file ${path}: ${describeFileError(err)}`, {
      cause: err,
      hint: 'it is not a lock this tool wrote; remove it if no run of defender-alerts is using this --state file',
    });
  }
  try {
    return Owner.parse(JSON.parse(text));
  } catch {
    return 'unreadable';
  }
}

function held(path: string, owner: Owner | undefined): LockedError {
  const who = owner ? `pid ${owner.pid} on ${owner.hostname}, started ${owner.startedAt}` : 'a run that is starting';
  return new LockedError('STATE_LOCKED', `another run holds the lock ${path} (${who})`, {
    hint: 'this run stops so the two cannot interleave; if no such run exists, delete the lock file',
  });
}

async function tryCreate(path: string, owner: Owner): Promise<boolean> {
  try {
    const handle = await open(path, 'wx', 0o600);
    try {
      await handle.writeFile(`${JSON.stringify(owner)}\n`);
      await handle.sync();
    } finally {
      await handle.close();
    }
    return true;
  } catch (err) {
    const code = errnoCode(err);
    if (code === 'EEXIST') return false;
    const reason = code === 'ENOENT' ? `the directory ${dirname(path)} does not exist` : describeFileError(err, 'creating');
    throw new UsageError(`cannot create the lock file ${path}: ${reason}`, {
      cause: err,
      hint: 'the directory of --state must exist and be writable',
    });
  }
}

/** Whether a lock file's text names `token`: the lock is still ours (no run has taken it over). */
function ownedBy(text: string, token: string): boolean {
  try {
    return Owner.parse(JSON.parse(text)).token === token;
  } catch {
    return false;
  }
}

/** Takes the lock of `statePath`, or throws LockedError (exit 75) naming the holder. */
export async function acquireLock(statePath: string, log?: { warn: (obj: object, msg: string) => void }): Promise<Lock> {
  const path = `${statePath}.lock`;
  const here = { hostname: hostname(), bootId: await bootId() };
  const owner: Owner = {
    pid: process.pid,
    hostname: here.hostname,
    ...(here.bootId === undefined ? {} : { bootId: here.bootId }),
    startedAt: new Date().toISOString(),
    token: randomBytes(12).toString('hex'),
  };
  let withdraw = (): void => {};
  const lock: Lock = {
    path,
    async release() {
      withdraw();
      const current = await readOwner(path).catch(() => 'unreadable' as const);
      if (typeof current === 'object' && current.token === owner.token) await unlink(path).catch(() => {});
    },
  };
  const taken = (): Lock => {
    // A process that must end before release() (main.ts: a second signal, a stop that outlasts its
    // grace) still removes its lock, so the next run need not judge it stale.
    withdraw = undoOnForcedExit(() => {
      if (ownedBy(readFileSync(path, 'utf8'), owner.token)) unlinkSync(path);
    });
    return lock;
  };

  // Two tries: the second after taking over a stale lock.
  for (let attempt = 0; attempt < 2; attempt++) {
    if (await tryCreate(path, owner)) return taken();
    const current = await readOwner(path);
    if (current === 'missing') continue; // released meanwhile
    if (current === 'unreadable') {
      const { mtimeMs } = await stat(path);
      if (Date.now() - mtimeMs < HALF_WRITTEN_GRACE_MS) throw held(path, undefined);
    } else if (!isStale(current, here)) {
      throw held(path, current);
    }
    // Stale: move it aside atomically, and make sure what we moved is what we judged.
    const aside = `${path}.stale.${process.pid}.${owner.token}`;
    try {
      await rename(path, aside);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue; // someone else took it over
      throw err;
    }
    const moved = await readOwner(aside);
    const same = current === 'unreadable' ? moved === 'unreadable' : typeof moved === 'object' && moved.token === current.token;
    if (!same) {
      // A racing run replaced the stale lock between our read and our rename: give it back.
      await link(aside, path).catch(() => {});
      await unlink(aside).catch(() => {});
      throw held(path, typeof moved === 'object' ? moved : undefined);
    }
    await unlink(aside).catch(() => {});
    log?.warn(
      { lock: path, ...(typeof current === 'object' ? { stalePid: current.pid, staleStartedAt: current.startedAt } : {}) },
      'took over a stale lock left by a run that ended without releasing it',
    );
  }
  throw held(path, undefined);
}

/** Who holds the lock of a state file, as `status` shows it (read without taking it). */
export interface LockHolderInfo {
  pid: number;
  hostname: string;
  startedAt: string;
  /** The holder is certainly gone (a crash): the next run takes the lock over. */
  stale: boolean;
}

/** Reads the lock of `statePath` without taking it; undefined when no run holds it. */
export async function peekLock(statePath: string): Promise<LockHolderInfo | undefined> {
  const owner = await readOwner(`${statePath}.lock`).catch(() => 'unreadable' as const);
  if (owner === 'missing') return undefined;
  if (owner === 'unreadable') return { pid: 0, hostname: '?', startedAt: '?', stale: false };
  const here = { hostname: hostname(), bootId: await bootId() };
  return { pid: owner.pid, hostname: owner.hostname, startedAt: owner.startedAt, stale: isStale(owner, here) };
}
