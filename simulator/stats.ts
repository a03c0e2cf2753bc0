/**
 * What the simulator saw: every request's route, method, path, query and headers, so tests can
 * assert wire behaviour ("3 attempts reached the server", "the bearer token was never sent to
 * the token endpoint", "each tenant was asked once"). Served as JSON at `GET /_sim/stats`.
 */

export type SimulatorRoute = 'token' | 'alerts' | 'sim' | 'unknown';

export interface RecordedRequest {
  /** 1-based order of arrival. */
  seq: number;
  route: SimulatorRoute;
  method: string;
  path: string;
  /** Query parameters, each with all its values in order. */
  query: Record<string, string[]>;
  /** Request headers, lower-case names, as received (secrets included: this is a test tool). */
  headers: Record<string, string | string[]>;
  /** ISO time of arrival. */
  receivedAt: string;
  /**
   * The tenant (canonical id) the request was for, where known: a token request's from its path
   * (absent for a tenant the simulator does not serve), an alert request's from its token.
   */
  tenant?: string;
  /** Response status, once sent (absent if the connection was dropped before headers). */
  status?: number;
  /** The scripted fault applied to this request, if any. */
  fault?: unknown;
}

/**
 * The most requests kept (the counts go on): a `simulate` left running for days would otherwise
 * hold every request it ever saw. Far more than any test or benchmark reads.
 */
export const MAX_RECORDED_REQUESTS = 100_000;

export class SimulatorStats {
  /** The requests since the last reset, the latest {@link MAX_RECORDED_REQUESTS} of them. */
  readonly requests: RecordedRequest[] = [];
  readonly #counts: Record<SimulatorRoute, number> = { token: 0, alerts: 0, sim: 0, unknown: 0 };
  #seq = 0;
  readonly #max: number;

  constructor(max = MAX_RECORDED_REQUESTS) {
    this.#max = max;
  }

  /** Records a request and returns its (mutable) record. */
  record(entry: Omit<RecordedRequest, 'seq'>): RecordedRequest {
    const recorded: RecordedRequest = { seq: ++this.#seq, ...entry };
    this.requests.push(recorded);
    // Dropped a tenth at a time, so the copy is rare.
    if (this.requests.length > this.#max) this.requests.splice(0, Math.ceil(this.#max / 10));
    this.#counts[entry.route] += 1;
    return recorded;
  }

  /** Number of requests to `route` so far. */
  count(route: SimulatorRoute): number {
    return this.#counts[route];
  }

  /** Requests to `route`, in order. */
  of(route: SimulatorRoute): RecordedRequest[] {
    return this.requests.filter((r) => r.route === route);
  }

  reset(): void {
    this.requests.length = 0;
    this.#seq = 0;
    for (const key of Object.keys(this.#counts) as SimulatorRoute[]) this.#counts[key] = 0;
  }

  toJSON(): { counts: Record<SimulatorRoute, number>; requests: RecordedRequest[] } {
    return { counts: { ...this.#counts }, requests: this.requests };
  }
}
