/**
 * What the catalog knows about an SAE on disk: a folder of a known release's repo in the HF
 * cache (`<cache>/models--org--name/snapshots/<commit>/<path in repo>`) maps to its release,
 * and the release's facts (SAELens's `model_from_pretrained_kwargs`, the Neuronpedia id) go
 * to the SAE loader, where the SAE's own cfg.json still wins.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { CatalogEntry, ModelKwargValue } from '#shared/hub-types.ts';
import { COMMIT_HASH, repoFromFolderName } from './cache.ts';
import { catalog, findCatalogSae } from './catalog.ts';

/** Where a path lies in the HF cache. */
export interface HfCacheLocation {
  /** The repo id, as the cache folder spells it (`org/name`). */
  readonly repo: string;
  readonly commit: string;
  /** `/`-separated path inside the repo ('' for the snapshot root). */
  readonly pathInRepo: string;
}

/** The catalog's facts about one SAE of a known release. */
export interface ReleaseFacts {
  /** SAELens release name, e.g. `gpt2-small-res-jb`. */
  readonly release: string;
  /** The SAE's folder inside the release's repo. */
  readonly pathInRepo: string;
  /** The hook the release lists for it. */
  readonly hook: string;
  /** How the model must be loaded for this SAE (e.g. `center_writing_weights`), when the release says. */
  readonly modelFromPretrainedKwargs?: Readonly<Record<string, ModelKwargValue>>;
  /** Its Neuronpedia id (`model/source`, e.g. `gpt2-small/8-res-jb`), when the release lists one. */
  readonly neuronpediaId?: string;
}

/** Files that make a folder an SAE, in any layout loadSae reads. */
const SAE_FILES = ['cfg.json', 'sae_weights.safetensors', 'sae.safetensors', 'params.npz', 'hyperparams.json', 'config.json', 'ae.pt'];
/** How many lone subfolders are followed, as loadSae follows them. */
const MAX_FOLLOW = 6;

/**
 * Where `p` lies in an HF cache (any cache folder: only the `models--…/snapshots/<commit>/`
 * part of the path counts), or undefined when it is not inside a snapshot.
 */
export function hfCacheLocation(p: string): HfCacheLocation | undefined {
  const parts = path.resolve(p).split(/[\\/]+/);
  for (let i = parts.length - 3; i >= 0; i--) {
    const repo = repoFromFolderName(parts[i] ?? '');
    const commit = parts[i + 2] ?? '';
    if (repo && parts[i + 1] === 'snapshots' && COMMIT_HASH.test(commit)) {
      return { repo, commit, pathInRepo: parts.slice(i + 3).join('/') };
    }
  }
  return undefined;
}

/**
 * The folder loadSae reads for `p`: the folder of an SAE file, or, from a folder with no SAE
 * files and exactly one subfolder (Gemma Scope's `layer_N/width_W/average_l0_K`), that subfolder.
 */
function saeFolder(p: string): string {
  let dir = path.resolve(p);
  try {
    if (fs.statSync(dir).isFile()) return path.dirname(dir);
    for (let i = 0; i < MAX_FOLLOW; i++) {
      const entries = fs.readdirSync(dir, { withFileTypes: true });
      if (entries.some((e) => SAE_FILES.includes(e.name))) break;
      const subs = entries.filter((e) => e.isDirectory() && !e.name.startsWith('.'));
      if (subs.length !== 1 || !subs[0]) break;
      dir = path.join(dir, subs[0].name);
    }
  } catch {
    // unreadable or missing: the path as given
  }
  return dir;
}

/**
 * False when the folder's cfg.json names a `d_in` other than the release's: a copy of the
 * repo that holds other SAEs (a test hub, a fork) gets none of the release's facts.
 */
function widthAgrees(dir: string, entry: CatalogEntry): boolean {
  let cfg: unknown;
  try {
    cfg = JSON.parse(fs.readFileSync(path.join(dir, 'cfg.json'), 'utf8'));
  } catch {
    return true; // no cfg.json (Gemma Scope) or unreadable: the loader will say
  }
  const dIn = typeof cfg === 'object' && cfg !== null && 'd_in' in cfg ? cfg.d_in : undefined;
  return typeof dIn !== 'number' || dIn === entry.dIn;
}

/**
 * The catalog's facts about the SAE at `p` (a folder or file inside a snapshot of the HF
 * cache), or undefined when it is not an SAE of a known release. Pass the result to
 * `loadSae(p, { release })`.
 */
export function releaseFactsForSaePath(p: string, entries: readonly CatalogEntry[] = catalog): ReleaseFacts | undefined {
  const dir = saeFolder(p);
  const where = hfCacheLocation(dir);
  if (!where) return undefined;
  const match = findCatalogSae(where.repo, where.pathInRepo, entries);
  if (!match || !widthAgrees(dir, match.entry)) return undefined;
  const { entry, sae } = match;
  const neuronpediaId = entry.neuronpediaIds?.[where.pathInRepo];
  return {
    release: entry.name,
    pathInRepo: where.pathInRepo,
    hook: sae.hook,
    ...(entry.modelFromPretrainedKwargs ? { modelFromPretrainedKwargs: entry.modelFromPretrainedKwargs } : {}),
    ...(neuronpediaId ? { neuronpediaId } : {}),
  };
}
