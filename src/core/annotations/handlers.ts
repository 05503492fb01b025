import type { ContractHandlers } from '../../shared/contract.ts';
import type { annotationRequests } from '../../shared/annotation-types.ts';
import { AppError } from '../../shared/reply.ts';
import type { CoreServices } from '../app/services.ts';

/** Handlers of every request declared in src/shared/annotation-types.ts. */
export type AnnotationHandlers = Pick<ContractHandlers, keyof typeof annotationRequests>;

/** Builds this area's handlers for one core instance. */
export function annotationHandlers(core: CoreServices): AnnotationHandlers {
  void core;
  const todo = (name: string) => () => Promise.reject(new AppError('unavailable', `${name} is being built`));
  return {
    'annotation.identity': todo('annotation.identity'),
    'annotation.get': todo('annotation.get'),
    'annotation.set': todo('annotation.set'),
    'annotation.all': todo('annotation.all'),
    'annotation.lists': todo('annotation.lists'),
    'annotation.export': todo('annotation.export'),
    'annotation.import': todo('annotation.import'),
  };
}
