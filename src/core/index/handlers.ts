import type { ContractHandlers } from '#shared/contract.ts';
import type { IndexService } from './service.ts';

/** Requests about activation indexes and their features. */
export type IndexHandlers = Pick<ContractHandlers, 'index.start' | 'index.status' | 'index.list' | 'feature.get' | 'feature.sample'>;

/** Handlers of the `index.*` and `feature.*` requests: thin adapters over the core's IndexService. */
export function indexHandlers(index: IndexService): IndexHandlers {
  return {
    'index.start': (p) => index.start(p),
    'index.status': ({ db }) => index.status(db),
    'index.list': async () => index.list(),
    'feature.get': async ({ db, id, context }) => index.feature(db, id, context),
    'feature.sample': async (p) => index.sample(p),
  };
}
