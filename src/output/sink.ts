/**
 * Streaming alert writers: stdout or a file, `json` or `ndjson`.
 *
 * Alerts are batched so that one network chunk's alerts leave in one syscall, yet the first alert
 * reaches the reader before the answer ends: a batch is written when it passes {@link BATCH_BYTES},
 * or on the next turn of the event loop (`setImmediate`) after its first byte arrived. Backpressure
 * is honoured, so memory stays flat however slow the reader; a stop (the run's signal) ends every
 * wait on it, so a reader that stopped reading cannot keep a stopped run alive. A reader that went
 * away (`| head`) becomes an {@link OutputClosedError}, which ends the run quietly. A file is
 * written to a temp file beside it and renamed into place only on success, so the target is never
 * half-written.
 */
import { open, realpath, stat, type FileHandle } from 'node:fs/promises';

import { OutputClosedError, UsageError } from '../errors.js';
import { beginAtomicWrite, type AtomicFile } from '../util/atomic-file.js';
import { errnoCode, fileProblem, readerGone } from '../util/errno.js';
import { outputFormat, type OutputFormat, type OutputFormatName } from './formats.js';

/** Where validated alerts go. Not safe for concurrent `write()` calls: await each one. */
export interface AlertSink {
  /**
   * Queue one alert (raw compact JSON bytes). Returns undefined when the alert was simply queued;
   * a promise to await when the destination is backpressured (or a rejected one once it failed).
   */
  write(raw: Buffer): Promise<void> | undefined;
  /** Write everything queued and wait until the destination accepted it (stdout drained / file fsynced). */
  flush(): Promise<void>;
  /** Finish the document (close the JSON array), flush, and for files: fsync + rename into place. */
  close(): Promise<void>;
  /**
   * Give up: for files remove the temp file (the destination is never half-written); an appended
   * file is cut back to its last flush. Rejects only when that cut failed: the message says what
   * the file now holds (the caller warns and goes on failing with its own error).
   */
  abort(): Promise<void>;
  /**
   * Stop early on request (Ctrl-C, SIGTERM): on stdout the document is still ended — the JSON
   * array closed — without waiting on a stuck reader; a file is given up exactly as by abort().
   */
  finish(): Promise<void>;
  readonly count: number;
  /**
   * Whether what flush() accepted is delivered for good, so a checkpoint may move after a flush:
   * stdout and an appended file, yes; a replaced `--output` file exists only once close() renamed
   * it into place, so its checkpoint waits for the end.
   */
  readonly durableOnFlush: boolean;
}

/** Options of {@link openSink}. */
export interface OpenSinkOptions {
  format: OutputFormatName;
  /** File path; undefined = stdout. */
  output?: string | undefined;
  /** Injectable for tests; defaults to `process.stdout`. */
  stdout?: NodeJS.WritableStream;
  /** Append to `output` (ndjson) instead of replacing it atomically. */
  append?: boolean;
  /** `--split evidence` (ndjson): one record per evidence item. */
  split?: 'evidence' | undefined;
  /**
   * The run's stop (Ctrl-C, SIGTERM): on stdout, a write waiting for the reader to drain and a flush
   * waiting for it to take the bytes reject with its reason. Files need none: their writes finish.
   */
  signal?: AbortSignal | undefined;
}

/** A batch is written once it holds this much (64 KiB, the default pipe buffer on Linux). */
export const BATCH_BYTES = 64 * 1024;

/**
 * Opens the output: the file is created (as a temp file) now, so a bad `--output` path fails
 * before any request is made. Throws {@link UsageError} when the file cannot be created.
 */
export async function openSink(opts: OpenSinkOptions): Promise<AlertSink> {
  const format = outputFormat(opts.format, opts.split);
  const destination =
    opts.output === undefined
      ? streamDestination(opts.stdout ?? process.stdout, opts.signal)
      : opts.append
        ? await appendDestination(opts.output)
        : await fileDestination(opts.output);
  return new BatchingSink(format, destination);
}

