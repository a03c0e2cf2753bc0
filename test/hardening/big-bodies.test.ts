/**
 * Big answers: memory stays flat however large the body. The server generates the
 * body lazily with backpressure; the CLI's peak RSS is read from /proc/<pid>/status (VmHWM)
 * while it runs, and its stdout is checked as it streams, never held whole.
 *
 * `npm test` streams 128 MiB of alerts; HARDENING_HEAVY=1 streams the full 2 GiB (about a
 * minute on 2 cores; the measured result is recorded in docs/robustness.md).
 */
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { CLI } from '../helpers/cli.js';
import { alert, completeAlerts, failureLine, hostileEnv, startHostileServer, streamBody, withTokens } from '../helpers/hostile-server.js';

const HEAVY = process.env['HARDENING_HEAVY'] === '1';
const MiB = 1024 * 1024;
const BODY_BYTES = HEAVY ? 2048 * MiB : 128 * MiB;
const RSS_BOUND_BYTES = 300 * MiB;

interface Measured {
  code: number | null;
  stderr: string;
  stdoutBytes: number;
  lines: number;
  /** Lines that are not one whole alert (should be 0). */
  badLines: number;
  /** The first few output lines, for content checks. */
  head: string;
  peakRssBytes: number;
  seconds: number;
}

/** Spawns pull, checks stdout line by line as it streams, and samples VmHWM until exit. */
function measurePull(env: Record<string, string>, args: string[], timeoutMs: number): Promise<Measured> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, [CLI, 'pull', '--format', 'ndjson', ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let stdoutBytes = 0;
    let lines = 0;
    let badLines = 0;
    let head = '';
    let partial = '';
    let peakRssBytes = 0;
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-20_000)));
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdoutBytes += Buffer.byteLength(d);
      if (head.length < 16_384) head += d.slice(0, 16_384);
      const parts = (partial + d).split('\n');
      partial = parts.pop() ?? '';
      for (const line of parts) {
        lines++;
        if (!line.startsWith('{"AlertId":"') || !line.endsWith('}')) badLines++;
      }
    });
    const sample = async (): Promise<void> => {
      const status = await readFile(`/proc/${child.pid}/status`, 'utf8').catch(() => '');
      const kb = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0);
      peakRssBytes = Math.max(peakRssBytes, kb * 1024);
    };
    const sampler = setInterval(() => void sample(), 50);
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`pull did not finish within ${timeoutMs} ms; stderr:\n${stderr.slice(-2000)}`));
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearInterval(sampler);
      clearTimeout(timer);
      if (partial !== '') badLines++;
      resolve({ code, stderr, stdoutBytes, lines, badLines, head, peakRssBytes, seconds: (performance.now() - started) / 1000 });
    });
  });
}

/**
 * About 2 KiB of text per alert, the size of a real SIEM alert. (The table that remembers written
 * alerts for retries grows 16–32 bytes per alert — src/api/seen-keys.ts — so 2 GiB of 250-byte
 * alerts peaks near 500 MB: see docs/robustness.md.)
 */
const PADDING = 'Suspicious process injection observed — ünïcödé — '.repeat(36);

/** A lazily generated `[alert,alert,…]` of about `bytes` bytes, in ~64 KiB chunks. */
function alertArray(bytes: number): { next: () => string | undefined; count: () => number } {
  let sent = 0;
  let n = 0;
  let closed = false;
  return {
    count: () => n,
    next: () => {
      if (closed) return undefined;
      if (sent >= bytes) {
        closed = true;
        return ']';
      }
      let chunk = n === 0 ? '[' : '';
      while (chunk.length < 64 * 1024) {
        chunk += `${n === 0 ? '' : ','}${JSON.stringify(alert(n, { Description: `alert number ${n}: ${PADDING}` }))}`;
        n++;
      }
      sent += chunk.length;
      return chunk;
    },
  };
}

describe('big bodies in flat memory', () => {
  it(
    `${BODY_BYTES / MiB} MiB of alerts: every alert written, peak RSS under ${RSS_BOUND_BYTES / MiB} MiB`,
    async () => {
      const body = alertArray(BODY_BYTES);
      const server = await startHostileServer(withTokens((_req, socket) => streamBody(socket, body.next)));
      try {
        const m = await measurePull(hostileEnv(server, { DEFENDER_LOG_LEVEL: 'info' }), [], HEAVY ? 600_000 : 60_000);
        console.log(
          `[big-bodies] ${BODY_BYTES / MiB} MiB body: ${m.lines} alerts, ${(m.stdoutBytes / MiB).toFixed(0)} MiB out, peak RSS ${(m.peakRssBytes / MiB).toFixed(0)} MiB, ${m.seconds.toFixed(1)} s`,
        );
        expect(m.code, m.stderr.slice(-1000)).toBe(0);
        expect(m.lines).toBe(body.count());
        expect(m.badLines).toBe(0);
        expect(completeAlerts(m.head.slice(0, m.head.lastIndexOf('\n') + 1), 'ndjson')[0]).toEqual(
          alert(0, { Description: `alert number 0: ${PADDING}` }),
        );
        expect(m.peakRssBytes).toBeGreaterThan(0);
        expect(m.peakRssBytes).toBeLessThan(RSS_BOUND_BYTES);
      } finally {
        await server.close();
      }
    },
    HEAVY ? 660_000 : 90_000,
  );

  it('one endless alert (a 2 GiB string): refused at 64 MiB with exit 65, peak RSS bounded', async () => {
    let sent = 0;
    const filler = 'A'.repeat(1024 * 1024);
    const next = (): string | undefined => {
      if (sent >= 2048 * MiB) return undefined;
      sent += filler.length;
      return sent === filler.length
        ? `[{"AlertId":"da_huge_1","LastProcessedTimeUtc":"2024-05-01T10:00:00Z","Description":"${filler}`
        : filler;
    };
    const server = await startHostileServer(withTokens((_req, socket) => streamBody(socket, next)));
    try {
      const m = await measurePull(hostileEnv(server, { DEFENDER_LOG_LEVEL: 'info' }), [], 60_000);
      console.log(
        `[big-bodies] endless alert: ${(sent / MiB).toFixed(0)} MiB sent before the CLI stopped, peak RSS ${(m.peakRssBytes / MiB).toFixed(0)} MiB`,
      );
      expect(m.code, m.stderr.slice(-1000)).toBe(65);
      expect(failureLine(m.stderr)).toMatch(/alert number 1 is larger than 67108864 bytes/);
      expect(m.stdoutBytes).toBe(0);
      expect(sent).toBeLessThan(2048 * MiB); // it stopped reading, not the server
      expect(m.peakRssBytes).toBeLessThan(RSS_BOUND_BYTES);
    } finally {
      await server.close();
    }
  });
});
