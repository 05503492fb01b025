import type { ContractHandlers } from '#shared/contract.ts';
import type { steerRequests } from '#shared/steer-types.ts';
import { exportSession, importSession } from './exchange.ts';
import type { SteerService } from './service.ts';

export { maxPositions } from './service.ts';

/** Handlers of every request declared in src/shared/steer-types.ts. */
export type SteerHandlers = Pick<ContractHandlers, keyof typeof steerRequests>;

/** This area's handlers for one core instance: thin adapters over the core's SteerService. */
export function steerHandlers(steer: SteerService): SteerHandlers {
  return {
    'steer.run': (p) => steer.start(p),
    'steer.cancel': ({ run }) => steer.cancel(run),
    'steer.feature': ({ id }) => steer.feature(id),
    'steer.tokenize': (p) => steer.tokenize(p),
    'steer.chatInfo': () => steer.chatInfo(),
    'session.list': async () => steer.sessions().list(),
    'session.get': async ({ id }) => steer.sessions().get(id),
    'session.rename': async ({ id, name }) => steer.sessions().rename(id, name),
    'session.delete': ({ id }) => steer.delete(id),
    'session.export': async ({ id }) => exportSession(steer.sessions().get(id)),
    'session.import': async ({ data }) => {
      const s = importSession(data);
      steer.sessions().insert(s);
      return steer.sessions().get(s.id);
    },
  };
}
