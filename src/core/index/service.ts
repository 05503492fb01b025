import fs from 'node:fs';
import path from 'node:path';
import type { JobInfo, JobRemedy, Payload } from '#shared/contract.ts';
import type { FeatureDashboard, FeatureSample, IndexStartResult, IndexStatus } from '#shared/index-types.ts';
import { AppError } from '#shared/reply.ts';
import { graphCacheDir } from '../kernel/data-dir.ts';
import { indexesDir } from '../kernel/index-path.ts';
import type { Kernel } from '../kernel/kernel.ts';
import { indexJobFailure } from './job-failure.ts';
import type { ParquetExport } from './export-parquet.ts';
import { runIndex, type IndexHooks, type IndexJobOptions, type IndexResult } from './indexer.ts';
import type { MergeHooks, MergeResult } from './merge.ts';
import { parseShard, shardFromEnvironment } from './shard.ts';
import type { ShardSpec } from './types.ts';
import { IndexReader } from './reader.ts';
import type { Engine } from '../model/engine.ts';
import { startIndexWorker, type IndexWorkerHandle } from './worker-client.ts';
import { assertIndexFree } from './writer-lock.ts';

/** Open readers kept per core (a dashboard opens features of one index over and over). */
const MAX_READERS = 8;

/** An engine an index job may capture on, released when the job ends (the workspace's: src/core/workspace/workspace.ts). */
export interface EngineLease {
  readonly engine: Engine;
  release(): void;
}

/** What the index service needs of the kernel. */
export type IndexServiceDeps = Pick<Kernel, 'data' | 'files' | 'jobs' | 'onClose'>;

/**
 * Activation indexes for one core: index jobs in worker threads (through the job registry),
 * and the one cache of read-only IndexReaders every area shares (the explorer's tables, the
 * Steer screen's feature facts, dashboards and samples).
 */
export class IndexService {
  readonly #workers = new Map<string, { handle: IndexWorkerHandle; db: string }>();
  /** Open readers by file, least recently used first, with the inode each was opened on. */
  readonly #readers = new Map<string, { reader: IndexReader; ino: number }>();

  constructor(private readonly core: IndexServiceDeps) {
    core.onClose(() => this.closeReaders());
  }

  /**
   * The read-only reader of an index file (absolute, already checked against the allowed
   * roots), kept open: reopened when the file has been replaced since, the least recently
   * used closed beyond MAX_READERS. Callers must not close it.
   */
  reader(file: string): IndexReader {
    let st: fs.Stats;
    try {
      st = fs.statSync(file);
    } catch {
      throw new AppError('not_found', `no index at ${file}`);
    }
    let e = this.#readers.get(file);
    if (e && e.ino !== st.ino) {
      e.reader.close();
      this.#readers.delete(file);
      e = undefined;
    }
    if (e) this.#readers.delete(file);
    else {
      e = { reader: new IndexReader(file), ino: st.ino };
      if (this.#readers.size >= MAX_READERS) {
        const [oldest, old] = this.#readers.entries().next().value as [string, { reader: IndexReader }];
        this.#readers.delete(oldest);
        old.reader.close();
      }
    }
    this.#readers.set(file, e); // most recently used last
    return e.reader;
  }

  /** The reader of an index as requests name it: absolute, or a name inside the data folder's indexes/; inside the allowed roots. */
  readerOf(db: string): IndexReader {
    return this.reader(this.core.files.resolveIndex(db, 'read'));
  }

