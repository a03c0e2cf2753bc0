/**
 * What the process must still undo when it ends without running its own cleanup: a second Ctrl-C,
 * the stop grace of main.ts running out while stdout is stuck, a crash. Whoever makes a thing the
 * next run would trip over (a state lock, a spool directory, a temp file) registers a synchronous
 * step that removes it, and withdraws the step once it removed the thing itself; main.ts runs the
 * steps left just before `process.exit()`. One set per process, as the secrets of secrets.ts.
 */

const steps = new Set<() => void>();

/**
 * Registers `undo`: synchronous, quick, and quiet when the thing is already gone. Returns its
 * withdrawal (call it once the owner cleaned up; calling it again does nothing).
 */
export function undoOnForcedExit(undo: () => void): () => void {
  steps.add(undo);
  return () => {
    steps.delete(undo);
  };
}

/** Runs (once) every step still registered; one that fails does not keep the others from running. */
export function runForcedExitSteps(): void {
  for (const undo of [...steps]) {
    steps.delete(undo);
    try {
      undo();
    } catch {
      // Best effort: the next run takes a stale lock over and removes a spool left behind.
    }
  }
}
