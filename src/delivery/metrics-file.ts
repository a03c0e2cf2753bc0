/**
 * Writes `--metrics-file` after a run or cycle: each state's metrics (output/metrics.ts), read back
 * from the state files the run just wrote, replaced atomically so node_exporter never reads half a
 * file. A failure to write it is logged, not fatal: the alerts were delivered all the same.
 */
import { renderMetrics, type MetricsSource } from '../output/metrics.js';
import type { Logger } from '../log.js';
import { readState } from '../state/file.js';
import { writeFileAtomic } from '../util/atomic-file.js';

export interface MetricsTarget {
  api: string;
  /** The tenant label (a tenants file's name, else the tenant id). */
  tenant: string;
  statePath: string;
  attempt?: MetricsSource['attempt'];
}

export async function writeMetricsFile(path: string, targets: readonly MetricsTarget[], now: Date, log: Logger): Promise<void> {
  try {
    const sources = await Promise.all(
      targets.map(async (t): Promise<MetricsSource> => {
        const state = await readState(t.statePath).catch(() => undefined);
        return { api: t.api, tenant: t.tenant, state, attempt: t.attempt };
      }),
    );
    // 0644: node_exporter often runs as another user; the file holds counts, no secret.
    await writeFileAtomic(path, renderMetrics(sources, now), 0o644);
  } catch (err) {
    log.error({ metricsFile: path, err: String(err) }, 'could not write the metrics file');
  }
}