/** The I/O behind a sink; the sink guarantees one `write` at a time, in order. */
interface Destination {
  /** Hands bytes over; resolves when the destination can take more. */
  write(data: Buffer): Promise<void>;
  /** Resolves when everything handed over was accepted (stream callbacks fired / file fsynced). */
  flush(): Promise<void>;
  /** After the final flush: make the output visible. */
  commit(): Promise<void>;
  /**
   * Gives up. `pending` holds alerts queued but not yet handed over; `previous` settles when the
   * writes already under way have finished (or failed). Rejects only when the output could not be
   * put back as promised (an appended file not cut back to its last checkpoint), saying so.
   */
  abort(pending: Buffer, previous: Promise<void>): Promise<void>;
  /** See {@link AlertSink.durableOnFlush}. */
  readonly durableOnFlush: boolean;
}

class BatchingSink implements AlertSink {
  private written = 0;
  private batch: Buffer[] = [];
  private batchBytes = 0;
  private scheduled: NodeJS.Immediate | undefined;
  /** Destination writes, chained so that they happen one at a time and in order. Never rejects. */
  private writing: Promise<void> = Promise.resolve();
  /** Destination writes handed over or waiting in `writing`. */
  private writesInFlight = 0;
  private failure: { error: unknown } | undefined;
  private ended = false;

  constructor(
    private readonly format: OutputFormat,
    private readonly destination: Destination,
  ) {}

  get count(): number {
    return this.written;
  }

  get durableOnFlush(): boolean {
    return this.destination.durableOnFlush;
  }

  write(raw: Buffer): Promise<void> | undefined {
    if (this.failure !== undefined) return Promise.reject(this.failure.error);
    if (this.ended) return Promise.reject(new Error('AlertSink.write() after close() or abort()'));
    this.enqueue(this.format.before(this.written));
    this.enqueue(this.format.encode ? this.format.encode(raw) : raw);
    this.enqueue(this.format.after);
    this.written++;
    if (this.batchBytes >= BATCH_BYTES) return this.writeBatch();
    this.scheduleWrite();
    return undefined;
  }

  /**
   * Alerts split from one network chunk arrive in one turn of the event loop: write them together
   * on the next turn. While the destination is still busy the batch keeps growing instead, so a
   * slow reader makes write() wait (at BATCH_BYTES) rather than piling up small writes in memory;
   * the batch is scheduled again when the destination is free.
   */
  private scheduleWrite(): void {
    this.scheduled ??= setImmediate(() => {
      this.scheduled = undefined;
      // A failure is recorded by writeBatch and reported by the next write/flush/close.
      if (this.writesInFlight === 0) this.writeBatch().catch(() => {});
    });
  }

  async flush(): Promise<void> {
    await this.writeBatch();
    await this.destination.flush();
  }

  async close(): Promise<void> {
    if (this.ended) throw new Error('AlertSink.close() after close() or abort()');
    this.ended = true;
    try {
      if (this.failure !== undefined) throw this.failure.error;
      this.enqueue(this.format.end(this.written));
      await this.flush();
      await this.destination.commit();
    } catch (error) {
      await this.destination.abort(Buffer.alloc(0), this.writing).catch(() => {});
      throw error;
    }
  }

  async abort(): Promise<void> {
    if (this.ended) return;
    this.ended = true;
    const pending = this.takeBatch();
    await this.destination.abort(pending, this.writing);
  }

  async finish(): Promise<void> {
    if (this.ended) return;
    this.ended = true;
    // A stream destination sends what abort() is handed; a file destination drops it. A document
    // not yet begun stays unwritten: an empty `[]` would pass for a complete, empty answer.
    if (this.written > 0) this.enqueue(this.format.end(this.written));
    await this.destination.abort(this.takeBatch(), this.writing);
  }

  private enqueue(bytes: Buffer): void {
    if (bytes.length === 0) return;
    this.batch.push(bytes);
    this.batchBytes += bytes.length;
  }

  private takeBatch(): Buffer {
    if (this.scheduled !== undefined) {
      clearImmediate(this.scheduled);
      this.scheduled = undefined;
    }
    const data = this.batch.length === 1 ? this.batch[0]! : Buffer.concat(this.batch, this.batchBytes);
    this.batch = [];
    this.batchBytes = 0;
    return data;
  }

