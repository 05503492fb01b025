import type { ContractHandlers } from '#shared/contract.ts';
import type { CoreServices } from './services.ts';
import { appStatus } from './status.ts';

/** Requests about the app itself. */
export type AppHandlers = Pick<ContractHandlers, 'app.status'>;

/** Handlers of the `app.*` requests. */
export function appHandlers(core: CoreServices): AppHandlers {
  return {
    'app.status': () => appStatus(core.host, core.data),
  };
}
