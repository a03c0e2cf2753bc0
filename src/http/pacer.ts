/**
 * Client-side pacing for APIs with documented rate limits, so a long backfill waits for a free
 * slot instead of running into 429s (Defender for Endpoint: 100 calls a minute and 1 500 an hour
 * per app and tenant, API-NOTES §2). A 429 that happens anyway is still retried (retry.ts).
 */
import type { Logger } from 'pino';

export interface RateLimit {
  calls: number;
  perMs: number;
}

export const MDE_RATE_LIMITS: readonly RateLimit[] = [
  { calls: 100, perMs: 60_000 },
  { calls: 1500, perMs: 3_600_000 },
];

/**
 * How long to wait before one more call keeps every limit, given the start times of earlier calls
 * (ascending). Pure.
 */
export function delayForNextCall(history: readonly number[], nowMs: number, limits: readonly RateLimit[]): number {
  let delay = 0;
  for (const { calls, perMs } of limits) {
    if (history.length < calls) continue;
    // The call `calls` back must have left the window before the next one starts.
    const oldestInWindow = history[history.length - calls] as number;
    delay = Math.max(delay, oldestInWindow + perMs - nowMs);
  }
  return Math.max(0, delay);
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** A function to await before each call; it waits (abortably) when the limits require it. */
export function createPacer(
  limits: readonly RateLimit[],
  log: Pick<Logger, 'info'>,
  now: () => number = Date.now,
  wait: (ms: number, signal?: AbortSignal) => Promise<void> = sleep,
): (signal?: AbortSignal) => Promise<void> {
  const history: number[] = [];
  const keepMs = Math.max(...limits.map((l) => l.perMs));
  return async (signal) => {
    const delay = delayForNextCall(history, now(), limits);
    if (delay > 0) {
      log.info({ delayMs: delay }, `pacing requests to stay within the API's rate limit; waiting ${Math.ceil(delay / 1000)} s`);
      await wait(delay, signal);
    }
    const at = now();
    history.push(at);
    while (history.length > 0 && (history[0] as number) <= at - keepMs) history.shift();
  };
}
