import type { ContractHandlers } from '../../shared/contract.ts';
import type { annotationRequests } from '../../shared/annotation-types.ts';
import type { CoreServices } from '../app/services.ts';

/** Handlers of every request declared in src/shared/annotation-types.ts. */
export type AnnotationHandlers = Pick<ContractHandlers, keyof typeof annotationRequests>;

/** Builds this area's handlers for one core instance. */
export function annotationHandlers(core: CoreServices): AnnotationHandlers {
  void core;
  return {};
}
