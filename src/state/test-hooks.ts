/**
 * Named pause points for the crash-safety tests (issue #3): with
 * `DEFENDER_ALERTS_TEST_PAUSE=<point>` in the environment, the run stops at that point, says so on
 * stderr, and waits there until it is killed. Without the variable this costs one lookup.
 */
export type PausePoint = 'before-output' | 'mid-output' | 'after-flush' | 'state-written' | 'after-commit';

export async function pauseAt(point: PausePoint): Promise<void> {
  if (process.env['DEFENDER_ALERTS_TEST_PAUSE'] !== point) return;
  process.stderr.write(`defender-alerts: test pause at ${point}\n`);
  // Never resolves: the test kills the process here. The interval keeps the event loop alive.
  await new Promise<never>(() => setInterval(() => {}, 60_000));
}
