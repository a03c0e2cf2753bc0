/**
 * `--parallel k`: the windows of a long `--state` run (a backfill, a catch-up after an outage) read
 * k at a time, and handed on strictly in window order, so the output and every checkpoint are
 * exactly those of k = 1. The first window streams straight through while the next k − 1 (then k)
 * are read into spool files and handed on once each is complete. Memory stays flat: a spooled
 * window waits on disk, not in RAM, and is read back line by line; the disk holds at most k windows.
 *
 * The spool lives beside the state file (`.<state>.windows-…`, mode 0700, files 0600): the state's
 * directory is writable where the root file system may not be (a container's), and the alerts stay
 * on the volume the operator chose for them. It is removed at the end; one left by a killed run is
 * removed by the next run of the same state (which holds the state's lock).
 *
 * The windows share the source, so they share its pacer and the run's throttle budget: k raises
 * how many requests are in flight, never the rate the quota allows.
 */
import { once, setMaxListeners } from 'node:events';
import { createReadStream, createWriteStream, rmSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { AlertRecord } from '../api/source.js';
import { undoOnForcedExit } from '../util/forced-exit.js';
import { inTurn, type FetchWindow, type WindowInTurn, type Windows, type WindowStream } from './windows.js';

/** Spools a killed run of the same state left behind (this run holds the state's lock). */
async function removeLeftovers(dir: string, prefix: string): Promise<void> {
  const names = await readdir(dir).catch(() => [] as string[]);
  await Promise.all(names.filter((n) => n.startsWith(prefix)).map((n) => rm(join(dir, n), { recursive: true, force: true })));
}

/** One spooled record: its metadata as JSON, a tab, the alert's bytes (compact JSON has no raw tab or newline). */
function spoolLine(r: AlertRecord): string {
  return `${JSON.stringify([r.id, r.updatedAt, r.key])}\t${r.raw.toString('utf8')}\n`;
}

async function* readSpool(path: string): AsyncGenerator<AlertRecord> {
  const input = createReadStream(path, { encoding: 'utf8' });
  const lines = createInterface({ input, crlfDelay: Infinity });
  try {
    for await (const line of lines) {
      const tab = line.indexOf('\t');
      const [id, updatedAt, key] = JSON.parse(line.slice(0, tab)) as [string, string, string];
      yield { id, updatedAt, key, raw: Buffer.from(line.slice(tab + 1), 'utf8') };
    }
  } finally {
    // Closing the interface leaves its input open: a window given up half read keeps no descriptor.
    lines.close();
    input.destroy();
    await rm(path, { force: true });
  }
}

/** Reads a whole window into a spool file; resolves with its path once the window is complete. */
async function spool<W>(fetch: FetchWindow<W>, window: W, path: string, signal: AbortSignal, windows: Windows<W>): Promise<string> {
  const out = createWriteStream(path, { flags: 'wx', mode: 0o600 });
  // Stays attached for the stream's life: a write that fails (ENOSPC), or one still under way when
  // a stop destroys the stream below (ERR_STREAM_DESTROYED), is an 'error' event, and one with no
  // listener ends the process with a stack, leaving the lock and the spool behind.
  let failure: Error | undefined;
  out.on('error', (error) => (failure ??= error));
  try {
    let n = 0;
    for await (const record of fetch(window, signal)) {
      n++;
      if (!out.write(spoolLine(record))) await once(out, 'drain', { signal });
      if (failure !== undefined) throw failure;
    }
    await new Promise<void>((resolve, reject) => out.end((error?: Error | null) => (error ? reject(error) : resolve())));
    // Told as soon as it is read, not when its turn comes: the next windows are sized by it.
    windows.done(window, n);
    return path;
  } catch (err) {
    // Settled only once the descriptor is closed, so the spool's removal finds nothing open.
    if (!out.closed) await new Promise<void>((closed) => out.once('close', () => closed()).destroy());
    throw err;
  }
}

/** Where a spool goes: `<dir>/.<name>.windows-…`. */
export interface SpoolAt {
  dir: string;
  name: string;
}

/**
 * The windows read `parallel` at a time, handed on in order: the stream {@link inTurn} gives,
 * with every window after the first read ahead into a spool file. The spool is removed when the
 * loop ends, however it ends.
 */
export function spooled<W>(
  windows: Windows<W>,
  parallel: number,
  spoolAt: SpoolAt = { dir: tmpdir(), name: 'defender-alerts' },
): WindowStream<W> {
  if (parallel <= 1) return inTurn(windows);
  return {
    turns: (fetch, signal) => readAhead(windows, parallel, fetch, signal, spoolAt),
    estimate: () => windows.estimate(),
  };
}

async function* readAhead<W>(
  windows: Windows<W>,
  parallel: number,
  fetch: FetchWindow<W>,
  signal: AbortSignal,
  spoolAt: SpoolAt,
): AsyncGenerator<WindowInTurn<W>> {
  const first = windows.next();
  if (first === undefined) return;
  const stop = new AbortController();
  // Every request and wait of the k reads listens to it (as to the run's own signal, main.ts).
  setMaxListeners(64 * parallel, stop.signal);
  const onAbort = (): void => stop.abort(signal.reason);
  signal.addEventListener('abort', onAbort, { once: true });
  const prefix = `.${spoolAt.name}.windows-`;
  // What a killed run left goes at once; this run's spool is made once a second window exists
  // (a range of one window needs none).
  const cleaned = removeLeftovers(spoolAt.dir, prefix);
  let dir: Promise<string> | undefined;
  // A process that must end before the finally below (main.ts) still removes the spool.
  let withdraw = (): void => {};
  const spoolDir = (): Promise<string> =>
    (dir ??= cleaned
      .then(() => mkdtemp(join(spoolAt.dir, prefix)))
      .then((made) => {
        withdraw = undoOnForcedExit(() => rmSync(made, { recursive: true, force: true }));
        return made;
      }));
  /** The windows being read ahead, in order, each with its spool file to come. */
  const pending: { window: W; task: Promise<string> }[] = [];
  let planned = 0;
  let exhausted = false;
  // While the first window streams live, k − 1 others are read; after it, k are.
  let reading = parallel - 1;
  const prefetch = (): void => {
    while (!exhausted && pending.length < reading) {
      const window = windows.next();
      if (window === undefined) {
        exhausted = true;
        return;
      }
      const i = planned++;
      const task = spoolDir().then((d) => spool(fetch, window, join(d, `${i}.spool`), stop.signal, windows));
      // Awaited in its turn; until then a failure must not count as unhandled.
      task.catch(() => {});
      pending.push({ window, task });
    }
  };
  try {
    prefetch();
    yield { window: first, records: fetch(first, stop.signal), read: (n) => windows.done(first, n) };
    reading = parallel;
    prefetch();
    while (pending.length > 0) {
      const { window, task } = pending.shift() as { window: W; task: Promise<string> };
      const path = await task;
      prefetch();
      yield { window, records: readSpool(path) };
    }
  } finally {
    stop.abort(signal.reason ?? new Error('stopped'));
    signal.removeEventListener('abort', onAbort);
    await Promise.allSettled([cleaned, ...pending.map((p) => p.task)]);
    if (dir !== undefined) {
      const made = await dir.catch(() => undefined);
      try {
        if (made !== undefined) await rm(made, { recursive: true, force: true });
      } finally {
        // Tried once: a service must not keep a step for every spool it failed to remove.
        withdraw();
      }
    }
  }
}
