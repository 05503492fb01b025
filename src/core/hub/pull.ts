/**
 * A pull: the files of one SAE folder or one ONNX model from a hub repo into the HF cache,
 * as huggingface_hub's hf_hub_download would store them. Files already in the cache are
 * used as they are; when the hub cannot be reached, the cache alone answers if it can.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { HubPullResult } from '#shared/hub-types.ts';
import { AppError } from '#shared/reply.ts';
import { externalFiles, readModel } from '../model/onnx/proto.ts';
import { RepoCache } from './cache.ts';
import { HubClient, type TreeEntry } from './client.ts';
import type { HubConfig } from './env.ts';
import { HubUnreachableError } from './errors.ts';
import { FilePuller } from './pull-files.ts';
import { checkRequestedPath, checkRevision } from './safe-names.ts';
import { selectFiles, type ListedFile, type Selection } from './select.ts';
import type { PullHooks, PullRequest } from './pull-types.ts';
import { filesUnder } from './walk.ts';

export type { PullHooks, PullRequest, PullState } from './pull-types.ts';

/** Files that name themselves as files (so a pull of `onnx/model.onnx` lists its folder, not a folder of that name). */
const FILE_PATH = /\.(onnx|json|safetensors|npz|onnx_data)$/;

/** `a/b/` → `a/b`; `/` and `.` → ''. */
export function normalizeRepoPath(p: string | undefined): string {
  return (p ?? '')
    .split('/')
    .filter((s) => s !== '' && s !== '.')
    .join('/');
}

const parent = (p: string): string => (p.includes('/') ? p.slice(0, p.lastIndexOf('/')) : '');

/** The folder to list for `base`: the base itself, or for a file path the folder it belongs to. */
function listingRoot(base: string): string {
  if (!FILE_PATH.test(base)) return base;
  const dir = parent(base);
  // an ONNX file in onnx/ takes its config and tokenizer from the folder above
  return base.endsWith('.onnx') && dir.split('/').pop() === 'onnx' ? parent(dir) : dir;
}

/** Every file under `root` in a snapshot folder (symlinks followed; dangling ones skipped). */
function localListing(snapshot: string, root: string): ListedFile[] {
  const prefix = root.split('/').filter(Boolean).join('/');
  return filesUnder(path.join(snapshot, ...prefix.split('/'))).map((f) => ({
    path: prefix ? `${prefix}/${f.path}` : f.path,
    size: f.size,
  }));
}

/**
 * The files a pull chooses from: everything under `base` (or, for a file, under its folder).
 * A path the hub cannot list as a folder may be a file: its folder's listing is used then.
 */
async function listRemote(
  client: HubClient,
  repo: string,
  commit: string,
  base: string,
  revision: string,
  signal: AbortSignal,
): Promise<TreeEntry[]> {
  const files = (entries: TreeEntry[]): TreeEntry[] => entries.filter((e) => e.type === 'file');
  try {
    return files(await client.tree(repo, commit, listingRoot(base), true, signal, revision));
  } catch (e) {
    if (!(e instanceof AppError) || e.code !== 'not_found' || !base || FILE_PATH.test(base)) throw e;
    const siblings = await client.tree(repo, commit, parent(base), false, signal, revision).catch(() => []);
    if (!siblings.some((s) => s.type === 'file' && s.path === base)) throw e;
    return files(siblings);
  }
}

/** A `bad_request` naming the revision or path of a pull that could lead outside the repo's cache folder. */
function checkPullRequest(req: PullRequest, revision: string, base: string): void {
  checkRevision(revision, req.repo);
  if (base) checkRequestedPath(base, req.repo);
  if (req.onnxFile !== undefined) checkRequestedPath(normalizeRepoPath(req.onnxFile), req.repo);
}

/** Where a pull's files are described: `org/name:path @ rev`. */
export function describePull(repo: string, base: string, revision: string): string {
  return `${repo}${base ? `:${base}` : ''}${revision === 'main' ? '' : ` @ ${revision}`}`;
}

/**
 * Answers a pull from the cache alone: the revision's commit from `refs/` (or the commit
 * itself), and every selected file present in its snapshot. Null when something is missing.
 */
export function pullFromCache(config: HubConfig, req: PullRequest): HubPullResult | null {
  const revision = req.revision ?? 'main';
  const base = normalizeRepoPath(req.path);
  checkPullRequest(req, revision, base);
  const cache = new RepoCache(config.cacheDir, req.repo);
  const commit = cache.readRef(revision);
  if (!commit) return null;
  const snapshot = cache.snapshot(commit);
  const listing = localListing(snapshot, base && cache.cached(commit, base) ? parent(base) : listingRoot(base));
  let sel: Selection;
  try {
    sel = selectFiles(listing, base, describePull(req.repo, base, revision), req.kind, req.onnxFile);
  } catch {
    return null;
  }
  if (!sel.files.every((f) => cache.cached(commit, f))) return null;
  return pullResult(cache, revision, commit, sel, sel.files, { downloaded: 0, cachedFiles: sel.files.length, offline: true });
}

