/**
 * The interface every alert API implements: the SIEM API, the Defender for Endpoint alerts API and
 * Graph alerts_v2 each stream the alerts of a query as `AlertRecord`s.
 */
import type { Dispatcher } from 'undici';
import type { Logger } from 'pino';
import type { CachedCredential } from '../auth/token-cache.js';
import type { RetryPolicy } from '../http/retry.js';

/**
 * What to fetch, in the SIEM API's terms (the other APIs take what applies to them; config refuses
 * the rest): only what the user gave.
 */
export interface AlertQuery {
  since?: Date;
  until?: Date;
  /** siem: ISO-8601 duration sent as `ago=`. */
  ago?: string;
  limit?: number;
  machineGroups: string[];
  deviceTag?: string;
  cloudTag?: string;
}

/** One validated alert, carried as the bytes the API sent so output never changes a value. */
export interface AlertRecord {
  /** The alert's JSON exactly as received, with whitespace between tokens removed (one line). */
  readonly raw: Buffer;
  /** The API's alert id (SIEM: AlertId). */
  readonly id: string;
  /** The API's "last changed" time, the checkpoint field (SIEM: LastProcessedTimeUtc). */
  readonly updatedAt: string;
  /** Identity of this version of this alert: the same key twice is a duplicate, a new key an update. */
  readonly key: string;
}

/** An alert that failed validation: reported, counted, never silently dropped. */
export interface InvalidAlert {
  /** Position in the answer, from 0. */
  readonly index: number;
  readonly alertId: string | undefined;
  /** `path: reason` for each problem zod (or JSON.parse) found. */
  readonly problems: string[];
}

export interface AlertSource {
  /** Short name used in logs and errors (`siem`). */
  readonly api: string;
  /**
   * Streams the alerts matching `query`, each as soon as it is complete. Never yields the same
   * key twice within one call, even when a request is retried after part of an answer arrived.
   */
  fetch(query: AlertQuery, signal?: AbortSignal): AsyncIterable<AlertRecord>;
}

/** What every source needs to make its requests: shared by the SIEM and OData sources. */
export interface SourceContext {
  credential: CachedCredential;
  dispatcher: Dispatcher;
  retry: RetryPolicy;
  /** Only for messages: the dispatcher enforces it. */
  timeoutMs: number;
  log: Logger;
  onInvalid: (invalid: InvalidAlert) => void;
}
