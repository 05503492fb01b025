import type { ContractHandlers } from '#shared/contract.ts';
import type { annotationRequests } from '#shared/annotation-types.ts';
import type { AnnotationService } from './service.ts';

/** Handlers of every request declared in src/shared/annotation-types.ts. */
export type AnnotationHandlers = Pick<ContractHandlers, keyof typeof annotationRequests>;

/**
 * Builds this area's handlers over the core's AnnotationService: annotations of the workspace
 * SAE (or of an SAE named by path), kept in `<data>/annotations.sqlite` under the SAE's weights hash.
 */
export function annotationHandlers(annotations: AnnotationService): AnnotationHandlers {
  return {
    'annotation.identity': () => annotations.identity(),
    'annotation.get': ({ feature }) => annotations.get(feature),
    'annotation.set': ({ feature, ...patch }) => annotations.set(feature, patch),
    'annotation.all': () => annotations.all(),
    'annotation.lists': () => annotations.lists(),
    'annotation.explanations': ({ feature }) => annotations.explanations(feature),
    'annotation.neuronpediaId': ({ sae }) => annotations.neuronpediaId(sae),
    'annotation.setNeuronpediaId': ({ neuronpediaId, sae }) => annotations.setNeuronpediaId(neuronpediaId, sae),
    'annotation.export': (p) => annotations.exportFile(p),
    'annotation.import': (p) => annotations.importFile(p),
  };
}
