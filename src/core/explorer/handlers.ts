import type { ContractHandlers } from '#shared/contract.ts';
import type { explorerRequests } from '#shared/explorer-types.ts';
import type { ExplorerService } from './service.ts';

/** Handlers of every request declared in src/shared/explorer-types.ts. */
export type ExplorerHandlers = Pick<ContractHandlers, keyof typeof explorerRequests>;

/** Builds this area's handlers: thin adapters over the core's ExplorerService. */
export function explorerHandlers(explorer: ExplorerService): ExplorerHandlers {
  return {
    'feature.search': (p) => explorer.search(p),
    'prompt.rank': (p) => explorer.rank(p),
    'feature.logits': ({ id, k }) => explorer.logits(id, k),
    'feature.cooccurring': (p) => explorer.cooccurring(p),
    'feature.onText': ({ id, text }) => explorer.onText(id, text),
    'feature.ablate': (p) => explorer.ablate(p),
    'feature.nearest': (p) => explorer.nearest(p),
  };
}
