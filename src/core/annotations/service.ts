import path from 'node:path';
import type { AnnotationExport, AnnotationImportResult, ImportedExplanation, SaeIdentity } from '#shared/annotation-types.ts';
import type { Payload } from '#shared/contract.ts';
import { parseNeuronpediaId } from '#shared/neuronpedia.ts';
import { AppError } from '#shared/reply.ts';
import type { Kernel } from '../kernel/kernel.ts';
import { hashCacheDir, saeHash, workspaceIdentity, workspaceSaePath, type AnnotationCore } from './identity.ts';
import { AnnotationStore } from './store.ts';
import { neuronpediaInfo, resolveSaeTarget } from './target.ts';
import { exportFile, importFile } from './transfer.ts';

/** What the annotation service is built from. */
export type AnnotationServiceDeps = AnnotationCore & Pick<Kernel, 'onClose'>;

/**
 * Annotations for one core: the annotations database (`<data>/annotations.sqlite`, opened on
 * first use and closed with core), shared by annotations, the explorer and autointerp; rows
 * are kept under the SAE's weights hash.
 */
export class AnnotationService {
  #store: AnnotationStore | undefined;

  constructor(private readonly core: AnnotationServiceDeps) {
    core.onClose(() => {
      this.#store?.close();
      this.#store = undefined;
    });
  }

  /** The annotations database (opened on first use). */
  store(): AnnotationStore {
    return (this.#store ??= new AnnotationStore(path.join(this.core.data.dir, 'annotations.sqlite')));
  }

  /** The hash annotations of the SAE at a path are stored under. */
  saeKey(saePath: string): string {
    return saeHash(saePath, hashCacheDir(this.core));
  }

  /** The hash annotations of the workspace SAE are stored under (no engine needed). */
  async workspaceSaeKey(): Promise<string> {
    const sel = await workspaceSaePath(this.core);
    return this.saeKey(sel.sae);
  }

  /** The workspace SAE's identity, remembered in the store. */
  async identity(): Promise<SaeIdentity> {
    const id = await workspaceIdentity(this.core);
    this.store().rememberSae(id);
    return id;
  }

  async get(feature: number): Promise<ReturnType<AnnotationStore['get']>> {
    return this.store().get(await this.workspaceSaeKey(), feature);
  }

  /** Sets a feature's annotation; the id is checked against the SAE's width once the engine is loaded. */
  async set(feature: number, patch: Omit<Payload<'annotation.set'>, 'feature'>): Promise<ReturnType<AnnotationStore['set']>> {
    const key = await this.workspaceSaeKey();
    // the width is known once the engine is loaded; before that, any id is accepted
    const dSae = (await this.core.workspace.info()).engine?.dSae;
    if (dSae !== undefined && feature >= dSae) {
      throw new AppError('bad_request', `feature ${feature} is out of range: this SAE has features 0–${dSae - 1}`);
    }
    return this.store().set(key, feature, patch);
  }

  async all(): Promise<ReturnType<AnnotationStore['all']>> {
    return this.store().all(await this.workspaceSaeKey());
  }

  async lists(): Promise<ReturnType<AnnotationStore['lists']>> {
    return this.store().lists(await this.workspaceSaeKey());
  }

  /** A feature's imported explanations (without their source rows' extra fields). */
  async explanations(feature: number): Promise<ImportedExplanation[]> {
    return this.store()
      .explanations.forFeature(await this.workspaceSaeKey(), feature)
      .map(({ extra: _extra, ...e }): ImportedExplanation => e);
  }

  /** The Neuronpedia ids of an SAE (a path, or the workspace's). */
  async neuronpediaId(sae: string | undefined): Promise<ReturnType<typeof neuronpediaInfo>> {
    return neuronpediaInfo(this.store(), await resolveSaeTarget(this.core, sae));
  }

  /** Sets (or with null forgets) the Neuronpedia id an SAE's rows are matched by. */
  async setNeuronpediaId(neuronpediaId: string | null, sae: string | undefined): Promise<ReturnType<typeof neuronpediaInfo>> {
    const target = await resolveSaeTarget(this.core, sae);
    this.store().setNeuronpediaId(target.identity.saeHash, neuronpediaId === null ? null : parseNeuronpediaId(neuronpediaId));
    return neuronpediaInfo(this.store(), target);
  }

  exportFile(p: Payload<'annotation.export'>): Promise<AnnotationExport> {
    return exportFile(this.core, this.store(), p);
  }

  importFile(p: Payload<'annotation.import'>): Promise<AnnotationImportResult> {
    return importFile(this.core, this.store(), p);
  }
}
