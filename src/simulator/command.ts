/**
 * `defender-alerts simulate`: start the simulator, print one JSON line describing it (URL,
 * published test credentials, CA path), serve until the signal aborts (Ctrl-C), then close.
 */
import { describeSimulator, startSimulator, type SimulatorOptions } from './server.js';

export interface SimulateOptions {
  port?: number;
  host?: string;
  /** Serve plain HTTP instead of HTTPS. */
  http?: boolean;
  alerts?: number;
  rate?: number;
  failRate?: number;
  throttle?: number;
  latencyMs?: number;
  mdeCallsPerMinute?: number;
  mdeCallsPerHour?: number;
  mdeMinuteSeconds?: number;
  quotaUsed?: number;
  mdeNoNextLinkWithTop?: boolean;
  mdeUnordered?: boolean;
  foreignNextLinks?: string;
  sharedUpdateTime?: number;
  seed?: number;
  certDir?: string;
}

export interface SimulateIo {
  stdout: NodeJS.WritableStream;
  signal: AbortSignal;
}

/** Runs the simulator until `io.signal` aborts. Throws UsageError for invalid options or a busy port. */
export async function runSimulate(opts: SimulateOptions, io: SimulateIo): Promise<void> {
  const options: SimulatorOptions = { https: !(opts.http ?? false) };
  // Copy only what was given: with exactOptionalPropertyTypes an explicit undefined is not "absent".
  const keys = [
    'port', 'host', 'alerts', 'rate', 'failRate', 'throttle', 'latencyMs', 'mdeCallsPerMinute', 'mdeCallsPerHour', 'mdeMinuteSeconds',
    'quotaUsed', 'mdeNoNextLinkWithTop', 'mdeUnordered', 'foreignNextLinks', 'sharedUpdateTime', 'seed', 'certDir',
  ] as const;
  for (const key of keys) {
    if (opts[key] !== undefined) Object.assign(options, { [key]: opts[key] });
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
