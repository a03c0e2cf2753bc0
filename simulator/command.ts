/**
 * `defender-alerts simulate`: start the simulator, print one JSON line describing it (URL,
 * published test credentials, CA path), serve until the signal aborts (Ctrl-C), then close.
 */
import { describeSimulator, startSimulator, type SimulatorOptions } from './server.js';

/** The simulator's options as the command takes them: `--http` instead of `https`, no injected clock. */
export type SimulateOptions = Omit<
  SimulatorOptions,
  'https' | 'now' | 'windowHours' | 'includeExamples' | 'tokenLifetimeSeconds' | 'deviceIntervalSeconds'
> & {
  /** Serve plain HTTP instead of HTTPS. */
  http?: boolean;
};

export interface SimulateIo {
  stdout: NodeJS.WritableStream;
  signal: AbortSignal;
}

/** Runs the simulator until `io.signal` aborts. Throws UsageError for invalid options or a busy port. */
export async function runSimulate(opts: SimulateOptions, io: SimulateIo): Promise<void> {
  const { http, ...rest } = opts;
  const options: SimulatorOptions = { https: !(http ?? false) };
  // Copy only what was given: with exactOptionalPropertyTypes an explicit undefined is not "absent".
  for (const [key, value] of Object.entries(rest)) {
    if (value !== undefined) Object.assign(options, { [key]: value });
  }
  if (io.signal.aborted) return;
  const sim = await startSimulator(options);
  try {
    io.stdout.write(`${JSON.stringify(describeSimulator(sim))}\n`);
    await new Promise<void>((resolve) => {
      if (io.signal.aborted) resolve();
      else io.signal.addEventListener('abort', () => resolve(), { once: true });
    });
  } finally {
    await sim.close();
  }
}
