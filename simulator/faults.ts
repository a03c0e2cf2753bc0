/**
 * Scripted failures for tests: a FIFO queue of faults, each consumed by the next request(s) to
 * its route. Filled in process (`sim.faults.push(...)`) or over HTTP (`POST /_sim/faults`), so
 * a test can make the simulator fail exactly where it wants: a 503 with `Retry-After`, a reset
 * connection, an answer cut after n alerts, a slow answer, a body that is not JSON.
 */
import { z } from 'zod';

export const FaultSchema = z
  .object({
    /** Which requests consume the fault (default `alerts`). */
    route: z.enum(['alerts', 'token']).optional(),
    /** Answer with this status instead of the normal answer. */
    status: z.number().int().min(100).max(599).optional(),
    /** `Retry-After` header value to send with `status` (seconds or an HTTP date). */
    retryAfter: z.string().optional(),
    /** Body to send instead of the normal answer (status 200 unless `status` is given). */
    body: z.string().optional(),
    /** Content-Type of `body` (default `application/json; charset=utf-8`). */
    contentType: z.string().optional(),
    /**
     * Extra response headers sent with the fault, e.g. Graph's partial answer: `status: 206` with
     * `Warning: 199 - "Microsoft/WDATP/401/…"` (docs/microsoft-apis.md §3). On the OData routes a 2xx `status`
     * without `body` keeps the normal page as the body, as Graph sends it.
     */
    headers: z
      .record(
        z.string().regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/, { error: 'not an HTTP header name' }),
        z.string().regex(/^[^\r\n]*$/, { error: 'a header value is one line' }),
      )
      .optional(),
    /** Alerts route: send this many complete alerts, then destroy the connection mid-answer. */
    cutAfterAlerts: z.number().int().min(0).optional(),
    /** Destroy the connection before any response header is sent (ECONNRESET at the client). */
    resetBeforeHeaders: z.boolean().optional(),
    /** Wait this long before answering (on top of the simulator's `latencyMs`). */
    delayMs: z.number().int().min(0).optional(),
    /** How many requests the fault applies to (default 1). */
    times: z.number().int().min(1).optional(),
  })
  .strict();

export type Fault = z.infer<typeof FaultSchema>;
export type FaultRoute = NonNullable<Fault['route']>;

/** Validates a fault (or a list of faults) received as JSON; throws a readable Error if invalid. */
export function parseFaults(json: unknown): Fault[] {
  // Parsed by shape rather than with a union, so the errors name the offending field.
  const result = Array.isArray(json) ? z.array(FaultSchema).safeParse(json) : FaultSchema.safeParse(json);
  if (!result.success) {
    throw new Error(result.error.issues.map((i) => `${i.path.join('.') || 'fault'}: ${i.message}`).join('; '));
  }
  return Array.isArray(result.data) ? result.data : [result.data];
}

/** The queue of pending faults; each route consumes its own faults in order. */
export class FaultQueue {
  readonly #pending: { fault: Fault; remaining: number }[] = [];

  /** Queues faults; each applies to the next `times` (default 1) requests of its route. */
  push(...faults: Fault[]): void {
    for (const fault of faults) this.#pending.push({ fault: FaultSchema.parse(fault), remaining: fault.times ?? 1 });
  }

  /** Takes the fault for the next request to `route`, if any. */
  take(route: FaultRoute): Fault | undefined {
    const index = this.#pending.findIndex((p) => (p.fault.route ?? 'alerts') === route);
    const entry = this.#pending[index];
    if (!entry) return undefined;
    entry.remaining -= 1;
    if (entry.remaining <= 0) this.#pending.splice(index, 1);
    return entry.fault;
  }

  /** Faults not yet (fully) consumed. */
  get pending(): Fault[] {
    return this.#pending.map((p) => ({ ...p.fault, times: p.remaining }));
  }

  clear(): void {
    this.#pending.length = 0;
  }
}
