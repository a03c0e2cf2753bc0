/**
 * What every source does with each element of an answer: validate it, report an invalid one once
 * (a retried answer repeats it), and skip an alert already written before a retry.
 */
import type { z } from 'zod';
import type { CheckedFields } from '../alert/byte-check.js';
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
  readonly #byteCheck: ((raw: Buffer) => CheckedFields | undefined) | undefined;

  /**
   * `byteCheck`, when given, is tried first by {@link admitRecord}: it must extract every field
   * `identify` reads (see ../alert/byte-check.ts).
   */
  constructor(
    schema: z.ZodType<T>,
    identify: (alert: T) => Identity,
    onInvalid: (invalid: InvalidAlert) => void,
    byteCheck?: (raw: Buffer) => CheckedFields | undefined,
  ) {
    this.#schema = schema;
    this.#identify = identify;
    this.#onInvalid = onInvalid;
    this.#byteCheck = byteCheck;
  }

  /**
   * {@link admit} for a caller that needs only the record: a valid alert is then checked on its
   * bytes, without JSON.parse (the byte check's "don't know" falls back to {@link admit}).
   * `checked`: what the same byte check already said of these bytes while splitting them.
   */
  admitRecord(
    raw: Buffer,
    index: number,
    attempt: number,
    checked?: CheckedFields,
  ): { record: AlertRecord; repeated: boolean } | undefined {
    const fields = checked ?? this.#byteCheck?.(raw);
    if (fields === undefined) return this.admit(raw, index, attempt);
    const identity = this.#identify(fields as T);
    return { record: { raw, ...identity }, repeated: this.#repeated(identity, attempt) };
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
    return { record: { raw, ...identity }, value: result.value, repeated: this.#repeated(identity, attempt) };
  }

  /** Whether an earlier attempt wrote this alert; if not, it counts as written from now on. */
  #repeated(identity: Identity, attempt: number): boolean {
    // Only a retry can repeat an alert, and only there is the (hashed) memory asked: see SeenKeys.
    const repeated = attempt > 1 && this.#written.has(identity.key);
    if (!repeated) this.#written.add(identity.key);
    return repeated;
  }
}
