import path from 'node:path';
import type { CoreServices } from '../app/services.ts';
import { hashCacheDir, saeHash, workspaceSaePath } from './identity.ts';
import { AnnotationStore } from './store.ts';

const stores = new WeakMap<object, AnnotationStore>();

/**
 * The annotations database of a core (`<data>/annotations.sqlite`), opened on first use and
 * closed with core; shared by the annotation and explorer handlers.
 */
export function annotationStore(core: Pick<CoreServices, 'data' | 'onClose'>): AnnotationStore {
  let s = stores.get(core);
  if (!s) {
    const store = new AnnotationStore(path.join(core.data.dir, 'annotations.sqlite'));
    stores.set(core, store);
    core.onClose(() => {
      stores.delete(core);
      store.close();
    });
    s = store;
  }
  return s;
}

/** The hash annotations of the workspace SAE are stored under (no engine needed). */
export async function workspaceSaeKey(core: Pick<CoreServices, 'workspace' | 'data'>): Promise<string> {
  const sel = await workspaceSaePath(core);
  return saeHash(sel.sae, hashCacheDir(core));
}
