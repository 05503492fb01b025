/**
 * Which SAE annotations belong to: the SHA-256 of its weights file, found by the same rules
 * the SAE loader uses, hashed once per (path, size, mtime) through the variant cache's memo
 * (which the engine fills when it builds the spliced graph, so this is usually free).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { SaeIdentity } from '#shared/annotation-types.ts';
import { AppError } from '#shared/reply.ts';
import { graphCacheDir } from '../kernel/data-dir.ts';
import type { Kernel } from '../kernel/kernel.ts';
import type { WorkspaceService } from '../workspace/service.ts';
import { hashFile } from '../model/variant-cache.ts';

/** Weights file names, in the loader's order (SAELens / switch, sparsify, Gemma Scope). */
const WEIGHTS = ['sae_weights.safetensors', 'sae.safetensors', 'params.npz'] as const;

/**
 * The weights file of an SAE folder or file, as loadSae picks it: a `.npz` or weights file
 * named directly, `cfg.json`'s folder, else the first weights name present in the folder,
 * following a folder whose only content is one subfolder.
 */
export function saeWeightsFile(pathOrFile: string): string {
  const p = path.resolve(pathOrFile);
  if (!fs.existsSync(p)) throw new AppError('not_found', `${p}: no such SAE file or folder`);
  let dir = p;
  if (fs.statSync(p).isFile()) {
    const base = path.basename(p);
    if (base.endsWith('.npz') || base !== 'cfg.json') return p;
    dir = path.dirname(p);
  }
  for (let depth = 0; depth <= 6; depth++) {
    for (const name of WEIGHTS) {
      const f = path.join(dir, name);
      if (fs.existsSync(f)) return f;
    }
    const sub = fs.readdirSync(dir, { withFileTypes: true }).filter((d) => d.isDirectory() && !d.name.startsWith('.'));
    if (sub.length !== 1) break;
    dir = path.join(dir, sub[0]!.name);
  }
  throw new AppError('not_found', `${p}: no SAE weights found (looked for ${WEIGHTS.join(', ')})`);
}

/** The identity hash of the SAE at a path (SHA-256 of its weights file, memoised on disk under `cacheDir`). */
export function saeHash(saePath: string, cacheDir: string): string {
  return hashFile(saeWeightsFile(saePath), cacheDir);
}

/** What annotations use of the kernel and the workspace. */
export interface AnnotationCore extends Pick<Kernel, 'data' | 'files'> {
  readonly workspace: Pick<WorkspaceService, 'info' | 'currentEngine'>;
}

/** Where hashes are memoised: the graph cache the engine uses, so each file is hashed once. */
export function hashCacheDir(core: Pick<Kernel, 'data'>): string {
  return graphCacheDir(core.data.dir);
}

/** The workspace's SAE path, or an `unavailable` error when nothing is open. */
export async function workspaceSaePath(core: { readonly workspace: Pick<WorkspaceService, 'info'> }): Promise<{ model: string; sae: string; hook?: string }> {
  const sel = (await core.workspace.info()).selection;
  if (!sel) throw new AppError('unavailable', 'no model is open: choose a model and an SAE in Models first');
  return sel;
}

/** The folder name that names a model or SAE (a file's folder when a file was chosen). */
export function folderName(p: string): string {
  const r = path.resolve(p);
  return path.basename(fs.existsSync(r) && fs.statSync(r).isFile() ? path.dirname(r) : r);
}

/** The workspace SAE's full identity (loads the engine for its hook and width). */
export async function workspaceIdentity(core: Pick<AnnotationCore, 'workspace' | 'data'>): Promise<SaeIdentity> {
  const sel = await workspaceSaePath(core);
  const engine = await core.workspace.currentEngine();
  return {
    model: path.resolve(sel.model),
    sae: path.resolve(sel.sae),
    hook: engine.hook,
    saeHash: saeHash(sel.sae, hashCacheDir(core)),
    dSae: engine.sae.config.dSae,
  };
}
