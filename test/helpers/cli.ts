/**
 * Spawns the built CLI (`bin/defender-alerts.js` → `dist/`) as a real process, as users and cron
 * run it. `npm test` builds first (pretest).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const CLI = fileURLToPath(new URL('../../bin/defender-alerts.js', import.meta.url));

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  env?: Record<string, string | undefined>;
  stdin?: string;
  timeoutMs?: number;
  cwd?: string;
  /** Called with the child as soon as it is spawned (to kill it, close its stdout, …). */
  onSpawn?: (child: ChildProcess) => void;
}

/** A clean environment: nothing from the developer's shell (proxies, Azure variables) leaks in. */
export function baseEnv(extra: Record<string, string | undefined> = {}): Record<string, string> {
  const env: Record<string, string> = { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: process.env['HOME'] ?? '/tmp' };
  for (const [k, v] of Object.entries(extra)) if (v !== undefined) env[k] = v;
  return env;
}

export function runCli(args: string[], options: CliOptions = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    // `--`, as the bin's shebang passes it: Node's own options end there, so a `--env-file` among
    // the CLI's arguments is ours, not Node's (nodejs/node#54232).
    const child = spawn(process.execPath, ['--', CLI, ...args], {
      env: options.env ?? baseEnv(),
      cwd: options.cwd,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.stdin.on('error', () => {});
    if (options.stdin !== undefined) child.stdin.end(options.stdin);
    else child.stdin.end();
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`CLI did not finish within ${options.timeoutMs ?? 20_000} ms; stderr so far:\n${stderr}`));
    }, options.timeoutMs ?? 20_000);
    options.onSpawn?.(child);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** One stderr line off a terminal: a JSON object shaped as pino's lines are. */
export interface StderrRecord {
  level: number;
  time: number;
  pid: number;
  msg: string;
  [field: string]: unknown;
}

/** Every line of `stderr` (written to a pipe) parsed: each must be one JSON object; throws naming the first that is not. */
export function stderrRecords(stderr: string): StderrRecord[] {
  return stderr
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => {
      try {
        return JSON.parse(line) as StderrRecord;
      } catch {
        throw new Error(`a stderr line that is not JSON: ${line}\n--- stderr:\n${stderr.slice(-2000)}`);
      }
    });
}

/**
 * The lines of `stderr` that end a run (the error `reportError` prints, a stop's last line): those
 * with an `exitCode`. Lines that are not JSON (a crash test's pause line) are passed over.
 */
export function exitRecords(stderr: string): StderrRecord[] {
  return stderr
    .split('\n')
    .flatMap((line) => {
      try {
        return [JSON.parse(line) as StderrRecord];
      } catch {
        return [];
      }
    })
    .filter((record) => typeof record['exitCode'] === 'number');
}

/** A failure record as a person reads it on a terminal: `defender-alerts: <msg> — <hint>`. */
export function asHumanLine(record: StderrRecord): string {
  return `defender-alerts: ${record.msg}${typeof record['hint'] === 'string' ? ` — ${record['hint']}` : ''}`;
}

/** The error a failed run ended with, as a person reads it on a terminal ('' when there is none). */
export function lastErrorLine(stderr: string): string {
  const last = exitRecords(stderr)
    .filter((r) => r.level >= 50)
    .at(-1);
  return last === undefined ? '' : asHumanLine(last);
}
