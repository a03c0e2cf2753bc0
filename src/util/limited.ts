/**
 * Runs tasks over a list with at most `limit` running at once: the many-tenant pull's only
 * scheduler. A dozen lines, so no dependency (p-limit and friends also queue closures for work
 * that is all known up front).
 */

/**
 * Calls `task` for each item, in the items' order, at most `limit` at a time, and resolves once
 * every started task settled. Items not yet started when `stopped()` turns true are skipped.
 * `task` must not reject: a task reports its own failure (a rejection is rethrown at the end).
 */
export async function forEachLimited<T>(
  items: readonly T[],
  limit: number,
  task: (item: T, index: number) => Promise<void>,
  stopped: () => boolean = () => false,
): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length && !stopped()) {
      const index = next++;
      await task(items[index] as T, index);
    }
  };
  const workers = Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker);
  // allSettled, not all: a rejection must not return while the other workers' tasks still run.
  const settled = await Promise.allSettled(workers);
  for (const result of settled) if (result.status === 'rejected') throw result.reason;
}
