import type { ContractHandlers } from '../../shared/contract.ts';
import type { annotationRequests } from '../../shared/annotation-types.ts';
import { AppError } from '../../shared/reply.ts';
import type { CoreServices } from '../app/services.ts';
import { exportAnnotations } from './export.ts';
import { workspaceIdentity } from './identity.ts';
import { checkSameSae, importWarning, parseImport } from './import.ts';
import { annotationStore, workspaceSaeKey } from './service.ts';

/** Handlers of every request declared in src/shared/annotation-types.ts. */
export type AnnotationHandlers = Pick<ContractHandlers, keyof typeof annotationRequests>;

/**
 * Builds this area's handlers for one core instance: annotations of the workspace SAE, kept
 * in `<data>/annotations.sqlite` under the SAE's weights hash.
 */
export function annotationHandlers(core: CoreServices): AnnotationHandlers {
  const store = () => annotationStore(core);
  const identity = async () => {
    const id = await workspaceIdentity(core);
    store().rememberSae(id);
    return id;
  };
  return {
    'annotation.identity': identity,
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
    'annotation.export': async ({ format }) => {
      const id = await identity();
      return exportAnnotations(format, id, store().all(id.saeHash));
    },
    'annotation.import': async ({ content, force }) => {
      const file = parseImport(content);
      const id = await identity();
      checkSameSae(file.identity, id, force === true);
      const inRange = file.annotations.filter((a) => a.feature < id.dSae);
      const result = store().merge(id.saeHash, inRange);
      return { ...result, warning: importWarning(file.identity, id, file.annotations.length - inRange.length) };
    },
  };
}
