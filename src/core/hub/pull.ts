/**
 * A pull: the files of one SAE folder or one ONNX model from a hub repo into the HF cache,
 * as huggingface_hub's hf_hub_download would store them. Files already in the cache are
 * used as they are; when the hub cannot be reached, the cache alone answers if it can.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { HubKind, HubPullFile, HubPullResult } from '../../shared/hub-types.ts';
import { AppError } from '../../shared/reply.ts';
import { externalFiles, readModel } from '../model/onnx/proto.ts';
import { RepoCache } from './cache.ts';
import { HubClient, type FileMetadata, type TreeEntry } from './client.ts';
import { blobMatches, downloadBlob } from './download.ts';
import type { HubConfig } from './env.ts';
import { HubUnreachableError } from './errors.ts';
import { BLOB_ETAG, checkRequestedPath, checkRevision } from './safe-names.ts';
import { selectFiles, type ListedFile, type Selection } from './select.ts';
import { filesUnder } from './walk.ts';

/** What to pull. */
export interface PullRequest {
  readonly repo: string;
  /** Folder or file inside the repo ('' or absent = the root). */
  readonly path?: string;
  /** Branch, tag or commit; default `main`. */
  readonly revision?: string;
  readonly kind?: HubKind;
  /** Models: the ONNX file (path inside the repo). */
  readonly onnxFile?: string;
  /** Hash cached files too. */
  readonly verify?: boolean;
}

/** Where a pull stands, for progress displays. */
export interface PullState {
  readonly kind: HubKind | null;
  readonly commit: string | null;
  readonly files: readonly HubPullFile[];
  /** Bytes to transfer in this run (cached files and resumed bytes excluded), and transferred so far. */
  readonly total: number;
  readonly done: number;
}

/** How a pull reports and stops. */
export interface PullHooks {
  readonly signal: AbortSignal;
  /** The state changed (per chunk while downloading: keep it cheap). */
  update?(state: PullState): void;
  log?(level: 'debug' | 'info' | 'warn' | 'error', message: string): void;
}

/** Files fetched at once. */
const CONCURRENCY = 4;

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

/** A pull's mutable per-file records and totals. */
class Tracker {
  kind: HubKind | null = null;
  commit: string | null = null;
  readonly files: HubPullFile[] = [];
  total = 0;
  done = 0;

  constructor(private readonly hooks: PullHooks) {}

  add(file: HubPullFile): number {
    this.files.push(file);
    return this.files.length - 1;
  }

  set(i: number, patch: Partial<HubPullFile>): void {
    const f = this.files[i];
    if (f) this.files[i] = { ...f, ...patch };
    this.emit();
  }

  emit(): void {
    this.hooks.update?.({ kind: this.kind, commit: this.commit, files: [...this.files], total: this.total, done: this.done });
  }
}

/** Downloads in flight in this process, by blob path. */
const inFlight = new Map<string, Promise<unknown>>();

/** Runs `work` when no other work holds `key` (Python's huggingface_hub takes a file lock per blob the same way). */
async function exclusive<T>(key: string, work: () => Promise<T>): Promise<T> {
  for (let held = inFlight.get(key); held; held = inFlight.get(key)) await held.catch(() => {});
  const running = work();
  inFlight.set(key, running);
  try {
    return await running;
  } finally {
    inFlight.delete(key);
  }
}