  /** Closes a file's reader, if open (a reader opened before a new run might hold an outdated schema view). */
  #drop(file: string): void {
    this.#readers.get(file)?.reader.close();
    this.#readers.delete(file);
  }

  /** Closes every open reader. */
  closeReaders(): void {
    for (const e of this.#readers.values()) e.reader.close();
    this.#readers.clear();
  }

  /**
   * Starts (or resumes) indexing as a job: captures run on the lease's engine in this thread
   * (without a lease the job opens its own engine in the index worker), the reading, tokenizing
   * and database work in the index worker; a retry of the job resumes it.
   */
  async start(p: Payload<'index.start'>, lease?: EngineLease): Promise<IndexStartResult> {
    const { files, jobs } = this.core;
    const corpus = files.resolveRead(p.corpus, 'corpus');
    const model = files.resolveRead(p.model, 'model');
    const sae = files.resolveRead(p.sae, 'SAE');
    // created only inside the data folder's indexes/
    const db = files.resolveIndex(p.db ?? `${path.basename(corpus, path.extname(corpus))}.sqlite`, 'create');
    if ([...this.#workers.values()].some((w) => w.db === db)) throw new AppError('conflict', `${db} is being indexed already`);
    // another process (a CLI run, a second app) writing it: refused now, naming it
    assertIndexFree(db);
    const title = `Index ${path.basename(p.model)} / ${path.basename(p.sae)} over ${path.basename(corpus)}`;
    const options = { ...p, model, sae, corpus, db, cacheDir: graphCacheDir(this.core.data.dir) };
    this.#drop(db);
    const info = jobs.start('index', title, async (ctx) => {
      const handle = startIndexWorker(
        options,
        {
          // job progress counts this run's units, so rate and ETA stay right on a resumed index
          progress: (q) => ctx.progress(q.phase, q.runDone, q.total === null ? null : Math.max(q.runDone, q.total - (q.done - q.runDone))),
          log: (level, message) => ctx.log(level, message),
        },
        lease?.engine,
      );
      this.#workers.set(ctx.id, { handle, db });
      const stop = (): void => handle.cancel();
      ctx.signal.addEventListener('abort', stop);
      try {
        const r = await handle.result.catch((e: unknown) => {
          throw indexJobFailure(e);
        });
        ctx.log(
          'info',
          `${r.complete ? 'indexed' : 'stopped at'} ${r.tokens} tokens, ${r.activations} activations (${r.dbBytes} bytes) in ${db}`,
        );
      } finally {
        ctx.signal.removeEventListener('abort', stop);
        this.#workers.delete(ctx.id);
      }
    });
    // (a job cancelled before it ran is final too)
    if (lease) void jobs.wait(info.id).finally(() => lease.release());
    // retried, it resumes from the last committed batch; the remedy reads bad bytes as U+FFFD
    const remedied = (remedy: JobRemedy | undefined): Payload<'index.start'> =>
      remedy === 'replace-invalid-utf8' ? { ...p, invalidUtf8: 'replace' } : p;
    jobs.setRetry(info.id, async (remedy) => (await this.start(remedied(remedy))).job);
    return { job: info.id, db };
  }

  #worker(job: string): IndexWorkerHandle {
    const w = this.#workers.get(job);
    if (w) return w.handle;
    if (this.core.jobs.get(job)) throw new AppError('conflict', `job "${job}" is not a running index job`);
    throw new AppError('not_found', `no job "${job}"`);
  }

  /** Holds a running index job after its current batch (the model stays loaded). */
  pause(job: string): JobInfo {
    this.#worker(job).pause();
    return this.core.jobs.get(job)!;
  }

  /** Lets a paused index job go on. */
  resume(job: string): JobInfo {
    this.#worker(job).resume();
    return this.core.jobs.get(job)!;
  }

  /** Where one index stands (a name or a path, as requests give it). */
  async status(db: string): Promise<IndexStatus> {
    return this.readerOf(db).status();
  }

  /** Every index in the data folder's indexes/, newest first. */
  list(): IndexStatus[] {
    const dir = indexesDir(this.core.data.dir);
    if (!fs.existsSync(dir)) return [];
    const files = fs
      .readdirSync(dir)
      .filter((f) => f.endsWith('.sqlite'))
      .map((f) => path.join(dir, f))
      .sort((a, b) => fs.statSync(b).mtimeMs - fs.statSync(a).mtimeMs);
    const out: IndexStatus[] = [];
    for (const f of files) {
      try {
        out.push(this.reader(f).status());
      } catch {
        // not an index (or one still being created): left out of the list
      }
    }
    return out;
  }

  /** A feature's dashboard. */
  feature(db: string, id: number, context: number | undefined): FeatureDashboard {
    return this.readerOf(db).feature(id, context);
  }

  /** Random examples of a feature with activation in [lo, hi). */
  sample(p: Payload<'feature.sample'>): FeatureSample {
    return this.readerOf(p.db).sample(p.id, p.lo, p.hi, p.n, p.seed, p.context);
  }

  /**
   * Runs one index on this thread, into any `db` (not a job, no worker: the CLI's `index`,
   * which has no UI to keep responsive, and a second V8 isolate would double its memory).
   * Takes every option runIndex does (shards, --max-tokens, ...); `cacheDir` defaults to the
   * data folder's graph cache. Paths are used as given (the caller's own command line).
   */
  async run(options: IndexRunOptions, hooks: IndexHooks = {}): Promise<IndexResult> {
    const db = path.resolve(options.db);
    if ([...this.#workers.values()].some((w) => w.db === db)) throw new AppError('conflict', `${db} is being indexed already`);
    this.#drop(db);
    return runIndex({ ...options, db, cacheDir: options.cacheDir ?? graphCacheDir(this.core.data.dir) }, hooks);
  }

  /** The shard `--shard I/N` or `--shards N|auto` (from the scheduler's environment) names; undefined when neither. */
  shard(given: { readonly shard?: string | undefined; readonly shards?: string | undefined }): ShardSpec | undefined {
    if (given.shard !== undefined) return parseShard(given.shard);
    return given.shards !== undefined ? shardFromEnvironment(given.shards) : undefined;
  }

  /** Merges finished shards into the one index a single run would build (`out` is created or finished). */
  async merge(out: string, shards: readonly string[], hooks: MergeHooks = {}): Promise<MergeResult> {
    const file = path.resolve(out);
    this.#drop(file);
    const { mergeShards } = await import('./merge.ts');
    return mergeShards(file, shards, hooks);
  }

  /** Writes an index's features.parquet and activations.parquet into `outDir`. */
  async exportParquet(db: string, outDir: string): Promise<ParquetExport> {
    const { exportParquet } = await import('./export-parquet.ts');
    return exportParquet(path.resolve(db), path.resolve(outDir));
  }
}

/** What IndexService.run takes: runIndex's options, the graph cache optional. */
export type IndexRunOptions = Omit<IndexJobOptions, 'cacheDir'> & { readonly cacheDir?: string | undefined };
