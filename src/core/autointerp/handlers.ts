import type { autointerpRequests } from '#shared/autointerp-types.ts';
import type { ContractHandlers } from '#shared/contract.ts';
import type { AutointerpService } from './service.ts';

/** Handlers of every request declared in src/shared/autointerp-types.ts. */
export type AutointerpHandlers = Pick<ContractHandlers, keyof typeof autointerpRequests>;

/** Builds this area's handlers for one core instance: thin adapters over the core's AutointerpService. */
export function autointerpHandlers(service: AutointerpService): AutointerpHandlers {
  return {
    'autointerp.settings': async () => service.settings(),
    'autointerp.setSettings': async (p) => service.setSettings(p),
    'autointerp.explain': (p) => service.explain(p),
    'autointerp.start': (p) => service.start(p),
    'autointerp.explanations': ({ feature }) => service.explanations(feature),
  };
}
