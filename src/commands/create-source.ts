/**
 * Picks the AlertSource for `--api` and wires it to the run's configuration. Each API module is
 * loaded only when chosen. The OData APIs get a pacer of their own for their documented limits:
 * one per source, so one per tenant of a `--tenants` run (each tenant has its own quota), shared by
 * the `--parallel` windows that read through the source.
 */
import type { AlertSource, SourceContext } from '../api/source.js';
import type { PullConfig } from '../config/resolve.js';
import { createPacer, GRAPH_RATE_LIMITS, MDE_RATE_LIMITS } from '../http/pacer.js';

export async function createSource(config: PullConfig, common: SourceContext): Promise<AlertSource> {
  switch (config.api) {
    case 'siem': {
      const { SiemSource } = await import('../api/siem.js');
      return new SiemSource({ ...common, baseUrl: config.baseUrl });
    }
    case 'mde': {
      const { MdeSource } = await import('../api/mde.js');
      const pacer = createPacer(MDE_RATE_LIMITS, common.log);
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
      const pacer = createPacer(GRAPH_RATE_LIMITS, common.log);
      return new GraphSource(
        { baseUrl: config.baseUrl, pageSize: config.graph.pageSize, serviceSource: config.graph.serviceSource, filters: config.filters },
        { ...common, pacer },
      );
    }
  }
}
