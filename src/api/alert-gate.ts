/**
 * What every source does with each element of an answer: validate it, report an invalid one once
 * (a retried answer repeats it), and skip an alert already written before a retry (issue #2).
 */
import type { z } from 'zod';
import { validateAlert } from '../alert/validate.js';
import { SeenKeys } from './seen-keys.js';
import type { AlertRecord, InvalidAlert } from './source.js';

export interface Identity {
  id: string;
  updatedAt: string;
  key: string;
}

export class AlertGate<T> {
  readonly #schema: z.ZodType<T>;
  readonly #identify: (alert: T) => Identity;
  readonly #onInvalid: (invalid: InvalidAlert) => void;
  readonly #written = new SeenKeys();
  readonly #reported = new Set<string>();

  constructor(schema: z.ZodType<T>, identify: (alert: T) => Identity, onInvalid: (invalid: InvalidAlert) => void) {
    this.#schema = schema;
    this.#identify = identify;
    this.#onInvalid = onInvalid;
  }

  /**
   * Checks element `index` of an answer read for the `attempt`-th time. Returns undefined for an
   * invalid alert; otherwise the alert with its validated value, and `repeated` when an earlier
   * attempt already wrote it (the caller skips writing it, but may still need its value).
   */
  admit(raw: Buffer, index: number, attempt: number): { record: AlertRecord; value: T; repeated: boolean } | undefined {
    const result = validateAlert(this.#schema, raw);
    if (!result.ok) {
      const report = `${index}|${result.alertId ?? ''}|${result.problems.join(';')}`;
      if (!this.#reported.has(report)) {
        this.#reported.add(report);
        this.#onInvalid({ index, alertId: result.alertId, problems: result.problems });
      }
      return undefined;
    }
    const identity = this.#identify(result.value);
    // Only a retry can repeat an alert, and only there is the (hashed) memory asked: see SeenKeys.
    const repeated = attempt > 1 && this.#written.has(identity.key);
    if (!repeated) this.#written.add(identity.key);
    return { record: { raw, ...identity }, value: result.value, repeated };
  }
}
