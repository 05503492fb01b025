/**
 * Fetching a pull's files into the HF cache: which are cached already, HEADing and
 * downloading the rest (a few at once, one download per blob in this process), with
 * per-file progress for the pull's hooks.
 */
import fs from 'node:fs';
import type { HubKind, HubPullFile } from '#shared/hub-types.ts';
import type { RepoCache } from './cache.ts';
import type { FileMetadata, HubClient, TreeEntry } from './client.ts';
import { blobMatches, downloadBlob } from './download.ts';
import type { PullHooks, PullRequest } from './pull-types.ts';
import { BLOB_ETAG } from './safe-names.ts';
import type { Selection } from './select.ts';

/** Files fetched at once. */
const CONCURRENCY = 4;

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

/** A file of the pull, planned: its index in the tracker, and whether the cache already has it. */
export interface PlannedFile {
  readonly file: string;
  readonly index: number;
  readonly cached: boolean;
}

/** Fetches the files of one pull at one commit, tracking them. */
export class FilePuller {
  readonly t: Tracker;
  /** Files found in the cache (as they were, or as another snapshot's blob). */
  cachedFiles = 0;
  private readonly byPath: ReadonlyMap<string, TreeEntry>;
  private readonly log: NonNullable<PullHooks['log']>;

  constructor(
    private readonly client: HubClient,
    private readonly cache: RepoCache,
    private readonly req: PullRequest,
    private readonly hooks: PullHooks,
    private readonly revision: string,
    private readonly commit: string,
    listing: readonly TreeEntry[],
    sel: Selection,
  ) {
    this.log = hooks.log ?? (() => {});
    this.byPath = new Map(listing.map((e) => [e.path, e]));
    this.t = new Tracker(hooks);
    this.t.kind = sel.kind;
    this.t.commit = commit;
  }

  /** Adds a file to the pull: cached as it is, or counted towards the bytes to transfer. */
  plan(file: string): { index: number; cached: boolean } {
    const { byPath, cache, commit, req, t } = this;
    const entry = byPath.get(file);
    const size = entry?.lfs?.size ?? entry?.size ?? null;
    const lfs = entry?.lfs !== null && entry?.lfs !== undefined;
    const ptr = cache.cached(commit, file);
    // a snapshot entry of the right size is used as it is (hashing it is --verify's job)
    if (ptr && (size === null || fs.statSync(ptr).size === size) && !req.verify) {
      this.cachedFiles++;
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
  }

  /** Fetches the planned files that are not cached, a few at once; a file that fails is marked failed. */
  async fetchAll(items: readonly PlannedFile[]): Promise<void> {
    const { t } = this;
    return pool(
      items.filter((p) => !p.cached),
      CONCURRENCY,
      async ({ file, index }) => {
        try {
          await this.fetchFile(file, index);
        } catch (e) {
          t.set(index, { state: 'failed' });
          throw e;
        }
      },
    );
  }

  /** HEADs one file and makes sure its blob is in the cache and linked into the snapshot. */
  private async fetchFile(file: string, index: number): Promise<void> {
    const { client, cache, commit, req, hooks, revision, t, log } = this;
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
        this.cachedFiles++;
        t.set(index, { state: 'cached', done: meta.size, size: meta.size });
        return;
      }
      log('warn', `${file}: the cached copy does not match its ${meta.lfs ? 'SHA-256' : 'git sha1'}; downloading it again`);
      fs.rmSync(ptr, { force: true });
      if (fs.existsSync(blob) && fs.realpathSync(blob) === blob) fs.rmSync(blob, { force: true });
    }
    // one download per blob in this process: a second pull of the same file waits, then finds it cached
    await exclusive(blob, () => this.fetchBlob(file, index, meta, blob, plannedLeft));
  }

  private async fetchBlob(file: string, index: number, meta: FileMetadata, blob: string, plannedLeft: number): Promise<void> {
    const { client, cache, commit, req, hooks, t, log } = this;
    if (fs.existsSync(blob) && fs.statSync(blob).size === meta.size && (!req.verify || (await blobMatches(blob, meta.etag, meta.size)))) {
      // another snapshot (or Python) already has these bytes
      cache.link(commit, file, meta.etag, false);
      t.total -= plannedLeft;
      this.cachedFiles++;
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
  }
}
