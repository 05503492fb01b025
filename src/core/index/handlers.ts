import fs from 'node:fs';
import path from 'node:path';
import type { ContractHandlers, JobRemedy, Payload } from '../../shared/contract.ts';
import type { IndexStatus } from '../../shared/index-types.ts';
import { AppError } from '../../shared/reply.ts';
import { graphCacheDir } from '../app/data-dir.ts';
import type { CoreServices } from '../app/services.ts';
import { indexesDir as indexesDirOf } from './db-path.ts';
import { indexJobFailure } from './job-failure.ts';
import { IndexReader } from './reader.ts';
import { startIndexWorker, type IndexWorkerHandle } from './worker-client.ts';
import { assertIndexFree } from './writer-lock.ts';

/** Requests about activation indexes and their features. */
export type IndexHandlers = Pick<
  ContractHandlers,
  'index.start' | 'index.pause' | 'index.resume' | 'index.status' | 'index.list' | 'feature.get' | 'feature.sample'
>;

/** Open readers kept per core (a dashboard opens features of one index over and over). */
const MAX_READERS = 8;

/**
 * Handlers of the `index.*` and `feature.*` requests. Index jobs run in worker threads
 * through the job registry; queries go through cached read-only IndexReaders.
 */
export function indexHandlers(core: CoreServices): IndexHandlers {
  const indexesDir = indexesDirOf(core.data.dir);
  const workers = new Map<string, { handle: IndexWorkerHandle; db: string }>();
  const readers = new Map<string, IndexReader>();

  const reader = (db: string): IndexReader => {
    // absolute as given, or a name inside the data folder's indexes/; inside the allowed roots
    const file = core.files.resolveIndex(db, 'read');
    let r = readers.get(file);
    if (r) {
      // most recently used last
      readers.delete(file);
      readers.set(file, r);
      return r;
    }
    r = new IndexReader(file);
    readers.set(file, r);
    if (readers.size > MAX_READERS) {
      const [oldest, old] = readers.entries().next().value as [string, IndexReader];
      readers.delete(oldest);
      old.close();
    }
    return r;
  };

  const worker = (job: string): IndexWorkerHandle => {
    const w = workers.get(job);
    if (w) return w.handle;
    if (core.jobs.get(job)) throw new AppError('conflict', `job "${job}" is not a running index job`);
    throw new AppError('not_found', `no job "${job}"`);
  };

  const start = async (p: Payload<'index.start'>): Promise<{ job: string; db: string }> => {
    const corpus = core.files.resolveRead(p.corpus, 'corpus');
    const model = core.files.resolveRead(p.model, 'model');
    const sae = core.files.resolveRead(p.sae, 'SAE');
    // created only inside the data folder's indexes/
    const db = core.files.resolveIndex(p.db ?? `${path.basename(corpus, path.extname(corpus))}.sqlite`, 'create');
    if ([...workers.values()].some((w) => w.db === db)) throw new AppError('conflict', `${db} is being indexed already`);
    // another process (a CLI run, a second app) writing it: refused now, naming it
    assertIndexFree(db);
    const title = `Index ${path.basename(p.model)} / ${path.basename(p.sae)} over ${path.basename(corpus)}`;
    const options = { ...p, model, sae, corpus, db, cacheDir: graphCacheDir(core.data.dir) };
    // a reader opened before the new run might hold an outdated schema view
    readers.get(db)?.close();
    readers.delete(db);
    const info = core.jobs.start('index', title, async (ctx) => {
      const handle = startIndexWorker(options, {
        // job progress counts this run's units, so rate and ETA stay right on a resumed index
        progress: (q) => ctx.progress(q.phase, q.runDone, q.total === null ? null : Math.max(q.runDone, q.total - (q.done - q.runDone))),
        log: (level, message) => ctx.log(level, message),
      });
      workers.set(ctx.id, { handle, db });
      const stop = (): void => handle.cancel();
      ctx.signal.addEventListener('abort', stop);
      try {
        const r = await handle.result.catch((e: unknown) => {
          throw indexJobFailure(e);
        });
        ctx.log(
          'info',
          `${r.complete ? 'indexed' : 'stopped at'} ${r.tokens} tokens, ${r.activations} activations (${r.db_bytes} bytes) in ${db}`,
        );
      } finally {
        ctx.signal.removeEventListener('abort', stop);
        workers.delete(ctx.id);
      }
    });
    // retried, it resumes from the last committed batch; the remedy reads bad bytes as U+FFFD
    const remedied = (remedy: JobRemedy | undefined): Payload<'index.start'> =>
      remedy === 'replace-invalid-utf8' ? { ...p, invalidUtf8: 'replace' } : p;
    core.jobs.setRetry(info.id, async (remedy) => (await start(remedied(remedy))).job);
    return { job: info.id, db };
  };

  return {
    'index.start': start,
    'index.pause': async ({ job }) => {
      worker(job).pause();
      return core.jobs.get(job)!;
    },
    'index.resume': async ({ job }) => {
      worker(job).resume();
      return core.jobs.get(job)!;
    },
    'index.status': async ({ db }) => reader(db).status(),
    'index.list': async () => {
      if (!fs.existsSync(indexesDir)) return [];
      const files = fs
        .readdirSync(indexesDir)
        .filter((f) => f.endsWith('.sqlite'))
        .map((f) => path.join(indexesDir, f))
        .sort((a, b) => fs.statSync(b).mtimeMs - fs.statSync(a).mtimeMs);
      const out: IndexStatus[] = [];
      for (const f of files) {
        try {
          out.push(reader(f).status());
        } catch {
          // not an index (or one still being created): left out of the list
        }
      }
      return out;
    },
    'feature.get': async ({ db, id, context }) => reader(db).feature(id, context),
    'feature.sample': async ({ db, id, lo, hi, n, seed, context }) => reader(db).sample(id, lo, hi, n, seed, context),
  };
}
