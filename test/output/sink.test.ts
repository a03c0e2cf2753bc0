import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { chmod, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { setImmediate as nextTurn } from 'node:timers/promises';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { OutputClosedError, UsageError } from '../../src/errors.js';
import { outputFormat } from '../../src/output/formats.js';
import { BATCH_BYTES, openSink, type AlertSink } from '../../src/output/sink.js';

const A = Buffer.from('{"AlertId":"a","LastProcessedTimeUtc":"2017-01-23T07:32:54.1861171Z"}');
const B = Buffer.from('{"AlertId":"b","ReportID":123456789012345678901}');
const C = Buffer.from('{"AlertId":"c","Title":"é \\" ]"}');

/** A Writable that records each write; `hold` keeps write callbacks until `release()`. */
class Recorder extends Writable {
  readonly writes: Buffer[] = [];
  private held: Array<() => void> = [];
  hold = false;

  constructor(highWaterMark = 16 * 1024) {
    super({ highWaterMark });
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.writes.push(chunk);
    if (this.hold) this.held.push(() => callback());
    else callback();
  }

  release(): void {
    this.hold = false;
    for (const callback of this.held.splice(0)) callback();
  }

  get text(): string {
    return Buffer.concat(this.writes).toString('utf8');
  }
}

/** Whether a promise has settled, checked after letting the event loop run a few turns. */
async function settled(promise: Promise<unknown> | undefined): Promise<boolean> {
  // write() returns undefined for an alert simply queued.
  if (promise === undefined) return true;
  let done = false;
  promise.then(
    () => (done = true),
    () => (done = true),
  );
  for (let i = 0; i < 5; i++) await nextTurn();
  return done;
}

async function writeAll(sink: AlertSink, alerts: readonly Buffer[]): Promise<void> {
  for (const alert of alerts) await sink.write(alert);
}

describe('output formats', () => {
  it('frames json as one array and ndjson as lines', () => {
    const json = outputFormat('json');
    expect([json.before(0), json.before(1), json.after, json.end(2), json.end(0)].map(String)).toEqual(['[', ',\n', '', ']\n', '[]\n']);
    const ndjson = outputFormat('ndjson');
    expect([ndjson.before(0), ndjson.after, ndjson.end(0)].map(String)).toEqual(['', '\n', '']);
  });
});

describe('openSink to a stream', () => {
  it('writes json as one valid array, each alert byte for byte', async () => {
    const out = new Recorder();
    const sink = await openSink({ format: 'json', stdout: out });
    await writeAll(sink, [A, B, C]);
    await sink.close();
    expect(out.text).toBe(`[${A},\n${B},\n${C}]\n`);
    expect(JSON.parse(out.text)).toHaveLength(3);
    expect(sink.count).toBe(3);
  });

  it('writes ndjson as one alert per line', async () => {
    const out = new Recorder();
    const sink = await openSink({ format: 'ndjson', stdout: out });
    await writeAll(sink, [A, B, C]);
    await sink.close();
    expect(out.text).toBe(`${A}\n${B}\n${C}\n`);
  });

  it('writes an empty array for no alerts in json, nothing in ndjson', async () => {
    const json = new Recorder();
    await (await openSink({ format: 'json', stdout: json })).close();
    expect(json.text).toBe('[]\n');
    const ndjson = new Recorder();
    await (await openSink({ format: 'ndjson', stdout: ndjson })).close();
    expect(ndjson.text).toBe('');
    expect(ndjson.writes).toEqual([]);
  });

  it('writes the alerts of one turn of the event loop in one write, without waiting for close', async () => {
    const out = new Recorder();
    const sink = await openSink({ format: 'ndjson', stdout: out });
    await writeAll(sink, [A, B]);
    expect(out.writes).toEqual([]);
    await nextTurn();
    expect(out.writes.map(String)).toEqual([`${A}\n${B}\n`]);
    await sink.write(C);
    await nextTurn();
    expect(out.writes.map(String)).toEqual([`${A}\n${B}\n`, `${C}\n`]);
    await sink.close();
  });

  it('writes at once when a batch passes 64 KiB', async () => {
    const out = new Recorder(1024 * 1024);
    const sink = await openSink({ format: 'ndjson', stdout: out });
    const big = Buffer.from(`{"AlertId":"${'x'.repeat(BATCH_BYTES)}"}`);
    await sink.write(big);
    expect(out.writes).toHaveLength(1);
    await sink.close();
    expect(out.text).toBe(`${big}\n`);
  });

  it('waits for drain when the reader is slow, and keeps every byte in order', async () => {
    const out = new Recorder(1024);
    out.hold = true;
    const sink = await openSink({ format: 'json', stdout: out });
    const alerts = Array.from({ length: 200 }, (_, i) => Buffer.from(`{"AlertId":"${i}","pad":"${'p'.repeat(1000)}"}`));

    // The first ~64 KiB are queued at once; then write() must wait for the reader.
    let blocked: Promise<void> | undefined;
    for (const alert of alerts) {
      const pending = sink.write(alert);
      if (!(await settled(pending))) {
        blocked = pending;
        break;
      }
    }
    expect(blocked).toBeDefined();
    // Memory stays bounded: about one batch (64 alerts of 1 KiB) waits behind the stuck write.
    expect(sink.count).toBeLessThan(80);

    out.release();
    await blocked;
    for (const alert of alerts.slice(sink.count)) await sink.write(alert);
    await sink.close();
    expect((JSON.parse(out.text) as { AlertId: string }[]).map((alert) => alert.AlertId)).toEqual(alerts.map((_, i) => String(i)));
  });

  it('sends alerts queued behind a slow write once the reader catches up, without a flush', async () => {
    const out = new Recorder(1);
    out.hold = true;
    const sink = await openSink({ format: 'ndjson', stdout: out });
    await sink.write(A);
    await nextTurn();
    await sink.write(B);
    await settled(Promise.resolve());
    expect(out.text).toBe(`${A}\n`);
    out.release();
    await settled(Promise.resolve());
    expect(out.text).toBe(`${A}\n${B}\n`);
    await sink.close();
  });

  it('flush() waits until the destination accepted everything', async () => {
    const out = new Recorder();
    out.hold = true;
    const sink = await openSink({ format: 'ndjson', stdout: out });
    await sink.write(A);
    const flushed = sink.flush();
    expect(await settled(flushed)).toBe(false);
    out.release();
    await flushed;
    expect(out.text).toBe(`${A}\n`);
    await sink.close();
  });

  // Ctrl-C or SIGTERM while the reader stopped reading (stdout backed up): the run must not wait on it.
  it('a stop ends a write waiting for drain and a flush waiting on a stuck reader; finish() still ends the array', async () => {
    const out = new Recorder(1024);
    out.hold = true;
    const stop = new AbortController();
    const sink = await openSink({ format: 'json', stdout: out, signal: stop.signal });
    // Past one batch: written at once, and the reader holds it.
    const blocked = sink.write(Buffer.from(`{"AlertId":"big","pad":"${'p'.repeat(BATCH_BYTES)}"}`));
    expect(await settled(blocked)).toBe(false);
    const flushed = sink.flush();
    expect(await settled(flushed)).toBe(false);

    stop.abort(new Error('SIGTERM'));
    await expect(blocked).rejects.toThrow('SIGTERM');
    await expect(flushed).rejects.toThrow('SIGTERM');
    await expect(sink.flush()).rejects.toThrow('SIGTERM');
    await sink.finish();
    // Nothing was dropped: should the reader read on, it gets the whole array.
    out.release();
    await nextTurn();
    expect((JSON.parse(out.text) as { AlertId: string }[]).map((alert) => alert.AlertId)).toEqual(['big']);
  });

  it('turns a destroyed stream into OutputClosedError', async () => {
    const out = new Recorder();
    const sink = await openSink({ format: 'ndjson', stdout: out });
    await sink.write(A);
    await sink.flush();
    out.destroy();
    await sink.write(B);
    await expect(sink.flush()).rejects.toBeInstanceOf(OutputClosedError);
    await expect(sink.write(C)).rejects.toBeInstanceOf(OutputClosedError);
  });

  it('turns EPIPE from a reader that went away into OutputClosedError', async () => {
    // A real pipe whose reader closed its end, as `defender-alerts pull | head -n 1` does. The
    // child stays alive (Node would destroy our end on its exit, which is a different error).
    const reader = "require('fs').closeSync(0); process.stdout.write('closed'); setTimeout(() => {}, 30000)";
    const child = spawn(process.execPath, ['-e', reader], { stdio: ['pipe', 'pipe', 'ignore'] });
    try {
      await once(child.stdout, 'data');
      const sink = await openSink({ format: 'ndjson', stdout: child.stdin });
      await sink.write(A);
      const error = await sink.flush().catch((thrown: unknown) => thrown);
      expect(error).toBeInstanceOf(OutputClosedError);
      expect(((error as OutputClosedError).cause as NodeJS.ErrnoException).code).toBe('EPIPE');
      await expect(sink.write(B)).rejects.toBeInstanceOf(OutputClosedError);
      await expect(sink.close()).rejects.toBeInstanceOf(OutputClosedError);
    } finally {
      child.kill();
    }
  });

  it('lets other write errors through unchanged', async () => {
    const failing = new Writable({
      write(_chunk, _encoding, callback) {
        callback(Object.assign(new Error('disk on fire'), { code: 'EIO' }));
      },
    });
    const sink = await openSink({ format: 'ndjson', stdout: failing });
    await sink.write(A);
    const error = await sink.flush().catch((thrown: unknown) => thrown);
    expect(error).not.toBeInstanceOf(OutputClosedError);
    expect((error as NodeJS.ErrnoException).code).toBe('EIO');
  });

  it('abort() still delivers alerts already accepted, without closing the array', async () => {
    const out = new Recorder();
    const sink = await openSink({ format: 'json', stdout: out });
    await writeAll(sink, [A, B]);
    await sink.abort();
    await nextTurn();
    expect(out.text).toBe(`[${A},\n${B}`);
    await expect(sink.write(C)).rejects.toThrow(/after close\(\) or abort\(\)/);
  });
});

describe('openSink to a file', () => {
  let dir: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'defender-alerts-output-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('creates the file only on close, with mode 0600', async () => {
    const target = join(dir, 'alerts.json');
    const sink = await openSink({ format: 'json', output: target });
    await writeAll(sink, [A, B]);
    await sink.flush();
    expect(await readdir(dir)).toEqual([expect.stringMatching(/^\.alerts\.json\.\d+\.[0-9a-f]+\.tmp$/)]);
    await sink.close();
    expect(await readdir(dir)).toEqual(['alerts.json']);
    expect(await readFile(target, 'utf8')).toBe(`[${A},\n${B}]\n`);
    expect((await stat(target)).mode & 0o777).toBe(0o600);
  });

  it('replaces an existing file on close and keeps its mode', async () => {
    const target = join(dir, 'alerts.ndjson');
    await writeFile(target, 'old\n');
    await chmod(target, 0o640);
    const sink = await openSink({ format: 'ndjson', output: target });
    await sink.write(C);
    expect(await readFile(target, 'utf8')).toBe('old\n');
    await sink.close();
    expect(await readFile(target, 'utf8')).toBe(`${C}\n`);
    expect((await stat(target)).mode & 0o777).toBe(0o640);
  });

  it('writes [] for no alerts', async () => {
    const target = join(dir, 'empty.json');
    await (await openSink({ format: 'json', output: target })).close();
    expect(await readFile(target, 'utf8')).toBe('[]\n');
  });

  it('leaves the target untouched and no temp file after abort', async () => {
    const target = join(dir, 'alerts.json');
    await writeFile(target, '["previous run"]\n');
    const sink = await openSink({ format: 'json', output: target });
    const big = Buffer.from(`{"AlertId":"${'x'.repeat(BATCH_BYTES)}"}`);
    await writeAll(sink, [A, big, B]);
    await sink.abort();
    expect(await readdir(dir)).toEqual(['alerts.json']);
    expect(await readFile(target, 'utf8')).toBe('["previous run"]\n');
  });

  it('rejects a path it cannot create as a usage error naming the path', async () => {
    const missing = join(dir, 'no-such-dir', 'alerts.json');
    const error = await openSink({ format: 'json', output: missing }).catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).message).toBe(`cannot create the output file ${missing}: its directory does not exist (ENOENT)`);

    const directory = await openSink({ format: 'json', output: dir }).catch((thrown: unknown) => thrown);
    expect(directory).toBeInstanceOf(UsageError);
    expect((directory as UsageError).message).toContain(dir);
  });

  // root may write anywhere, so this can only be checked as another user.
  it.skipIf(process.getuid?.() === 0)('rejects a directory it may not write to', async () => {
    const locked = join(dir, 'locked');
    await rm(locked, { force: true });
    await import('node:fs/promises').then((fs) => fs.mkdir(locked, { mode: 0o500 }));
    const error = await openSink({ format: 'json', output: join(locked, 'a.json') }).catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).message).toMatch(/permission denied \(EACCES\)$/);
  });
});
