/**
 * The interface every alert API implements. The SIEM API is the first; the Defender for Endpoint
 * alerts API and Graph alerts_v2 plug in beside it (issue: "Beyond the SIEM API").
 */
import type { Dispatcher } from 'undici';
import type { Logger } from 'pino';
import type { CachedCredential } from '../auth/token-cache.js';
import type { AlertQuery } from '../config/resolve.js';
import type { RetryPolicy } from '../http/retry.js';

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
