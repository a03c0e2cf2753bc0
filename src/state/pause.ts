/**
 * Named points of a `--state` run where the crash-safety tests stop the process (kill -9 there
 * proves the state file never claims undelivered alerts). The points are passed in: a real run gets
 * {@link NO_PAUSE}; only the entry point (cli.ts `processIo`) turns the test variable into one.
 */
export type PausePoint = 'before-output' | 'mid-output' | 'after-flush' | 'state-written' | 'after-commit';

export type Pause = (point: PausePoint) => Promise<void>;

/** What every run but a crash test uses. */
export const NO_PAUSE: Pause = () => Promise.resolve();

/**
 * The pause of a crash test: at `point` the run says so on `stderr` and waits there until the test
 * kills it; every other point passes.
 */
export function pauseOnlyAt(point: string | undefined, stderr: NodeJS.WritableStream): Pause {
  if (point === undefined || point === '') return NO_PAUSE;
  return async (at) => {
    if (at !== point) return;
    stderr.write(`defender-alerts: test pause at ${at}\n`);
    // Never resolves: the test kills the process here. The interval keeps the event loop alive.
    await new Promise<never>(() => setInterval(() => {}, 60_000));
  };
}
