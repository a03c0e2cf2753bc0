/**
 * Locks held for a whole `--follow` service rather than one run: each state's lock is taken at its
 * first cycle and kept, so a cron run against the same state gets exit 75 for as long as the
 * service lives.
 */
import type { Logger } from '../log.js';
import { acquireLock, type Lock } from '../state/lock.js';

/** Locks kept for longer than one run (`--follow` holds its state's lock for the whole service). */
export interface LockHolder {
  /** The lock of `path`, taken on first use and kept; released by whoever made the holder. */
  lock(path: string, log: Logger): Promise<Lock>;
}

export interface HeldLocks extends LockHolder {
  releaseAll(): Promise<void>;
}

export function holdLocks(): HeldLocks {
  const locks = new Map<string, Promise<Lock>>();
  return {
    lock(path: string, log: Logger): Promise<Lock> {
      let lock = locks.get(path);
      if (lock === undefined) {
        lock = acquireLock(path, log);
        // A lock not taken (75: another run has it) is tried again at the next cycle.
        lock.catch(() => locks.delete(path));
        locks.set(path, lock);
      }
      return lock;
    },
    async releaseAll(): Promise<void> {
      const held = [...locks.values()];
      locks.clear();
      await Promise.all(held.map((l) => l.then((lock) => lock.release()).catch(() => {})));
    },
  };
}
