import type { ContractHandlers } from '../../shared/contract.ts';
import type { annotationRequests, ImportedExplanation } from '../../shared/annotation-types.ts';
import { parseNeuronpediaId } from '../../shared/neuronpedia.ts';
import { AppError } from '../../shared/reply.ts';
import type { CoreServices } from '../app/services.ts';
import { workspaceIdentity } from './identity.ts';
import { annotationStore, workspaceSaeKey } from './service.ts';
import { neuronpediaInfo, resolveSaeTarget } from './target.ts';
import { exportFile, importFile } from './transfer.ts';

/** Handlers of every request declared in src/shared/annotation-types.ts. */
export type AnnotationHandlers = Pick<ContractHandlers, keyof typeof annotationRequests>;

/**
 * Builds this area's handlers for one core instance: annotations of the workspace SAE (or
 * of an SAE named by path), kept in `<data>/annotations.sqlite` under the SAE's weights hash.
 */
export function annotationHandlers(core: CoreServices): AnnotationHandlers {
  const store = () => annotationStore(core);
  return {
    'annotation.identity': async () => {
      const id = await workspaceIdentity(core);
      store().rememberSae(id);
      return id;
    },
    'annotation.get': async ({ feature }) => store().get(await workspaceSaeKey(core), feature),
    'annotation.set': async ({ feature, ...patch }) => {
      const key = await workspaceSaeKey(core);
      // the width is known once the engine is loaded; before that, any id is accepted
      const dSae = (await core.workspace.info()).engine?.dSae;
      if (dSae !== undefined && feature >= dSae) {
        throw new AppError('bad_request', `feature ${feature} is out of range: this SAE has features 0–${dSae - 1}`);
      }
      return store().set(key, feature, patch);
    },
    'annotation.all': async () => store().all(await workspaceSaeKey(core)),
    'annotation.lists': async () => store().lists(await workspaceSaeKey(core)),
    'annotation.explanations': async ({ feature }) =>
      store()
        .explanations.forFeature(await workspaceSaeKey(core), feature)
        .map(({ extra: _extra, ...e }): ImportedExplanation => e),
    'annotation.neuronpediaId': async ({ sae }) => neuronpediaInfo(store(), await resolveSaeTarget(core, sae)),
    'annotation.setNeuronpediaId': async ({ neuronpediaId, sae }) => {
      const target = await resolveSaeTarget(core, sae);
      store().setNeuronpediaId(target.identity.saeHash, neuronpediaId === null ? null : parseNeuronpediaId(neuronpediaId));
      return neuronpediaInfo(store(), target);
    },
    'annotation.export': async (p) => exportFile(core, store(), p),
    'annotation.import': async (p) => importFile(core, store(), p),
  };
}