/** Runs `work` over items, at most `n` at once; the first failure aborts the rest's scheduling and is thrown. */
async function pool<T>(items: readonly T[], n: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failed: unknown = null;
  const lane = async (): Promise<void> => {
    while (failed === null && next < items.length) {
      const item = items[next++] as T;
      try {
        await work(item);
      } catch (e) {
        failed ??= e;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, lane));
  if (failed !== null) throw failed;
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
  let commit: string;
  let listing: TreeEntry[];
  try {
    commit = await client.commitOf(req.repo, revision, hooks.signal);
    listing = await listRemote(client, req.repo, commit, base, revision, hooks.signal);
  } catch (e) {
    if (!(e instanceof HubUnreachableError) || hooks.signal.aborted) throw e;
    const hit = pullFromCache(config, req);
    if (hit) {
      log('warn', `${e.message}; using ${where} from the HF cache`);
      return hit;
    }
    throw new HubUnreachableError(`${e.message}, and ${where} is not in the HF cache (${config.cacheDir})`);
  }

  const sel = selectFiles(listing, base, where, req.kind, req.onnxFile);
  cache.writeRef(revision, commit);
  const byPath = new Map(listing.map((e) => [e.path, e]));
  const t = new Tracker(hooks);
  t.kind = sel.kind;
  t.commit = commit;
  let cachedFiles = 0;

  /** Adds a file to the pull: cached as it is, or counted towards the bytes to transfer. */
  const plan = (file: string): { index: number; cached: boolean } => {
    const entry = byPath.get(file);
    const size = entry?.lfs?.size ?? entry?.size ?? null;
    const lfs = entry?.lfs !== null && entry?.lfs !== undefined;
    const ptr = cache.cached(commit, file);
    // a snapshot entry of the right size is used as it is (hashing it is --verify's job)
    if (ptr && (size === null || fs.statSync(ptr).size === size) && !req.verify) {
      cachedFiles++;
      return { index: t.add({ path: file, size, done: size ?? fs.statSync(ptr).size, state: 'cached', lfs }), cached: true };
    }
    const etag = entry?.lfs?.oid ?? entry?.oid;
    let partial = 0;
    // the listing's oid only guesses where a partial download is; the HEAD's etag decides
    if (etag && BLOB_ETAG.test(etag)) {
      try {
        partial = fs.statSync(cache.incomplete(etag)).size;
      } catch {
        partial = 0;
      }
    }
    if (size !== null) t.total += Math.max(0, size - partial);
    return { index: t.add({ path: file, size, done: partial, state: 'pending', lfs }), cached: false };
  };

  /** HEADs one file and makes sure its blob is in the cache and linked into the snapshot. */
  const fetchFile = async (file: string, index: number): Promise<void> => {
    const meta = await client.metadata(req.repo, commit, file, hooks.signal, revision);
    const planned = t.files[index]!;
    // the listing's size was an estimate of the bytes to transfer: correct it
    const plannedLeft = Math.max(0, (planned.size ?? 0) - planned.done);
    const blob = cache.blob(meta.etag);
    const ptr = cache.cached(commit, file);
    if (ptr && req.verify) {
      t.set(index, { state: 'verifying' });
      if (await blobMatches(ptr, meta.etag, meta.size)) {
        t.total -= plannedLeft;
        cachedFiles++;
        t.set(index, { state: 'cached', done: meta.size, size: meta.size });
        return;
      }
      log('warn', `${file}: the cached copy does not match its ${meta.lfs ? 'SHA-256' : 'git sha1'}; downloading it again`);
      fs.rmSync(ptr, { force: true });
      if (fs.existsSync(blob) && fs.realpathSync(blob) === blob) fs.rmSync(blob, { force: true });
    }
    // one download per blob in this process: a second pull of the same file waits, then finds it cached
    await exclusive(blob, () => fetchBlob(file, index, meta, blob, plannedLeft));
  };

  const fetchBlob = async (file: string, index: number, meta: FileMetadata, blob: string, plannedLeft: number): Promise<void> => {
    if (fs.existsSync(blob) && fs.statSync(blob).size === meta.size && (!req.verify || (await blobMatches(blob, meta.etag, meta.size)))) {
      // another snapshot (or Python) already has these bytes
      cache.link(commit, file, meta.etag, false);
      t.total -= plannedLeft;
      cachedFiles++;
      t.set(index, { state: 'cached', done: meta.size, size: meta.size, lfs: meta.lfs });
      return;
    }
    t.set(index, { state: 'downloading', size: meta.size, lfs: meta.lfs });
    let resumed = 0;
    let counted = 0;
    await downloadBlob(
      client,
      { url: meta.location, blob, size: meta.size, etag: meta.etag, file, repo: req.repo },
      {
        signal: hooks.signal,
        onResume: (bytes) => {
          resumed = bytes;
          log('info', `${file}: resuming at byte ${bytes}`);
          t.set(index, { resumedFrom: bytes, done: bytes });
        },
        onBytes: (n) => {
          counted += n;
          t.done += n;
          t.set(index, { done: resumed + counted });
        },
        onVerify: () => t.set(index, { state: 'verifying' }),
        onRetry: (message) => log('warn', message),
      },
    );
    // what this run really transferred replaces the estimate
    t.total += counted - plannedLeft;
    cache.link(commit, file, meta.etag, true);
    t.set(index, { state: 'done', done: meta.size });
  };

  const planned = sel.files.map((f) => ({ file: f, ...plan(f) }));
  t.emit();
  log('info', `${where}: ${sel.files.length} files at ${commit.slice(0, 10)}, ${cachedFiles} cached`);
  const run = async (items: readonly { file: string; index: number; cached: boolean }[]): Promise<void> =>
    pool(
      items.filter((p) => !p.cached),
      CONCURRENCY,
      async ({ file, index }) => {
        try {
          await fetchFile(file, index);
        } catch (e) {
          t.set(index, { state: 'failed' });
          throw e;
        }
      },
    );
  await run(planned);

  // external data a model names but its file names did not give away
  const files = [...sel.files];
  if (sel.onnx) {
    const extra = missingExternalData(cache, commit, sel.onnx, listing, files, where);
    if (extra.length) {
      files.push(...extra);
      await run(extra.map((f) => ({ file: f, ...plan(f) })));
    }
  }

  return pullResult(cache, revision, commit, sel, files, { downloaded: t.done, cachedFiles, offline: false });
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
