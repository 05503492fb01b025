import type { ContractHandlers } from '../../shared/contract.ts';
import type { explorerRequests } from '../../shared/explorer-types.ts';
import type { CoreServices } from '../app/services.ts';

/** Handlers of every request declared in src/shared/explorer-types.ts. */
export type ExplorerHandlers = Pick<ContractHandlers, keyof typeof explorerRequests>;

/** Builds this area's handlers for one core instance. */
export function explorerHandlers(core: CoreServices): ExplorerHandlers {
  void core;
  return {};
}
