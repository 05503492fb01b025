import type { ContractHandlers } from '../../shared/contract.ts';
import type { steerRequests } from '../../shared/steer-types.ts';
import type { CoreServices } from '../app/services.ts';

/** Handlers of every request declared in src/shared/steer-types.ts. */
export type SteerHandlers = Pick<ContractHandlers, keyof typeof steerRequests>;

/** Builds this area's handlers for one core instance. */
export function steerHandlers(core: CoreServices): SteerHandlers {
  void core;
  return {};
}
