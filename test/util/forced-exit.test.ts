/**
 * What a process that must end at once (a second signal, the stop grace run out) still removes:
 * the steps its owners registered, and only those not yet withdrawn — a held lock, an unfinished
 * temp file — never a lock another run has taken over.
 */
import { mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { acquireLock } from '../../src/state/lock.js';
import { beginAtomicWrite } from '../../src/util/atomic-file.js';
import { runForcedExitSteps, undoOnForcedExit } from '../../src/util/forced-exit.js';

describe('forced exit', () => {
  it('runs each step left once, in spite of one that throws; a withdrawn step does not run', () => {
    const ran: string[] = [];
    undoOnForcedExit(() => ran.push('a'));
    undoOnForcedExit(() => {
      throw new Error('already gone');
    });
    const withdraw = undoOnForcedExit(() => ran.push('withdrawn'));
    undoOnForcedExit(() => ran.push('c'));
    withdraw();
    runForcedExitSteps();
    runForcedExitSteps();
    expect(ran).toEqual(['a', 'c']);
  });

  it('removes a lock still held and a temp file not yet committed; a released lock is not its business', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'defender-forced-exit-'));
    const released = await acquireLock(join(dir, 'released.json'));
    await released.release();
    await acquireLock(join(dir, 'held.json'));
    const temp = await beginAtomicWrite(join(dir, 'out.json'), 0o600);
    await temp.handle.close();
    expect((await readdir(dir)).sort()).toEqual([basename(temp.tempPath), 'held.json.lock'].sort());
    runForcedExitSteps();
    expect(await readdir(dir)).toEqual([]);
  });

  it('leaves a lock another run has taken over (it no longer names this one)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'defender-forced-exit-'));
    const state = join(dir, 'state.json');
    await acquireLock(state);
    const theirs = `${JSON.stringify({ pid: 1, hostname: 'elsewhere', startedAt: 'now', token: 'theirs' })}\n`;
    await writeFile(`${state}.lock`, theirs);
    runForcedExitSteps();
    expect(await readdir(dir)).toEqual(['state.json.lock']);
  });
});
