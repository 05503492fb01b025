/**
 * Which SAE an annotation request is about: the workspace's, or one named by path (the CLI's
 * `--sae PATH`, resolved through the file-access policy), with its identity, its own
 * Neuronpedia ids (cfg.json `neuronpedia_id`, else the catalog of known releases) and a name
 * for exported files.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { NeuronpediaIdInfo, SaeIdentity } from '#shared/annotation-types.ts';
import { parseNeuronpediaId, type NeuronpediaId } from '#shared/neuronpedia.ts';
import { AppError } from '#shared/reply.ts';
import { hfCacheLocation, releaseFactsForSaePath } from '../hub/release-facts.ts';
import { loadSae } from '../sae/load.ts';
import { folderName, hashCacheDir, saeHash, saeWeightsFile, workspaceIdentity, type AnnotationCore } from './identity.ts';
import type { AnnotationStore } from './store.ts';
import { errorMessage } from '#shared/error-message.ts';

/** An SAE annotations are read or written for. */
export interface SaeTarget {
  readonly identity: SaeIdentity;
  /** The ids its cfg.json or the catalog gives it. */
  readonly ownNeuronpediaId: NeuronpediaId | null;
}

/** The config facts of an SAE named by path, loaded once per weights file version. */
let loaded: { key: string; hook: string; dSae: number; neuronpediaId: string | undefined } | undefined;

function saeFacts(saePath: string): { hook: string; dSae: number; neuronpediaId: string | undefined } {
  const weights = saeWeightsFile(saePath);
  const st = fs.statSync(weights);
  const key = `${path.resolve(saePath)}|${weights}|${st.size}|${st.mtimeMs}`;
  if (loaded?.key !== key) {
    let sae;
    try {
      sae = loadSae(saePath, { release: releaseFactsForSaePath(saePath) });
    } catch (e) {
      throw new AppError('bad_request', errorMessage(e));
    }
    loaded = { key, hook: sae.config.hookName ?? '', dSae: sae.config.dSae, neuronpediaId: sae.config.neuronpediaId };
  }
  return loaded;
}

/** The SAE a request names (`sae`, a path), or the workspace's when it names none. */
export async function resolveSaeTarget(core: AnnotationCore, sae: string | undefined): Promise<SaeTarget> {
  const selection = (await core.workspace.info()).selection;
  const file = sae === undefined ? undefined : core.files.resolveRead(sae, 'SAE');
  if (file === undefined || (selection && path.resolve(selection.sae) === file)) {
    const identity = await workspaceIdentity(core);
    const engine = await core.workspace.currentEngine();
    const own = engine.sae.config.neuronpediaId;
    return { identity, ownNeuronpediaId: own ? parseNeuronpediaId(own) : null };
  }
  const facts = saeFacts(file);
  return {
    identity: { model: '', sae: file, hook: facts.hook, saeHash: saeHash(file, hashCacheDir(core)), dSae: facts.dSae },
    ownNeuronpediaId: facts.neuronpediaId ? parseNeuronpediaId(facts.neuronpediaId) : null,
  };
}

/** The Neuronpedia ids in effect for an SAE: the user's when set, else its own. */
export function neuronpediaInfo(store: AnnotationStore, target: SaeTarget): NeuronpediaIdInfo {
  const user = store.neuronpediaId(target.identity.saeHash);
  const own = target.ownNeuronpediaId;
  return { id: user ?? own, source: user ? 'user' : own ? 'sae' : null, fromSae: own };
}

/** A name safe in file names. */
export function slug(s: string): string {
  return s.replace(/[^\w.-]+/g, '-').replace(/^[-.]+|[-.]+$/g, '') || 'sae';
}

/**
 * The stem of an export's file name: the Neuronpedia ids (`gpt2-small_8-res-jb`), else the
 * repo and folder of an SAE in the HF cache, else the SAE's folder name.
 */
export function exportStem(identity: SaeIdentity, id: NeuronpediaId | null): string {
  if (id) return `${slug(id.modelId)}_${slug(id.layer)}`;
  const where = hfCacheLocation(identity.sae);
  if (where) {
    const repo = where.repo.split('/').pop() ?? where.repo;
    return slug(where.pathInRepo ? `${repo}_${where.pathInRepo}` : repo);
  }
  return slug(folderName(identity.sae));
}
