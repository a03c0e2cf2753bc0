/**
 * Client-side pacing for APIs with documented rate limits, so a long backfill waits for a free
 * slot instead of running into 429s. Both OData APIs have one, per app and tenant
 * (docs/microsoft-apis.md): Defender for Endpoint 100 calls a minute and 1 500 an hour, Graph's
 * security API 150 requests a minute. The quota is shared with every other client of the same app
 * registration, so a 429 can happen anyway: the pacer then learns from it and holds every request
 * until the time the server named (retry-loop.ts reports it through `hold`).
 */
import type { Logger } from 'pino';
import { formatDuration } from '../time.js';
import { sleep } from '../util/sleep.js';

export interface RateLimit {
  calls: number;
  perMs: number;
}

/** "Limitations" of each Defender for Endpoint API page, e.g. https://learn.microsoft.com/defender-endpoint/api/get-alerts */
export const MDE_RATE_LIMITS: readonly RateLimit[] = [
  { calls: 100, perMs: 60_000 },
  { calls: 1500, perMs: 3_600_000 },
];

/**
 * "Security detections and incidents service limits" of
 * https://learn.microsoft.com/graph/throttling-limits: any operation on `alert` under `/security`,
 * 150 requests a minute per app per tenant.
 */
export const GRAPH_RATE_LIMITS: readonly RateLimit[] = [{ calls: 150, perMs: 60_000 }];

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

/** What a source awaits before each call, and what the retry loop tells it when the server throttled. */
export interface Pacer {
  /** Waits (abortably) until one more call keeps every limit and no hold is in force. */
  wait(signal?: AbortSignal): Promise<void>;
  /** The server said "not before `untilMs`" (epoch ms): no call starts earlier, whoever makes it. */
  hold(untilMs: number): void;
}

/** Added to every limit's window by the pacer (see createPacer). */
export const SLACK_MS = 1000;

/**
 * One pacer per source, so per tenant: its calls are all that count against the app's quota there.
 * The `--parallel` windows of a run share the source, so they share its pacer.
 */
export function createPacer(
  limits: readonly RateLimit[],
  log: Pick<Logger, 'info'>,
  now: () => number = Date.now,
  wait: (ms: number, signal?: AbortSignal) => Promise<void> = sleep,
): Pacer {
  const history: number[] = [];
  // The server counts a request when it arrives, the pacer when it leaves, and arrival times jitter
  // (connection reuse, TLS, the server's own queue): a request sent exactly a window after another
  // can arrive inside the server's window. Measured against the simulator at the Graph limit, 4 of
  // 232 requests were answered 429 without slack; a second per window (1.7 % of Graph's minute)
  // keeps the pacer on the safe side of the edge.
  const paced = limits.map((l) => ({ calls: l.calls, perMs: l.perMs + SLACK_MS }));
  const keepMs = Math.max(...paced.map((l) => l.perMs));
  let heldUntil = 0;
  return {
    async wait(signal) {
      // Decided again after each sleep: callers that slept for the same free slot (the windows of
      // `--parallel`) wake together, and only the first may take it. No await between the last
      // decision and the push, so no other caller can slip in.
      for (let first = true; ; first = false) {
        const at = now();
        const held = heldUntil - at;
        const delay = Math.max(delayForNextCall(history, at, paced), held);
        if (delay <= 0) {
          history.push(at);
          while (history.length > 0 && (history[0] as number) <= at - keepMs) history.shift();
          return;
        }
        if (first) {
          const why =
            held >= delay
              ? 'the API throttled this app earlier and named when to come back'
              : "pacing requests to stay within the API's rate limit";
          log.info({ delayMs: delay }, `${why}; waiting ${formatDuration(delay)}`);
        }
        await wait(delay, signal);
      }
    },
    hold(untilMs) {
      heldUntil = Math.max(heldUntil, untilMs);
    },
  };
}
