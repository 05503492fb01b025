import type { ContractHandlers } from '#shared/contract.ts';
import type { healthRequests } from '#shared/health-types.ts';
import type { HealthService } from './service.ts';

/** Handlers of every request declared in src/shared/health-types.ts. */
export type HealthHandlers = Pick<ContractHandlers, keyof typeof healthRequests>;

/** Builds this area's handlers: thin adapters over the core's HealthService. */
export function healthHandlers(health: HealthService): HealthHandlers {
  return {
    'health.evaluate': (p) => health.evaluate(p),
    'health.get': (p) => health.get(p),
    'health.export': (p) => health.export(p),
    'health.compare': (p) => health.compare(p),
  };
}
