/**
 * Picks the AlertSource for `--api`. Each API module is loaded only when chosen.
 */
import type { CommandContext } from '../commands/context.js';
import type { PullConfig } from '../config/resolve.js';
import { createPacer, MDE_RATE_LIMITS } from '../http/pacer.js';
import type { AlertSource, InvalidAlert } from './source.js';

export async function createSource(
  config: PullConfig,
  ctx: CommandContext<PullConfig>,
  onInvalid: (invalid: InvalidAlert) => void,
): Promise<AlertSource> {
  const common = {
    credential: ctx.credential,
    dispatcher: ctx.dispatcher,
    retry: ctx.retry,
    timeoutMs: config.timeoutMs,
    log: ctx.log,
    onInvalid,
  };
  switch (config.api) {
    case 'siem': {
      const { SiemSource } = await import('./siem.js');
      return new SiemSource({ ...common, baseUrl: config.baseUrl });
    }
    case 'mde': {
      const { MdeSource } = await import('./mde.js');
      const pacer = createPacer(MDE_RATE_LIMITS, ctx.log);
      return new MdeSource(
        { baseUrl: config.baseUrl, pageSize: config.mde.pageSize, filterOn: config.mde.filterOn, expandEvidence: config.mde.expandEvidence },
        { ...common, pacer },
      );
    }
    case 'graph': {
      const { GraphSource } = await import('./graph.js');
      return new GraphSource({ baseUrl: config.baseUrl, pageSize: config.graph.pageSize, serviceSource: config.graph.serviceSource }, common);
    }
  }
}