/** A finished pull of `files` (in the snapshot of `commit`): what to open, and the byte count of the files. */
function pullResult(
  cache: RepoCache,
  revision: string,
  commit: string,
  sel: Selection,
  files: readonly string[],
  how: Pick<HubPullResult, 'downloaded' | 'cachedFiles' | 'offline'>,
): HubPullResult {
  const snapshot = cache.snapshot(commit);
  return {
    repo: cache.repo,
    revision,
    commit,
    kind: sel.kind,
    path: sel.open ? cache.pointer(commit, sel.open) : snapshot,
    snapshot,
    files,
    bytes: files.reduce((a, f) => a + fs.statSync(cache.pointer(commit, f)).size, 0),
    ...how,
  };
}
/** Pulls an SAE folder or an ONNX model into the HF cache; resolves with where it is. */
export async function pullFromHub(config: HubConfig, req: PullRequest, hooks: PullHooks): Promise<HubPullResult> {
  const revision = req.revision ?? 'main';
  const base = normalizeRepoPath(req.path);
  const where = describePull(req.repo, base, revision);
  const log = hooks.log ?? (() => {});
  checkPullRequest(req, revision, base);

  if (config.offline) {
    const hit = pullFromCache(config, req);
    if (hit) return hit;
    throw new AppError('unavailable', `HF_HUB_OFFLINE is set and ${where} is not in the HF cache (${config.cacheDir})`);
  }

  const client = new HubClient(config);
  const cache = new RepoCache(config.cacheDir, req.repo);
  const remote = await listOrCache(config, req, client, base, revision, where, hooks);
  if ('cached' in remote) return remote.cached;
  const { commit, listing } = remote;

  const sel = selectFiles(listing, base, where, req.kind, req.onnxFile);
  cache.writeRef(revision, commit);
  const puller = new FilePuller(client, cache, req, hooks, revision, commit, listing, sel);
  const planned = sel.files.map((f) => ({ file: f, ...puller.plan(f) }));
  puller.t.emit();
  log('info', `${where}: ${sel.files.length} files at ${commit.slice(0, 10)}, ${puller.cachedFiles} cached`);
  await puller.fetchAll(planned);

  // external data a model names but its file names did not give away
  const files = [...sel.files];
  if (sel.onnx) {
    const extra = missingExternalData(cache, commit, sel.onnx, listing, files, where);
    if (extra.length) {
      files.push(...extra);
      await puller.fetchAll(extra.map((f) => ({ file: f, ...puller.plan(f) })));
    }
  }

  return pullResult(cache, revision, commit, sel, files, { downloaded: puller.t.done, cachedFiles: puller.cachedFiles, offline: false });
}

/**
 * The revision's commit and the files to choose from, asked of the hub; when the hub cannot be
 * reached, the pull answered from the cache alone (or a HubUnreachableError saying it cannot be).
 */
async function listOrCache(
  config: HubConfig,
  req: PullRequest,
  client: HubClient,
  base: string,
  revision: string,
  where: string,
  hooks: PullHooks,
): Promise<{ readonly commit: string; readonly listing: TreeEntry[] } | { readonly cached: HubPullResult }> {
  const log = hooks.log ?? (() => {});
  try {
    const commit = await client.commitOf(req.repo, revision, hooks.signal);
    const listing = await listRemote(client, req.repo, commit, base, revision, hooks.signal);
    return { commit, listing };
  } catch (e) {
    if (!(e instanceof HubUnreachableError) || hooks.signal.aborted) throw e;
    const hit = pullFromCache(config, req);
    if (hit) {
      log('warn', `${e.message}; using ${where} from the HF cache`);
      return { cached: hit };
    }
    throw new HubUnreachableError(`${e.message}, and ${where} is not in the HF cache (${config.cacheDir})`);
  }
}

/**
 * Reads the downloaded ONNX file for the external-data files it refers to and returns those
 * not fetched yet. Skipped when its folder holds nothing else that could be data.
 */
function missingExternalData(
  cache: RepoCache,
  commit: string,
  onnx: string,
  listing: readonly TreeEntry[],
  have: readonly string[],
  where: string,
): string[] {
  const dir = parent(onnx);
  const others = listing.filter(
    (e) => parent(e.path) === dir && !e.path.endsWith('.onnx') && !e.path.endsWith('.json') && !have.includes(e.path),
  );
  if (!others.length) return [];
  const file = cache.pointer(commit, onnx);
  const { model } = readModel(file);
  const names = new Set(listing.map((e) => e.path));
  const out: string[] = [];
  for (const rel of externalFiles(model)) {
    const p = [dir, ...rel.split(/[\\/]/)].filter(Boolean).join('/');
    if (have.includes(p)) continue;
    if (!names.has(p)) throw new AppError('not_found', `${onnx} refers to external data "${rel}", which is not in ${where}`);
    out.push(p);
  }
  return out;
}
