/** The machine a benchmark ran on, as bench/run.js prints it: CPUs, CPU model, Node, load average. */
import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';

/** `{ cpus, cpu, node, load }`, load being the 1, 5 and 15 minute averages as one string. */
export function machine() {
  const cpu = /model name\s*:\s*(.*)/.exec(existsSync('/proc/cpuinfo') ? readFileSync('/proc/cpuinfo', 'utf8') : '')?.[1] ?? 'unknown';
  return {
    cpus: availableParallelism(),
    cpu,
    node: process.version,
    load: loadavg()
      .map((l) => l.toFixed(2))
      .join(' '),
  };
}
