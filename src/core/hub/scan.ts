/**
 * What the HF cache holds that the app can open: ONNX model folders and SAE folders in every
 * snapshot of every model repo, whoever downloaded them (this app or Python tools).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { HubCachedItem, HubKind } from '#shared/hub-types.ts';
import { COMMIT_HASH, RepoCache, repoFromFolderName } from './cache.ts';

/** How deep inside a snapshot folders are looked at. */
const MAX_DEPTH = 8;
/** At most this many items are reported (a cache can be large). */
const MAX_ITEMS = 500;

const SAE_LAYOUTS = [['cfg.json', 'sae_weights.safetensors'], ['cfg.json', 'sae.safetensors'], ['params.npz']] as const;

/** Whether a folder's file names make it an SAE or a model folder (null: neither). */
export function folderKind(names: ReadonlySet<string>, onnxSub: boolean): HubKind | null {
  if (SAE_LAYOUTS.some((l) => l.every((f) => names.has(f)))) return 'sae';
  const hasOnnx = [...names].some((n) => n.endsWith('.onnx')) || onnxSub;
  if (hasOnnx && names.has('tokenizer.json')) return 'model';
  return null;
}

/** Names in a folder (files and folders; links followed); empty when unreadable. */
function names(dir: string): { files: Set<string>; dirs: string[] } {
  const files = new Set<string>();
  const dirs: string[] = [];
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return { files, dirs };
  }
  for (const e of entries) {
    if (e.isDirectory()) dirs.push(e.name);
    else if (e.isFile() || e.isSymbolicLink()) files.add(e.name);
  }
  return { files, dirs: dirs.sort() };
}

/** Files and bytes under a folder (recursively, links followed). */
function usage(dir: string, kind: HubKind): { files: number; bytes: number } {
  let files = 0;
  let bytes = 0;
  const walk = (d: string, depth: number): void => {
    const { files: fs_, dirs } = names(d);
    for (const f of fs_) {
      try {
        bytes += fs.statSync(path.join(d, f)).size;
        files++;
      } catch {
        // dangling link: not there
      }
    }
    // an SAE is its folder; a model folder also owns its onnx/ subfolder
    if (kind === 'model' && depth === 0) for (const sub of dirs.filter((x) => x === 'onnx')) walk(path.join(d, sub), 1);
  };
  walk(dir, 0);
  return { files, bytes };
}

/** The openable folders in the HF cache, repo by repo, newest snapshot first. */
export function scanCache(cacheDir: string): HubCachedItem[] {
  const out: HubCachedItem[] = [];
  let repos: string[];
  try {
    repos = fs
      .readdirSync(cacheDir)
      .filter((n) => repoFromFolderName(n) !== null)
      .sort();
  } catch {
    return [];
  }
  for (const folder of repos) {
    const repo = repoFromFolderName(folder) ?? folder;
    const cache = new RepoCache(cacheDir, repo);
    const refs = cache.refs();
    let commits: string[];
    try {
      commits = fs.readdirSync(path.join(cache.root, 'snapshots')).filter((c) => COMMIT_HASH.test(c));
    } catch {
      continue;
    }
    const mtime = (c: string): number => fs.statSync(cache.snapshot(c)).mtimeMs;
    commits.sort((a, b) => mtime(b) - mtime(a));
    for (const commit of commits) {
      const snap = cache.snapshot(commit);
      const refNames = [...refs].filter(([, c]) => c === commit).map(([r]) => r);
      const visit = (rel: string, depth: number): void => {
        if (out.length >= MAX_ITEMS) return;
        const dir = path.join(snap, ...rel.split('/').filter(Boolean));
        const { files, dirs } = names(dir);
        const onnxSub = dirs.includes('onnx') && [...names(path.join(dir, 'onnx')).files].some((n) => n.endsWith('.onnx'));
        const kind = folderKind(files, onnxSub);
        if (kind) {
          out.push({ repo, kind, commit, refs: refNames, path: dir, label: rel, ...usage(dir, kind) });
          if (kind === 'sae') return;
        }
        if (depth >= MAX_DEPTH) return;
        for (const d of dirs) if (!(kind === 'model' && d === 'onnx')) visit(rel ? `${rel}/${d}` : d, depth + 1);
      };
      visit('', 0);
    }
  }
  return out;
}
