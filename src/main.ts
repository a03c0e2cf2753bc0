/**
 * Process entry point: wires signals, runs the CLI, sets the exit code. The only module that
 * touches process-wide state.
 */
import { setMaxListeners } from 'node:events';
import { setFlagsFromString } from 'node:v8';
import { processIo, reportError, run } from './cli.js';

// Memory must stay flat however many alerts stream through (numbers in BENCHMARKS.md):
// - undici parses HTTP with llhttp compiled to WebAssembly; V8's optimising tier compiles it a
//   second time, ~30 MB of peak memory for no measurable speed: the baseline compiler is enough.
//   Set before undici is first imported (it is loaded lazily).
// - V8 otherwise grows its young generation to its maximum under our allocation rate (+50 MB at a
//   million alerts); optimising for size keeps the heap small for ~5% more CPU.
setFlagsFromString('--liftoff-only');
setFlagsFromString('--optimize-for-size');
import { writeNotice, type Notice, type NoticeStream } from './notice.js';
import { redactSecrets } from './secrets.js';
import { readerGone } from './util/errno.js';
import { runForcedExitSteps } from './util/forced-exit.js';

/**
 * How long a stopped run may take to end (docs/reference.md "Exit codes"): 5 s from the signal. Ending takes
 * milliseconds, unless stdout is stuck (a reader that stopped reading); then what the pipe did not
 * take is abandoned, the lock, spool and temp files are removed here, and the process exits.
 */
const STOP_GRACE_MS = 5_000;

// The final `defender-alerts: …` line quotes servers (Entra's error description); a server that
// echoes a secret back must not get it printed, so it passes the same filter as the logs. Off a
// terminal every line is JSON, as the log's are (notice.ts).
const stderr: NoticeStream = {
  isTTY: process.stderr.isTTY === true,
  write: (text: string) => process.stderr.write(redactSecrets(text)),
};
const say = (notice: Notice): void => writeNotice(stderr, notice);

// A reader that goes away (`defender-alerts pull --help | head`) is not an error. The alert sink
// turns EPIPE into a quiet stop itself; this keeps other writes (help, version) from crashing.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (!readerGone(err)) throw err;
});

const controller = new AbortController();
// Every request in flight listens to this one signal, and `pull --tenants` has up to 256 tenants
// (each a request or a sleep) at once: more than Node's default of 10 is not a leak here. Each
// listener goes when its request ends, so the count stays bounded by the concurrency.
setMaxListeners(4 * 256, controller.signal);

/** The stop asked for (Ctrl-C, SIGTERM), with its exit code: the shell convention 128 + signal number. */
let stop: { signal: NodeJS.Signals; code: number } | undefined;
/** The exit code, once the run has ended (the grace may still run out on a stuck stdout). */
const ended: { code?: number } = {};

/** Ends the process now, its own cleanup or not: what it leaves behind is removed first (util/forced-exit.ts). */
function exitNow(code: number, notice: Notice): never {
  runForcedExitSteps();
  say({ ...notice, fields: { ...notice.fields, exitCode: code } });
  process.exit(code);
}

// Ctrl-C / SIGTERM: stop the current request and end the output cleanly, within the grace; a
// second signal ends the process at once (its lock, spool and temp files still removed).
function onSignal(signal: NodeJS.Signals, code: number): void {
  if (stop !== undefined) exitNow(code, { level: 'warn', msg: `${signal} received again, exiting at once`, fields: { signal } });
  stop = { signal, code };
  say({ level: 'info', msg: `${signal} received, stopping`, fields: { signal }, human: `defender-alerts: ${signal} received, stopping` });
  controller.abort(new Error(signal));
  const grace = setTimeout(() => {
    const msg =
      ended.code === undefined
        ? `still stopping ${STOP_GRACE_MS / 1000} s after ${signal}: exiting without waiting any longer`
        : `stdout did not take the rest of the output within ${STOP_GRACE_MS / 1000} s of ${signal}: abandoned`;
    exitNow(ended.code ?? code, { level: 'warn', msg, fields: { signal }, human: `defender-alerts: ${msg}` });
  }, STOP_GRACE_MS);
  // Only a process that would otherwise stay (stdout stuck, a wait that ignores the signal) meets it.
  grace.unref();
}
process.on('SIGINT', () => onSignal('SIGINT', 130));
process.on('SIGTERM', () => onSignal('SIGTERM', 143));

// A bug that escaped every handler still ends as reportError says (exit 1, its stack; after a
// signal, as the stop itself), and leaves no lock behind.
process.on('uncaughtException', (err) => {
  runForcedExitSteps();
  if (stop === undefined) process.exit(reportError(err, stderr));
  exitNow(stop.code, { level: 'info', msg: `stopped on ${stop.signal}`, fields: { signal: stop.signal } });
});

const code = await run(process.argv, processIo(controller.signal), stderr);
// A command that was stopped by a signal and failed for it exits 128 + signal; one that ended well
// anyway (a --follow service finishing its cycle and stopping as asked) exits with its own code.
ended.code = stop !== undefined && code !== 0 ? stop.code : code;
process.exitCode = ended.code;
if (stop !== undefined) say({ level: 'info', msg: `stopped on ${stop.signal}`, fields: { signal: stop.signal, exitCode: ended.code } });
process.removeAllListeners('SIGINT');
process.removeAllListeners('SIGTERM');
