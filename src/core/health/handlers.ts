import type { ContractHandlers } from '../../shared/contract.ts';
import type { healthRequests } from '../../shared/health-types.ts';
import type { CoreServices } from '../app/services.ts';

/** Handlers of every request declared in src/shared/health-types.ts. */
export type HealthHandlers = Pick<ContractHandlers, keyof typeof healthRequests>;

/** Builds this area's handlers for one core instance. */
export function healthHandlers(core: CoreServices): HealthHandlers {
  void core;
  return {};
}
