/**
 * Picks the AlertSource for `--api` and wires it to the run's configuration. Each API module is
 * loaded only when chosen. The OData APIs are paced for their documented limits by the tenant's
 * {@link QuotaPacers}: one per tenant of a `--tenants` run (each tenant has its own quota), shared
 * by the `--parallel` windows that read through the source, and kept across the cycles of a
 * `--follow` service.
 */
import type { Logger } from 'pino';
import type { AlertSource, SourceContext } from '../api/source.js';
import type { PullConfig } from '../config/resolve.js';
import { createPacer, GRAPH_RATE_LIMITS, MDE_RATE_LIMITS, type Pacer } from '../http/pacer.js';

/**
 * A tenant's pacers, one per OData API, made on first use. A service keeps one set for its whole
 * life: Defender for Endpoint's 1 500 calls an hour span many cycles, so a pacer made afresh each
 * cycle would forget the calls that count against it. Each pacer's history is bounded by its limit.
 */
export class QuotaPacers {
  readonly #made = new Map<'mde' | 'graph', Pacer>();

  for(api: 'mde' | 'graph', log: Pick<Logger, 'info'>): Pacer {
    let pacer = this.#made.get(api);
    if (pacer === undefined) {
      pacer = createPacer(api === 'mde' ? MDE_RATE_LIMITS : GRAPH_RATE_LIMITS, log);
      this.#made.set(api, pacer);
    }
    return pacer;
  }
}

export async function createSource(config: PullConfig, common: SourceContext, pacers = new QuotaPacers()): Promise<AlertSource> {
  switch (config.api) {
    case 'siem': {
      const { SiemSource } = await import('../api/siem.js');
      return new SiemSource({ ...common, baseUrl: config.baseUrl });
    }
    case 'mde': {
      const { MdeSource } = await import('../api/mde.js');
      const pacer = pacers.for('mde', common.log);
      return new MdeSource(
        {
          baseUrl: config.baseUrl,
          pageSize: config.mde.pageSize,
          filterOn: config.mde.filterOn,
          expandEvidence: config.mde.expandEvidence,
          filters: config.filters,
        },
        { ...common, pacer },
      );
    }
    case 'graph': {
      const { GraphSource } = await import('../api/graph.js');
      const pacer = pacers.for('graph', common.log);
      return new GraphSource(
        { baseUrl: config.baseUrl, pageSize: config.graph.pageSize, serviceSource: config.graph.serviceSource, filters: config.filters },
        { ...common, pacer },
      );
    }
  }
}