  /** Hands the batch to the destination after the writes before it; rejects if any of them failed. */
  private writeBatch(): Promise<void> {
    const data = this.takeBatch();
    if (data.length > 0) this.writesInFlight++;
    const done = this.writing.then(() => {
      if (this.failure !== undefined) throw this.failure.error;
      return data.length === 0 ? undefined : this.destination.write(data);
    });
    this.writing = done.then(
      () => {
        if (data.length > 0 && --this.writesInFlight === 0 && this.batchBytes > 0 && !this.ended) {
          this.scheduleWrite();
        }
      },
      (error: unknown) => {
        if (data.length > 0) this.writesInFlight--;
        this.failure ??= { error };
      },
    );
    return done;
  }
}

// --- stdout (or any Writable) ---------------------------------------------------------------

function streamDestination(stream: NodeJS.WritableStream, signal: AbortSignal | undefined): Destination {
  let failure: Error | undefined;
  let lastWrite: Promise<void> = Promise.resolve();
  /** The waits under way (for 'drain', for a flush), each by its rejection. */
  const waiting = new Set<(error: unknown) => void>();
  const rejectWaiting = (error: unknown): void => {
    for (const reject of waiting) reject(error);
    waiting.clear();
  };
  /**
   * Waits for what `until` reports (a 'drain', the last write's callback; it returns how to stop
   * listening), unless the stream fails or the run stops first.
   */
  const wait = (until: (done: () => void) => (() => void) | void): Promise<void> => {
    if (failure !== undefined) return Promise.reject(failure);
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise<void>((resolve, reject) => {
      const onFailure = (error: unknown): void => {
        stopListening?.();
        reject(error);
      };
      waiting.add(onFailure);
      const stopListening = until(() => {
        waiting.delete(onFailure);
        resolve();
      });
    });
  };

  const fail = (error: unknown): void => {
    failure ??= error instanceof OutputClosedError || readerGone(error) ? new OutputClosedError({ cause: error }) : toError(error);
    rejectWaiting(failure);
  };
  // Stays attached for the life of the stream: an EPIPE with no 'error' listener would crash the
  // process, and Node reports it asynchronously, possibly after close() returned.
  stream.on('error', fail);
  stream.on('close', () => fail(new OutputClosedError()));
  // What the stuck writes hold stays queued (abort() adds the end of the document after it); only
  // the waiting ends, so the run can end what it can and let go (main.ts bounds the rest).
  signal?.addEventListener('abort', () => rejectWaiting(signal.reason), { once: true });

  return {
    durableOnFlush: true,
    write(data) {
      if (failure !== undefined) return Promise.reject(failure);
      let accepted = true;
      lastWrite = new Promise<void>((settled) => {
        try {
          accepted = stream.write(data, (error) => {
            if (error) fail(error);
            settled();
          });
        } catch (error) {
          fail(error);
          settled();
        }
      });
      // The write callback may have failed synchronously (the compiler narrows this away).
      const failed = failure as Error | undefined;
      if (failed !== undefined) return Promise.reject(failed);
      if (accepted) return Promise.resolve();
      return wait((drained) => {
        stream.once('drain', drained);
        return () => stream.removeListener('drain', drained);
      });
    },
    async flush() {
      const written = lastWrite;
      await wait((done) => void written.then(done));
      if (failure !== undefined) throw failure;
    },
    async commit() {
      // stdout belongs to the process: leave it open for whoever writes after us.
    },
    abort(pending, previous) {
      // Alerts accepted by write() still go out, after the writes under way (batching stays
      // invisible); but a stuck reader must not keep a failing run alive, so nothing here waits.
      if (pending.length > 0) {
        void previous.then(() => {
          if (failure === undefined) stream.write(pending, () => {});
        });
      }
      return Promise.resolve();
    },
  };
}

function toError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

// --- file -------------------------------------------------------------------------------------

/** Mode of a new output file: alerts name users, hosts and command lines. */
const NEW_FILE_MODE = 0o600;

