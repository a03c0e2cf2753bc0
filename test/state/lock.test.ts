import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, utimes, writeFile, access } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { LockedError } from '../../src/errors.js';
import { acquireLock } from '../../src/state/lock.js';

let state: string;
beforeEach(async () => {
  state = join(await mkdtemp(join(tmpdir(), 'lock-')), 'state.json');
});

/** The pid of a process that has certainly exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
  return Number(child.stdout.toString());
}

const exists = (p: string) =>
  access(p).then(
    () => true,
    () => false,
  );

describe('acquireLock', () => {
  it('creates <state>.lock naming this process, and removes it on release', async () => {
    const lock = await acquireLock(state);
    const owner = JSON.parse(await readFile(`${state}.lock`, 'utf8')) as { pid: number; hostname: string };
    expect(owner.pid).toBe(process.pid);
    expect(owner.hostname).toBe(hostname());
    await lock.release();
    expect(await exists(`${state}.lock`)).toBe(false);
  });

  it('refuses a second holder with exit 75, naming the first', async () => {
    const first = await acquireLock(state);
    const err = await acquireLock(state).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LockedError);
    expect((err as LockedError).exitCode).toBe(75);
    expect((err as LockedError).message).toContain(`pid ${process.pid}`);
    await first.release();
    await (await acquireLock(state)).release();
  });

  it('takes over a lock left by a dead process', async () => {
    const pid = deadPid();
    await writeFile(`${state}.lock`, JSON.stringify({ pid, hostname: hostname(), startedAt: '2024-01-01T00:00:00Z', token: 'old' }));
    const warnings: string[] = [];
    const lock = await acquireLock(state, { warn: (_o, msg) => void warnings.push(msg) });
    expect(JSON.parse(await readFile(`${state}.lock`, 'utf8'))).toMatchObject({ pid: process.pid });
    expect(warnings.join()).toContain('stale lock');
    await lock.release();
  });

  it('takes over a lock from before a reboot even if its pid is alive now', async () => {
    await writeFile(
      `${state}.lock`,
      JSON.stringify({ pid: process.pid, hostname: hostname(), bootId: 'another-boot', startedAt: 'x', token: 'old' }),
    );
    const bootKnown = await exists('/proc/sys/kernel/random/boot_id');
    const result = await acquireLock(state).catch((e: unknown) => e);
    if (bootKnown) {
      expect(result).not.toBeInstanceOf(LockedError);
      await (result as { release(): Promise<void> }).release();
    } else {
      expect(result).toBeInstanceOf(LockedError);
    }
  });

  it('treats a lock from another host as held (it cannot be checked)', async () => {
    await writeFile(`${state}.lock`, JSON.stringify({ pid: deadPid(), hostname: 'elsewhere', startedAt: 'x', token: 't' }));
    await expect(acquireLock(state)).rejects.toThrow(/elsewhere/);
  });

  it('waits out a freshly created, not yet written lock, but clears old debris', async () => {
    await writeFile(`${state}.lock`, '');
    await expect(acquireLock(state)).rejects.toBeInstanceOf(LockedError);
    const old = new Date(Date.now() - 60_000);
    await utimes(`${state}.lock`, old, old);
    await (await acquireLock(state)).release();
  });

  it('does not remove a lock it no longer owns', async () => {
    const lock = await acquireLock(state);
    await writeFile(`${state}.lock`, JSON.stringify({ pid: 1, hostname: 'h', startedAt: 'x', token: 'someone-else' }));
    await lock.release();
    expect(await exists(`${state}.lock`)).toBe(true);
  });
});
