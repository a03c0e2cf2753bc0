/**
 * Process entry point: wires signals, runs the CLI, sets the exit code. The only module that
 * touches process-wide state.
 */
import { setMaxListeners } from 'node:events';
import { setFlagsFromString } from 'node:v8';
import { processIo, run } from './cli.js';

// Memory must stay flat however many alerts stream through (numbers in BENCHMARKS.md):
// - undici parses HTTP with llhttp compiled to WebAssembly; V8's optimising tier compiles it a
//   second time, ~30 MB of peak memory for no measurable speed: the baseline compiler is enough.
//   Set before undici is first imported (it is loaded lazily).
// - V8 otherwise grows its young generation to its maximum under our allocation rate (+50 MB at a
//   million alerts); optimising for size keeps the heap small for ~5% more CPU.
setFlagsFromString('--liftoff-only');
setFlagsFromString('--optimize-for-size');
import { redactSecrets } from './secrets.js';

// A reader that goes away (`defender-alerts pull --help | head`) is not an error. The alert sink
// turns EPIPE into a quiet stop itself; this keeps other writes (help, version) from crashing.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code !== 'EPIPE') throw err;
});

const controller = new AbortController();
// Every request in flight listens to this one signal, and `pull --tenants` has up to 256 tenants
// (each a request or a sleep) at once: more than Node's default of 10 is not a leak here. Each
// listener goes when its request ends, so the count stays bounded by the concurrency.
setMaxListeners(4 * 256, controller.signal);
// Ctrl-C / SIGTERM: stop the current request and end the output cleanly; a second signal ends
// the process at once. Exit codes follow the shell convention 128 + signal number.
let signalled: number | undefined;
function onSignal(signal: NodeJS.Signals, code: number): void {
  if (signalled !== undefined) process.exit(code);
  signalled = code;
  process.stderr.write(`defender-alerts: ${signal} received, stopping\n`);
  controller.abort(new Error(signal));
}
process.on('SIGINT', () => onSignal('SIGINT', 130));
process.on('SIGTERM', () => onSignal('SIGTERM', 143));

// The final `defender-alerts: …` line quotes servers (Entra's error description); a server that
// echoes a secret back must not get it printed, so it passes the same filter as the logs.
const stderr = { write: (text: string): boolean => process.stderr.write(redactSecrets(text)) } as unknown as NodeJS.WritableStream;
const code = await run(process.argv, processIo(controller.signal), stderr);
// A command that was stopped by a signal and failed for it exits 128 + signal; one that ended well
// anyway (a --follow service finishing its cycle and stopping as asked) exits with its own code.
process.exitCode = signalled !== undefined && code !== 0 ? signalled : code;
process.removeAllListeners('SIGINT');
process.removeAllListeners('SIGTERM');
