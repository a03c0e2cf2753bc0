/**
 * The scheduler of `pull --follow`: runs one cycle — exactly a `--state` run (or a `--tenants`
 * run; service.ts) — after another, `--interval` apart, until SIGTERM or Ctrl-C. Cycles never
 * overlap. A failure that waiting can heal is logged and the next cycle comes later (backoff); one
 * that cannot ends the service after a few in a row (follow-schedule.ts). A requested stop ends the
 * current cycle as a single run would (output closed, state never ahead of delivery) and is not a
 * failure: the service returns normally.
 */
import { outcomeOf } from '../errors.js';
import type { Logger } from '../log.js';
import { formatDuration } from '../time.js';
import { sleep as realSleep } from '../util/sleep.js';
import { MAX_PERMANENT_FAILURES, healsByWaiting, nextCycle } from './follow-schedule.js';

export interface FollowSettings {
  intervalMs: number;
  jitterMs: number;
}

export interface FollowIo {
  signal: AbortSignal;
  now: () => Date;
  log: Logger;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  random?: () => number;
}

/**
 * Runs `cycle` until stopped — by the signal, or by a cycle that answers `'stop'` (its reader went
 * away) — and resolves with the number of cycles run; throws what ended the service.
 */
export async function follow(cycle: (n: number) => Promise<void | 'stop'>, settings: FollowSettings, io: FollowIo): Promise<number> {
  const { log, signal } = io;
  const sleep = io.sleep ?? realSleep;
  let failures = 0;
  let permanent = 0;
  let n = 0;
  log.info(
    { interval: formatDuration(settings.intervalMs), jitter: formatDuration(settings.jitterMs) },
    'following: a cycle every interval until SIGTERM or Ctrl-C',
  );
  while (!signal.aborted) {
    n++;
    const started = io.now().getTime();
    try {
      if ((await cycle(n)) === 'stop') {
        log.info({ cycle: n }, 'the reader closed the output; stopping');
        return n;
      }
      failures = 0;
      permanent = 0;
    } catch (err) {
      if (signal.aborted) break;
      failures++;
      const { exitCode, message } = outcomeOf(err);
      if (healsByWaiting(exitCode)) {
        permanent = 0;
      } else if (++permanent >= MAX_PERMANENT_FAILURES) {
        log.error(
          { cycle: n, exitCode, failuresInARow: permanent },
          `cycle ${n} failed the same way ${permanent} times in a row; stopping`,
        );
        throw err;
      }
      log.error({ cycle: n, exitCode, failuresInARow: failures }, `cycle ${n} failed: ${message}; the next cycle tries again`);
    }
    if (signal.aborted) break;
    const next = nextCycle({
      startedMs: started,
      nowMs: io.now().getTime(),
      intervalMs: settings.intervalMs,
      jitterMs: settings.jitterMs,
      failures,
      random: io.random ?? Math.random,
    });
    if (next.overran) {
      log.warn(
        { cycle: n, interval: formatDuration(settings.intervalMs) },
        `cycle ${n} took longer than --interval; the next starts at once`,
      );
    }
    try {
      await sleep(next.delayMs, signal);
    } catch {
      break; // stopped while waiting
    }
  }
  log.info({ cycles: n }, 'stopped on request');
  return n;
}
