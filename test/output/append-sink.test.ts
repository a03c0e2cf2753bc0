/**
 * The `--append` sink: alerts go to the end of an existing NDJSON file, so a failed run must take
 * back what it wrote since the last flush (those alerts were not committed and the next run
 * delivers them again), and every alert must start on a line of its own whatever the file
 * already ended with.
 */
import { mkdtemp, open, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { BATCH_BYTES, openSink, type AlertSink } from '../../src/output/sink.js';

const A = Buffer.from('{"AlertId":"a","LastProcessedTimeUtc":"2024-05-01T10:00:00.1234567Z"}');
const B = Buffer.from('{"AlertId":"b","LastProcessedTimeUtc":"2024-05-01T10:05:00.1234567Z"}');
/** One alert as large as a batch, so that write() hands it to the file before returning. */
const BIG = Buffer.from(`{"AlertId":"big","Description":"${'x'.repeat(BATCH_BYTES)}"}`);

/** Two alerts of an earlier run; ends with a newline, as a complete NDJSON file does. */
const EARLIER = '{"AlertId":"old1"}\n{"AlertId":"old2"}\n';

let dir: string;
let file: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'defender-alerts-append-'));
  file = join(dir, 'alerts.ndjson');
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function appendTo(path: string): Promise<AlertSink> {
  return openSink({ format: 'ndjson', output: path, append: true });
}

async function writeAll(sink: AlertSink, alerts: readonly Buffer[]): Promise<void> {
  for (const alert of alerts) await sink.write(alert);
}

describe('--append: a run that fails', () => {
  it('abort() cuts the file back byte for byte to what it held before the run', async () => {
    await writeFile(file, EARLIER);
    const before = await readFile(file);
    const sink = await appendTo(file);
    // BIG fills a batch, so awaiting its write means it is in the file: only cutting the file
    // back can remove it. A is still queued when abort() comes.
    await writeAll(sink, [BIG, A]);
    expect((await stat(file)).size).toBeGreaterThan(before.length + BATCH_BYTES);
    await sink.abort();
    expect(await readFile(file)).toEqual(before);
  });

  it('abort() also takes back the newline added after a last line cut short', async () => {
    const cutShort = '{"AlertId":"old1"}\n{"AlertId":"ol';
    await writeFile(file, cutShort);
    const sink = await appendTo(file);
    await writeAll(sink, [BIG]);
    await sink.abort();
    expect(await readFile(file, 'utf8')).toBe(cutShort);
  });

  it('abort() keeps what a flush committed and cuts only what came after it', async () => {
    await writeFile(file, EARLIER);
    const sink = await appendTo(file);
    await writeAll(sink, [A]);
    // A flush is what a state commit waits on: from then on A counts as delivered.
    await sink.flush();
    await writeAll(sink, [BIG, B]);
    await sink.abort();
    expect(await readFile(file, 'utf8')).toBe(`${EARLIER}${A}\n`);
  });

  it('abort() after a flush keeps the added newline too: the committed alerts stay whole lines', async () => {
    await writeFile(file, '{"AlertId":"ol');
    const sink = await appendTo(file);
    await writeAll(sink, [A]);
    await sink.flush();
    await writeAll(sink, [BIG]);
    await sink.abort();
    expect(await readFile(file, 'utf8')).toBe(`{"AlertId":"ol\n${A}\n`);
  });

  it('abort() says so when the file cannot be cut back: its checkpoint size, and that the next run appends those alerts again', async () => {
    await writeFile(file, EARLIER);
    const sink = await appendTo(file);
    await writeAll(sink, [BIG]);
    // A disk that refuses the cut cannot be made on demand: the file handle's truncate fails instead.
    const probe = await open(file, 'r');
    const fileHandle = Object.getPrototypeOf(probe) as { truncate: (length?: number) => Promise<void> };
    await probe.close();
    const truncate = vi.spyOn(fileHandle, 'truncate').mockRejectedValueOnce(Object.assign(new Error('I/O error'), { code: 'EIO' }));
    try {
      await expect(sink.abort()).rejects.toThrow(
        `could not cut ${file} back to ${EARLIER.length} bytes, its size at the last checkpoint (EIO): the alerts after that byte will be appended again by the next run`,
      );
    } finally {
      truncate.mockRestore();
    }
    // The handle was closed all the same, and a second abort has nothing left to do.
    await expect(sink.abort()).resolves.toBeUndefined();
  });
});

describe('--append: where the first new alert starts', () => {
  it('starts on a new line when the file ends mid-line, so the last line is not glued to it', async () => {
    await writeFile(file, '{"AlertId":"old1"}\n{"AlertId":"old2"}');
    const sink = await appendTo(file);
    await writeAll(sink, [A, B]);
    await sink.close();
    expect(await readFile(file, 'utf8')).toBe(`{"AlertId":"old1"}\n{"AlertId":"old2"}\n${A}\n${B}\n`);
  });

  it('adds no newline when the file already ends with one', async () => {
    await writeFile(file, EARLIER);
    const sink = await appendTo(file);
    await writeAll(sink, [A, B]);
    await sink.close();
    expect(await readFile(file, 'utf8')).toBe(`${EARLIER}${A}\n${B}\n`);
  });

  it('adds no newline to an empty file', async () => {
    await writeFile(file, '');
    const sink = await appendTo(file);
    await writeAll(sink, [A, B]);
    await sink.close();
    expect(await readFile(file, 'utf8')).toBe(`${A}\n${B}\n`);
  });

  it('creates a missing file, readable by its owner only (alerts name users and hosts)', async () => {
    const sink = await appendTo(file);
    await writeAll(sink, [A]);
    await sink.close();
    expect(await readFile(file, 'utf8')).toBe(`${A}\n`);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
  });
});
