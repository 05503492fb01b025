import type { ContractHandlers } from '../../shared/contract.ts';
import type { hubRequests } from '../../shared/hub-types.ts';
import type { CoreServices } from '../app/services.ts';

/** Handlers of every request declared in src/shared/hub-types.ts. */
export type HubHandlers = Pick<ContractHandlers, keyof typeof hubRequests>;

/** Builds this area's handlers for one core instance. */
export function hubHandlers(core: CoreServices): HubHandlers {
  void core;
  return {};
}
