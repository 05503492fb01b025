/**
 * The indexing job's work, wherever it runs (a worker thread in the app and the CLI, the
 * calling thread in benchmarks): corpus → windows → capture → committed batches → merged
 * chunks → per-feature statistics. Resumes from the progress row of an existing database.
 * The settings and the resume check are index-settings.ts's, the index phase index-phase.ts's.
 */
import fs from 'node:fs';
import path from 'node:path';
import { indexBytes } from './db.ts';
import { diskFull, EmptyCorpusError } from './index-errors.ts';
import { IndexPhase } from './index-phase.ts';
import { planIndex, startIndex } from './index-settings.ts';
import { finishIndex, type FinalizeOptions } from './finalize.ts';
import { IndexWriter, readMeta } from './store.ts';
import type { IndexHooks, IndexJobOptions, IndexModel, IndexResult, IndexRuntime, CaptureFn } from './job-types.ts';
import type { IndexSummary, Progress } from './types.ts';

export type { CaptureFn, IndexHooks, IndexJobOptions, IndexModel, IndexProgress, IndexResult, IndexRuntime } from './job-types.ts';

/** Runs (or resumes) an indexing job to the end, or until `shouldStop`. */
export async function runIndex(options: IndexJobOptions, hooks: IndexHooks = {}, runtime: IndexRuntime = {}): Promise<IndexResult> {
  const db = path.resolve(options.db);
  hooks.progress?.({ phase: 'load', done: 0, total: null, runDone: 0, batches: 0 });
  // loaded only when the job opens its own engine: an index worker capturing on the app's
  // engine then never loads ONNX Runtime or the model code (a faster start, less memory)
  const own = runtime.engine
    ? undefined
    : await (
        await import('../model/engine.ts')
      ).Engine.open({
        model: path.resolve(options.model),
        sae: path.resolve(options.sae),
        cacheDir: options.cacheDir,
        ...(options.hook ? { hook: options.hook } : {}),
        ...(options.provider ? { provider: options.provider } : {}),
      });
  const engine: IndexModel = own ?? runtime.engine!;
  try {
    const capture = runtime.capture ?? ((rows, k) => engine.capture(rows, k));
    return await indexWith(engine, db, options, hooks, capture, runtime.finalizeHelper === undefined ? {} : { helper: runtime.finalizeHelper });
  } finally {
    await own?.close();
  }
}

async function indexWith(
  engine: IndexModel,
  db: string,
  options: IndexJobOptions,
  hooks: IndexHooks,
  capture: CaptureFn,
  finalize: FinalizeOptions,
): Promise<IndexResult> {
  const plan = planIndex(engine, options, hooks);
  const writer = new IndexWriter(db);
  let nothingIndexed = false;
  try {
    const { stored, resumed, progress } = startIndex(writer, db, engine, plan);
    let p = progress;
    const result = runResult(db, resumed, p.tokens);

    if (p.phase === 'index') {
      const phase = new IndexPhase(
        { db, writer, plan, stored, options, hooks, capture, tokenize: (text) => engine.tokenizer.encode(text, false) },
        p,
      );
      const stopped = await phase.run().catch((e: unknown) => {
        nothingIndexed = e instanceof EmptyCorpusError && phase.p.windows === 0;
        throw e;
      });
      p = phase.p;
      if (stopped) return result(p, false);
    }
    // a shard's statistics are the merge's to compute, over every shard's activations
    if (p.phase === 'finalize' && stored.shard) {
      writer.compact();
      return result(p, true);
    }
    if (p.phase === 'finalize') return await finalizeIndex(writer, db, plan.dSae, stored.seed, p, hooks, result, finalize);
    // already complete: nothing to do
    return result(p, true, readMeta<IndexSummary>(writer.db, 'summary'));
  } finally {
    writer.close();
    // an index of an empty corpus is no index: the file this run made goes again
    if (nothingIndexed) removeIndexFiles(db);
  }
}

/** What a run reports from a progress row. */
type RunResult = (p: Progress, complete: boolean, summary?: IndexSummary) => IndexResult;

/** The result of a run that starts now, `tokensAtStart` tokens into the index. */
function runResult(db: string, resumed: boolean, tokensAtStart: number): RunResult {
  const t0 = performance.now();
  return (p, complete, summary) => {
    const seconds = (performance.now() - t0) / 1000;
    return {
      tokens: p.tokens,
      documents: p.documents,
      windows: p.windows,
      seconds: Number(seconds.toFixed(3)),
      tokensPerSecond: seconds > 0 ? Math.round((p.tokens - tokensAtStart) / seconds) : 0,
      activations: p.activations,
      dbBytes: indexBytes(db),
      truncatedTokens: p.truncatedTokens,
      complete,
      resumed,
      db,
      ...(summary ? { summary } : {}),
    };
  };
}

/** The finalize phase: per-feature statistics, then the summary; a stop leaves the rest to the next run. */
async function finalizeIndex(
  writer: IndexWriter,
  db: string,
  dSae: number,
  seed: number,
  start: Progress,
  hooks: IndexHooks,
  result: RunResult,
  options: FinalizeOptions,
): Promise<IndexResult> {
  let p = start;
  hooks.progress?.({ phase: 'finalize', done: 0, total: dSae, runDone: 0, batches: p.batches });
  let summary: IndexSummary | undefined;
  const firstDone = Number(writer.db.prepare('select coalesce(max(id) + 1, 0) from features').pluck().get());
  try {
    const end = await finishIndex(
      writer,
      dSae,
      seed,
      p,
      {
        progress: (done, total) => hooks.progress?.({ phase: 'finalize', done, total, runDone: done - firstDone, batches: p.batches }),
        shouldStop: () => hooks.shouldStop?.() ?? false,
        log: (level, message) => hooks.log?.(level, message),
      },
      options,
    );
    if (!end) return result(p, false);
    ({ summary, progress: p } = end);
  } catch (e) {
    diskFull(e, db, p);
  }
  return result(p, true, summary);
}

/** Deletes an index database that holds nothing, with its WAL, shared-memory and lock files. */
function removeIndexFiles(db: string): void {
  for (const suffix of ['', '-wal', '-shm', '-journal', '.lock']) fs.rmSync(db + suffix, { force: true });
}
