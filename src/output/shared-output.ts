/**
 * One output that the tenants of a many-tenant pull write to at the same time: stdout, or one
 * `--output` file. Each tenant writes through its own view, which adds the tenant's label to every
 * alert ({@link TENANT_FIELD}) and leaves the document itself alone: only the owner ends it, once
 * every tenant is done.
 *
 * Alerts of concurrent tenants never mix inside a line or an array element: the sink takes each
 * alert whole, in one synchronous call. A view's flush flushes the whole output (everything any
 * tenant wrote so far), which is what lets that tenant's checkpoint move. Backpressure reaches
 * every tenant, since each awaits the write the destination made wait.
 */
import type { AlertSink } from './sink.js';
import { TENANT_FIELD } from './tenant-field.js';

export { TENANT_FIELD };

export interface SharedOutput {
  /**
   * The sink one tenant (or one `--follow` cycle) writes through, adding the label when given. Its
   * close/abort/finish end only the view.
   */
  view(label?: string): AlertSink;
  /** The output itself: the owner closes, aborts or finishes it once the tenants are done. */
  readonly sink: AlertSink;
}

const CLOSE_BRACE = 0x7d;
const OPEN_BRACE = 0x7b;
const isSpace = (byte: number | undefined): boolean => byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09;

/**
 * `raw` (one JSON object's bytes) with `member` (`"name":value`) added as its last member: the
 * bytes before its closing brace, untouched, then the member. Pure; throws on anything but an object.
 */
export function withMember(raw: Buffer, member: Buffer): Buffer {
  let end = raw.length - 1;
  while (end >= 0 && isSpace(raw[end])) end--;
  if (raw[end] !== CLOSE_BRACE) throw new Error('withMember: not a JSON object');
  let before = end - 1;
  while (before >= 0 && isSpace(raw[before])) before--;
  const separator = raw[before] === OPEN_BRACE ? '' : ',';
  return Buffer.concat([raw.subarray(0, end), Buffer.from(separator), member, Buffer.from('}')]);
}

/** Shares `sink` among tenants (or cycles); a labelled view labels its alerts with {@link TENANT_FIELD}. */
export function shareOutput(sink: AlertSink): SharedOutput {
  return {
    sink,
    view(label?: string): AlertSink {
      const member = label === undefined ? undefined : Buffer.from(`${JSON.stringify(TENANT_FIELD)}:${JSON.stringify(label)}`);
      let written = 0;
      let ended = false;
      const end = (): Promise<void> => {
        ended = true;
        return Promise.resolve();
      };
      return {
        get count() {
          return written;
        },
        durableOnFlush: sink.durableOnFlush,
        write(raw) {
          if (ended) return Promise.reject(new Error('AlertSink.write() after the view ended'));
          const pending = sink.write(member === undefined ? raw : withMember(raw, member));
          written++;
          return pending;
        },
        flush: () => sink.flush(),
        // What a tenant wrote stays in the shared document whatever becomes of that tenant: the
        // other tenants' alerts are around it. A tenant that fails does not move its state, so its
        // alerts since its last checkpoint come again in its next run (at least once).
        close: end,
        abort: end,
        finish: end,
      };
    },
  };
}
