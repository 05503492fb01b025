import type { ContractHandlers } from '../../shared/contract.ts';
import type { explorerRequests } from '../../shared/explorer-types.ts';
import { AppError } from '../../shared/reply.ts';
import type { CoreServices } from '../app/services.ts';

/** Handlers of every request declared in src/shared/explorer-types.ts. */
export type ExplorerHandlers = Pick<ContractHandlers, keyof typeof explorerRequests>;

/** Builds this area's handlers for one core instance. */
export function explorerHandlers(core: CoreServices): ExplorerHandlers {
  void core;
  const todo = (name: string) => () => Promise.reject(new AppError('unavailable', `${name} is being built`));
  return {
    'feature.search': todo('feature.search'),
    'prompt.rank': todo('prompt.rank'),
    'feature.logits': todo('feature.logits'),
    'feature.nearest': todo('feature.nearest'),
  };
}
