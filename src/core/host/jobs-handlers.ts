import type { ContractHandlers } from '#shared/contract.ts';
import type { CoreServices } from './services.ts';

/** Requests about jobs. */
export type JobsHandlers = Pick<ContractHandlers, 'jobs.list' | 'jobs.cancel' | 'jobs.retry'>;

/** Handlers of the `jobs.*` requests. */
export function jobsHandlers(core: CoreServices): JobsHandlers {
  return {
    'jobs.list': async ({ states }) => core.jobs.list(states),
    'jobs.cancel': async ({ job }) => core.jobs.cancel(job),
    'jobs.retry': ({ job, remedy }) => core.jobs.retry(job, remedy),
  };
}
