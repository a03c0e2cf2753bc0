/** The machine a benchmark ran on, as bench/run.js prints it: CPUs, CPU model, Node, load average. */
import { spawn } from 'node:child_process';
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

/** The first line `command --version` prints (curl, jq), or undefined when it is not installed. */
/**
 * @param {string} command
 * @returns {Promise<string | undefined>}
 */
export function versionOf(command) {
  return new Promise((resolve) => {
    const child = spawn(command, ['--version'], { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d) => (out += d));
    child.on('error', () => resolve(undefined));
    child.on('close', () => resolve(out.split('\n')[0]?.trim() || undefined));
  });
}
