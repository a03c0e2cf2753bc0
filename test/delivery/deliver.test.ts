/**
 * deliver(): what happens to the output when a run fails. The sink's own behaviour is tested with
 * the sinks (append-sink.test.ts); here, that a sink which cannot be put back is warned about and
 * never replaces the run's own error.
 */
import { describe, expect, it } from 'vitest';
import type { AlertQuery, AlertRecord, AlertSource } from '../../src/api/source.js';
import { deliver, PASS_THROUGH, type Delivery } from '../../src/delivery/deliver.js';
import { fixedWindows, inTurn } from '../../src/delivery/windows.js';
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

function sink(abort: () => Promise<void>, durableOnFlush = true): AlertSink & { written: Buffer[] } {
  const written: Buffer[] = [];
  return {
    written,
    count: 0,
    durableOnFlush,
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

/** A plain pull of one window from `source` into `out`. */
function plain(source: AlertSource, out: AlertSink): Delivery<AlertQuery> {
  return {
    source,
    windows: inTurn(fixedWindows([{ machineGroups: [] }])),
    query: (q) => q,
    checkpoint: PASS_THROUGH,
    openOutput: () => Promise.resolve(out),
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
    await expect(deliver(plain(failing, out), io, log)).rejects.toThrow('the API answered 503 five times');
    expect(aborted).toBe(1);
    expect(out.written).toEqual([ALERT.raw]);
    expect(lines.filter((l) => l.level === WARN)).toEqual([]);
  });

  it("warns when the output cannot be put back, and still fails with the run's own error", async () => {
    const { lines, log } = recordingLogger('info');
    const out = sink(() =>
      Promise.reject(new Error('could not cut alerts.ndjson back to 120 bytes, its size at the last checkpoint (EIO)')),
    );
    await expect(deliver(plain(failing, out), io, log)).rejects.toThrow('the API answered 503 five times');
    const warnings = lines.filter((l) => l.level === WARN);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({
      msg: 'the output could not be put back as it was before this run',
      err: expect.stringContaining('could not cut alerts.ndjson back to 120 bytes') as unknown,
    });
  });
});

describe('deliver, when the checkpoint may move', () => {
  const io = { signal: new AbortController().signal };
  const working: AlertSource = {
    api: 'test',
    async *fetch() {
      await Promise.resolve();
      yield ALERT;
    },
  };

  async function commitsOver(windows: number, durableOnFlush: boolean): Promise<string[]> {
    const { log } = recordingLogger('info');
    const events: string[] = [];
    const out = sink(() => Promise.resolve(), durableOnFlush);
    out.flush = () => (events.push('flush'), Promise.resolve());
    out.close = () => (events.push('close'), Promise.resolve());
    const ranges = Array.from({ length: windows }, () => ({ machineGroups: [] }));
    await deliver(
      {
        ...plain(working, out),
        windows: inTurn(fixedWindows(ranges)),
        commit: () => (events.push('commit'), Promise.resolve()),
      },
      io,
      log,
    );
    return events;
  }

  it('commits after each window when what a flush accepted is delivered (stdout, an appended file)', async () => {
    expect(await commitsOver(3, true)).toEqual(['flush', 'commit', 'flush', 'commit', 'flush', 'commit', 'close']);
  });

  it('commits once, after the output is in place, when it is not (a replaced file)', async () => {
    expect(await commitsOver(3, false)).toEqual(['close', 'commit']);
  });
});