async function fileDestination(path: string): Promise<Destination> {
  const target = await resolveTarget(path);
  const mode = await modeToKeep(path, target);
  let file: AtomicFile;
  try {
    // Created with the mode to keep (an existing target's exactly, past the umask).
    file = await beginAtomicWrite(target, mode);
  } catch (error) {
    throw cannotCreate(path, error);
  }

  return {
    durableOnFlush: false,
    write: (data) => file.write(data),
    async flush() {
      await file.handle.sync();
    },
    commit: () => file.commit(),
    async abort(_pending, previous) {
      // File writes always finish; closing the handle under one would make it fail noisily.
      await previous;
      await file.abort();
    },
  };
}

/**
 * `--append`: alerts go to the end of an existing file (created 0600 if absent). Each flush
 * fsyncs, so what a state commit counts as delivered is on disk. A run that fails cuts the file
 * back to its last flushed length: those alerts were not committed and the next run delivers
 * them again, so keeping them would repeat them. A file that ends without a newline (a run killed
 * mid-write) gets one first, so the next alert starts on a line of its own.
 */
async function appendDestination(path: string): Promise<Destination> {
  let handle: FileHandle;
  try {
    handle = await open(path, 'a+', NEW_FILE_MODE);
  } catch (error) {
    throw cannotCreate(path, error);
  }
  const { size, isFile } = await handle.stat().then((s) => ({ size: s.size, isFile: s.isFile() }));
  if (!isFile) {
    await handle.close();
    throw new UsageError(`cannot append to ${path}: it is not a regular file`, { hint: 'give --output a file name' });
  }
  let flushedLength = size;
  let length = size;
  const append = async (data: Buffer): Promise<void> => {
    let offset = 0;
    while (offset < data.length) {
      const { bytesWritten } = await handle.write(data, offset, data.length - offset);
      offset += bytesWritten;
    }
    length += data.length;
  };
  if (size > 0) {
    const last = Buffer.alloc(1);
    await handle.read(last, 0, 1, size - 1);
    if (last[0] !== 0x0a) await append(Buffer.from('\n'));
  }
  let closed = false;
  return {
    durableOnFlush: true,
    write: append,
    async flush() {
      await handle.sync();
      flushedLength = length;
    },
    async commit() {
      await handle.sync();
      closed = true;
      await handle.close();
    },
    async abort(_pending, previous) {
      await previous.catch(() => {});
      if (closed) return;
      closed = true;
      const cut = await handle.truncate(flushedLength).then(
        () => undefined,
        (error: unknown) => error,
      );
      await handle.close().catch(() => {});
      if (cut !== undefined) {
        // The run fails anyway; what the user must know is that the file holds alerts its checkpoint does not.
        throw new Error(
          `could not cut ${path} back to ${flushedLength} bytes, its size at the last checkpoint (${errnoCode(cut) ?? (cut instanceof Error ? cut.message : 'error')}): the alerts after that byte will be appended again by the next run`,
          { cause: cut },
        );
      }
    },
  };
}

/** Follows a symlinked target, so the link keeps pointing at the new file. */
async function resolveTarget(path: string): Promise<string> {
  try {
    return await realpath(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return path;
    throw cannotCreate(path, error);
  }
}

async function modeToKeep(path: string, target: string): Promise<number> {
  try {
    const existing = await stat(target);
    if (existing.isDirectory()) {
      throw new UsageError(`cannot write the output to ${path}: it is a directory`, {
        hint: 'give --output a file name',
      });
    }
    return existing.mode & 0o7777;
  } catch (error) {
    if (error instanceof UsageError) throw error;
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return NEW_FILE_MODE;
    throw cannotCreate(path, error);
  }
}

/** A path that is wrong for us (the user's to fix) becomes a UsageError; an I/O failure stays what it is. */
function cannotCreate(path: string, error: unknown): unknown {
  const reason = fileProblem(error, 'creating');
  if (reason === undefined) return error;
  return new UsageError(`cannot create the output file ${path}: ${reason} (${errnoCode(error) ?? '?'})`, {
    cause: error,
    hint: 'check the --output path: its directory must exist and be writable',
  });
}
