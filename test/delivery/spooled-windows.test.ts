import { mkdir, mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { AlertQuery, AlertRecord } from '../../src/api/source.js';
import { spooled, type SpoolAt } from '../../src/delivery/spooled-windows.js';
import { fixedWindows, type FetchWindow, type Windows } from '../../src/delivery/windows.js';

/** The stream the delivery loop reads: `windows` read `parallel` at a time, in order. */
function inOrder(windows: Windows<AlertQuery>, parallel: number, fetch: FetchWindow<AlertQuery>, signal: AbortSignal, at?: SpoolAt) {
  return spooled(windows, parallel, at).turns(fetch, signal);
}

const windows: AlertQuery[] = Array.from({ length: 9 }, (_, i) => ({
  machineGroups: [],
  since: new Date(i * 1000),
  until: new Date((i + 1) * 1000),
}));
const record = (w: number, n: number): AlertRecord => ({
  id: `w${w}-${n}`,
  updatedAt: `t${n}`,
  key: `w${w}-${n}|t${n}\t"odd"`,
  raw: Buffer.from(JSON.stringify({ id: `w${w}-${n}`, text: 'é "quoted"', n })),
});

/** A fake source: window i has 3 + i records, each after a random pause; counts reads in flight. */
function fakeFetch(failAt?: number) {
  let inFlight = 0;
  let most = 0;
  const fetch = async function* (window: AlertQuery): AsyncGenerator<AlertRecord> {
    const w = (window.since?.getTime() ?? 0) / 1000;
    inFlight++;
    most = Math.max(most, inFlight);
    try {
      for (let n = 0; n < 3 + w; n++) {
        await new Promise((r) => setTimeout(r, Math.random() * 4));
        if (w === failAt && n === 2) throw new Error(`window ${w} failed`);
        yield record(w, n);
      }
    } finally {
      inFlight--;
    }
  };
  return { fetch, most: () => most, inFlight: () => inFlight };
}

/** A folder of its own for a test's spool, and what is in it (nothing, once a run has ended). */
async function spoolFolder(): Promise<{ spoolAt: { dir: string; name: string }; left: () => Promise<string[]> }> {
  const dir = await mkdtemp(join(tmpdir(), 'defender-prefetch-'));
  return { spoolAt: { dir, name: 'state.json' }, left: () => readdir(dir) };
}

describe('spooled windows', () => {
  it('hands on every window in order, each record exactly as read, at most k read at once', async () => {
    const { spoolAt, left } = await spoolFolder();
    for (const parallel of [1, 2, 4, 16]) {
      const source = fakeFetch();
      const seen: AlertRecord[] = [];
      const order: AlertQuery[] = [];
      for await (const { window, records } of inOrder(
        fixedWindows(windows),
        parallel,
        source.fetch,
        new AbortController().signal,
        spoolAt,
      )) {
        order.push(window);
        for await (const r of records) seen.push(r);
      }
      expect(order).toEqual(windows);
      expect(seen).toEqual(windows.flatMap((_, w) => Array.from({ length: 3 + w }, (_, n) => record(w, n))));
      expect(source.most()).toBeLessThanOrEqual(parallel);
      if (parallel > 1) expect(source.most()).toBeGreaterThan(1);
      expect(await left()).toEqual([]);
    }
  });

  it("throws a window's failure in its turn, after the windows before it, and leaves no spool", async () => {
    const { spoolAt, left } = await spoolFolder();
    const source = fakeFetch(5);
    const delivered: number[] = [];
    await expect(
      (async () => {
        for await (const { window, records } of inOrder(fixedWindows(windows), 4, source.fetch, new AbortController().signal, spoolAt)) {
          for await (const _ of records) void _;
          delivered.push((window.since?.getTime() ?? 0) / 1000);
        }
      })(),
    ).rejects.toThrow('window 5 failed');
    expect(delivered).toEqual([0, 1, 2, 3, 4]);
    expect(await left()).toEqual([]);
  });

  it('stops every read when the consumer leaves early, and removes the spool it had made', async () => {
    const { spoolAt, left } = await spoolFolder();
    const source = fakeFetch();
    let spooling: string[] = [];
    for await (const { records } of inOrder(fixedWindows(windows), 4, source.fetch, new AbortController().signal, spoolAt)) {
      for await (const _ of records) void _;
      // The windows read ahead are being spooled: there is something to remove.
      for (let i = 0; i < 100 && spooling.length === 0; i++) {
        spooling = await left();
        if (spooling.length === 0) await new Promise((r) => setTimeout(r, 10));
      }
      break;
    }
    expect(spooling).toEqual([expect.stringMatching(/^\.state\.json\.windows-/)]);
    expect(await left()).toEqual([]);
    // Every read ahead was stopped before the loop handed control back.
    expect(source.inFlight()).toBe(0);
  });

  it('plans each window only when a slot is free, and tells what each held as soon as it is read', async () => {
    for (const parallel of [1, 4]) {
      const source = fakeFetch();
      const held = new Map<number, number>();
      let planned = 0;
      // Each next window waits for the plan: the third is planned only once a slot is free.
      const plan: Windows<AlertQuery> = {
        next: () => windows[planned++],
        done: (w, n) => held.set((w.since?.getTime() ?? 0) / 1000, n),
        estimate: () => windows.length,
      };
      const order: number[] = [];
      for await (const { window, records, read } of inOrder(plan, parallel, source.fetch, new AbortController().signal)) {
        const w = (window.since?.getTime() ?? 0) / 1000;
        order.push(w);
        // A spooled window was counted before its turn; a live one is the consumer's to count.
        const spooled = parallel > 1 && w > 0;
        expect(read === undefined).toBe(spooled);
        if (spooled) expect(held.get(w)).toBe(3 + w);
        let n = 0;
        for await (const _ of records) n++;
        read?.(n);
        expect(held.get(w)).toBe(3 + w);
        // Never more than k ahead of delivery.
        expect(planned - order.length).toBeLessThanOrEqual(parallel);
      }
      expect(order).toEqual(windows.map((_, i) => i));
    }
  });

  it('removes the spool a killed run left, even when this run has one window only (and needs none)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'defender-prefetch-'));
    await mkdir(join(dir, '.state.json.windows-left'));
    const source = fakeFetch();
    const spoolAt = { dir, name: 'state.json' };
    for await (const { records } of inOrder(fixedWindows(windows.slice(0, 1)), 4, source.fetch, new AbortController().signal, spoolAt)) {
      for await (const _ of records) void _;
    }
    expect(await readdir(dir)).toEqual([]);
  });

  // A stop (Ctrl-C, SIGTERM) while windows are being spooled: a write still under way when the
  // spool stream is destroyed reports ERR_STREAM_DESTROYED, which must not become an uncaught error.
  it('a stop while spool writes are under way ends quietly and leaves no spool', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'defender-prefetch-'));
    const stop = new AbortController();
    const big = Buffer.from(JSON.stringify({ pad: 'p'.repeat(256 * 1024) }));
    let spooling = 0;
    const fetch = async function* (window: AlertQuery, signal: AbortSignal): AsyncGenerator<AlertRecord> {
      const w = (window.since?.getTime() ?? 0) / 1000;
      if (w === 0) {
        // The live window waits until the stop, as a request does.
        await new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason as Error), { once: true }));
      }
      for (let n = 0; ; n++) {
        spooling++;
        yield { id: `w${w}-${n}`, updatedAt: 't', key: 'k', raw: big };
        await new Promise((r) => setImmediate(r));
      }
    };
    const consume = (async () => {
      for await (const { records } of inOrder(fixedWindows(windows), 4, fetch, stop.signal, { dir, name: 'state.json' })) {
        for await (const _ of records) void _;
      }
    })();
    while (spooling < 20) await new Promise((r) => setTimeout(r, 5));
    stop.abort(new Error('SIGTERM'));
    await expect(consume).rejects.toThrow('SIGTERM');
    // Any late 'error' event would surface within a few turns.
    await new Promise((r) => setTimeout(r, 50));
    expect(await readdir(dir)).toEqual([]);
  });
});
