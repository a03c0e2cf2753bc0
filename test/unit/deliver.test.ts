/**
 * deliver(): what happens to the output when a run fails. The sink's own behaviour is tested with
 * the sinks (append-sink.test.ts); here, that a sink which cannot be put back is warned about and
 * never replaces the run's own error.
 */
import { describe, expect, it } from 'vitest';
import type { AlertRecord, AlertSource } from '../../src/api/source.js';
import { deliver, PASS_THROUGH } from '../../src/commands/deliver.js';
import { fixedWindows } from '../../src/commands/window-prefetch.js';
import { ServiceError } from '../../src/errors.js';
import type { AlertSink } from '../../src/output/sink.js';
import { recordingLogger, WARN } from '../helpers/logger.js';

const ALERT: AlertRecord = { raw: Buffer.from('{"id":"a"}'), id: 'a', updatedAt: '2026-03-01T12:00:00Z', key: 'a|2026-03-01T12:00:00Z' };

/** A source that hands on one alert, then fails the way the service does. */
const failing: AlertSource = {
  api: 'mde',
  async *fetch() {
    await Promise.resolve();
    yield ALERT;
    throw new ServiceError('API_503', 'the API answered 503 five times');
  },
};

function sink(abort: () => Promise<void>): AlertSink & { written: Buffer[] } {
  const written: Buffer[] = [];
  return {
    written,
    count: 0,
    write(raw) {
      written.push(raw);
      return undefined;
    },
    flush: () => Promise.resolve(),
    close: () => Promise.resolve(),
    finish: () => Promise.resolve(),
    abort,
  };
}

describe('deliver, when the run fails', () => {
  const io = { signal: new AbortController().signal };

  it("gives the output up and fails with the run's own error", async () => {
    const { lines, log } = recordingLogger('info');
    let aborted = 0;
    const out = sink(() => {
      aborted++;
      return Promise.resolve();
    });
    await expect(
      deliver(failing, fixedWindows([{ machineGroups: [] }]), PASS_THROUGH, () => Promise.resolve(out), io, log),
    ).rejects.toThrow('the API answered 503 five times');
    expect(aborted).toBe(1);
    expect(out.written).toEqual([ALERT.raw]);
    expect(lines.filter((l) => l.level === WARN)).toEqual([]);
  });

  it("warns when the output cannot be put back, and still fails with the run's own error", async () => {
    const { lines, log } = recordingLogger('info');
    const out = sink(() =>
      Promise.reject(new Error('could not cut alerts.ndjson back to 120 bytes, its size at the last checkpoint (EIO)')),
    );
    await expect(
      deliver(failing, fixedWindows([{ machineGroups: [] }]), PASS_THROUGH, () => Promise.resolve(out), io, log),
    ).rejects.toThrow('the API answered 503 five times');
    const warnings = lines.filter((l) => l.level === WARN);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({
      msg: 'the output could not be put back as it was before this run',
      err: expect.stringContaining('could not cut alerts.ndjson back to 120 bytes') as unknown,
    });
  });
});
