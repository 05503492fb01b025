import type { ContractHandlers } from '#shared/contract.ts';
import type { hubRequests } from '#shared/hub-types.ts';
import type { HubService } from './service.ts';

/** Handlers of every request declared in src/shared/hub-types.ts. */
export type HubHandlers = Pick<ContractHandlers, keyof typeof hubRequests>;

/** Builds this area's handlers: thin adapters over the core's HubService. */
export function hubHandlers(hub: HubService): HubHandlers {
  return {
    'hub.catalog': async ({ query }) => hub.catalog(query),
    'hub.tree': (p) => hub.tree(p),
    'hub.pull': (req) => hub.pull(req),
    'hub.pulls': async () => hub.pulls(),
    'hub.cached': async () => hub.cached(),
    'hub.settings': async () => hub.settings(),
    'hub.setToken': async ({ token }) => hub.setToken(token),
    'hub.browse': async ({ dir }) => hub.browse(dir),
  };
}
