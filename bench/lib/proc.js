/**
 * Runs a command as a child process and measures it: wall time from spawn to exit (measured
 * here, with a monotonic clock) and peak RSS (from GNU time's `%M`, when /usr/bin/time exists).
 * Never blocks the event loop: the simulator serving the command lives in this same process.
 */
import { spawn } from 'node:child_process';
import { existsSync, openSync, closeSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const GNU_TIME = '/usr/bin/time';
export const HAVE_GNU_TIME = existsSync(GNU_TIME);

/**
 * @typedef {object} MeasureOptions
 * @property {NodeJS.ProcessEnv | undefined} [env]
 * @property {string} [stdoutPath]
 * @property {import('node:stream').Writable} [stdout] a stream with a file descriptor
 * @property {number | undefined} [timeoutMs]
 * @property {boolean} [rss]
 * @property {boolean} [cpu]
 */

/**
 * @typedef {object} Measured
 * @property {number} wallMs
 * @property {number | undefined} rssKib
 * @property {number | undefined} [cpuMs]
 * @property {number | null} code
 * @property {string} stderr
 */

let serial = 0;

/** A fresh path for GNU time's report. */
export function rssFile() {
  return join(tmpdir(), `defender-alerts-bench-${process.pid}-${serial++}.rss`);
}

/** Reads (and removes) the `%M` report GNU time wrote: peak RSS in KiB, or undefined. */
/** @param {string} path */
export function readRss(path) {
  try {
    const text = readFileSync(path, 'utf8');
    const kib = Number(/(\d+)\s*$/.exec(text.trim())?.[1]);
    return Number.isFinite(kib) ? kib : undefined;
  } catch {
    return undefined;
  } finally {
    rmSync(path, { force: true });
  }
}

/**
 * Reads (and removes) a GNU time `%U %S %M` report: `{ cpuMs, rssKib }` (user + system CPU, peak
 * RSS), each undefined if unreadable. The last line is the report (a line before it may say that
 * the command exited non-zero).
 * @param {string} path
 * @returns {{ cpuMs: number | undefined, rssKib: number | undefined }}
 */
export function readTimeReport(path) {
  try {
    const [user = NaN, system = NaN, rss = NaN] = (readFileSync(path, 'utf8').trim().split('\n').at(-1) ?? '')
      .trim()
      .split(/\s+/)
      .map(Number);
    return {
      cpuMs: Number.isFinite(user) && Number.isFinite(system) ? (user + system) * 1000 : undefined,
      rssKib: Number.isFinite(rss) ? rss : undefined,
    };
  } catch {
    return { cpuMs: undefined, rssKib: undefined };
  } finally {
    rmSync(path, { force: true });
  }
}

/**
 * Spawns `command args` with stdout to `stdoutPath` (default /dev/null) and resolves with
 * `{ wallMs, rssKib, code, stderr }`. Rejects when it runs longer than `timeoutMs`. `stdout`, a
 * stream with a file descriptor (e.g. another child's stdin), is given to the command instead.
 * With `cpu`, GNU time also reports the command's user + system CPU: `cpuMs` in the result.
 * @param {string} command
 * @param {readonly string[]} args
 * @param {MeasureOptions} [options]
 * @returns {Promise<Measured>}
 */
export function measure(command, args, { env, stdoutPath = '/dev/null', stdout, timeoutMs = 600_000, rss = true, cpu = false } = {}) {
  const report = (rss || cpu) && HAVE_GNU_TIME ? rssFile() : undefined;
  const format = cpu ? '%U %S %M' : '%M';
  const [file, argv] = report === undefined ? [command, args] : [GNU_TIME, ['-f', format, '-o', report, command, ...args]];
  const fd = stdout === undefined ? openSync(stdoutPath, 'w') : undefined;
  const out = stdout ?? fd;
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(file, argv, { env, stdio: ['ignore', out, 'pipe'] });
    if (fd !== undefined) closeSync(fd);
    let stderr = '';
    /** @type {import('node:stream').Readable} */ (child.stderr).setEncoding('utf8').on('data', (d) => (stderr += d.slice(0, 4096)));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', reject);
    child.once('close', (code, signal) => {
      const wallMs = performance.now() - started;
      clearTimeout(timer);
      /** @type {{ cpuMs?: number | undefined, rssKib?: number | undefined }} */
      const timed = report === undefined ? {} : cpu ? readTimeReport(report) : { rssKib: readRss(report) };
      if (signal !== null) reject(new Error(`${command} killed by ${signal}: ${stderr}`));
      else resolve({ wallMs, rssKib: timed.rssKib, ...(cpu ? { cpuMs: timed.cpuMs } : {}), code, stderr });
    });
  });
}

/**
 * Runs a shell command line (`sh -c`), measured like {@link measure}, without RSS (see pipeline.js).
 * @param {string} script
 * @param {Pick<MeasureOptions, 'env' | 'timeoutMs'>} [options]
 */
export function measureShell(script, { env, timeoutMs } = {}) {
  return measure('/bin/sh', ['-c', script], { env, timeoutMs, rss: false });
}
