/**
 * The indexing job's work, wherever it runs (a worker thread in the app and the CLI, the
 * calling thread in benchmarks): corpus → windows → capture → committed batches → merged
 * chunks → per-feature statistics. Resumes from the progress row of an existing database.
 */
import fs from 'node:fs';
import path from 'node:path';
import { AppError } from '../../shared/reply.ts';
import { InputFileError } from '../app/input-file-error.ts';
import { Engine } from '../model/engine.ts';
import type { ProviderName } from '../model/providers.ts';
import { activations, encodeTokens, pushActivation, type Activations } from './codec.ts';
import { openCorpus } from './corpus.ts';
import { indexBytes } from './db.ts';
import { finishIndex } from './finalize.ts';
import { IndexWriter, initialProgress, readMeta, type BatchCommit } from './store.ts';
import { vocabularySize } from './token-ids.ts';
import { ownsRecord } from './shard.ts';
import { RESUME_KEYS, type IndexSettings, type IndexSummary, type Progress, type ShardSpec } from './types.ts';
import type { InvalidUtf8 } from './utf8.ts';
import { corpusWindows, modelMaxPositions, type CorpusPosition, type PendingWindow } from './windows.ts';

/** What to index and how. */
export interface IndexJobOptions {
  readonly model: string;
  readonly sae: string;
  readonly hook?: string | undefined;
  readonly provider?: ProviderName | undefined;
  /** Where spliced graph variants are cached. */
  readonly cacheDir: string;
  readonly corpus: string;
  readonly textField?: string | undefined;
  /** Token ids from this column (pre-tokenized corpora); unset: `tokens` / `input_ids` where the text field is missing. */
  readonly tokenColumn?: string | undefined;
  readonly db: string;
  /** Window length in tokens, BOS included (default 128). */
  readonly context?: number | undefined;
  /** Windows per committed batch (default: 1024 tokens' worth). */
  readonly batch?: number | undefined;
  readonly maxTokens?: number | undefined;
  /** Caps the latents kept per token; tokens it cuts short are counted and reported. */
  readonly maxLatentsPerToken?: number | undefined;
  readonly onBadLine?: 'skip' | 'stop' | undefined;
  readonly invalidUtf8?: InvalidUtf8 | undefined;
  /** Seed of the interval samples (default 0). */
  readonly seed?: number | undefined;
  /** Staged activations that trigger a merge into chunks (bounds memory; default 2M). */
  readonly mergeActivations?: number | undefined;
  /**
   * Index only this shard's documents (shard.ts) into `db`; a shard stops before the
   * statistics, which `merge` computes over all shards at once.
   */
  readonly shard?: ShardSpec | undefined;
}

/** What a finished (or stopped) run reports; the CLI prints the first seven keys. */
export interface IndexResult {
  readonly tokens: number;
  readonly documents: number;
  readonly windows: number;
  readonly seconds: number;
  readonly tokens_per_second: number;
  readonly activations: number;
  readonly db_bytes: number;
  /** Tokens whose latents --max-latents-per-token cut short. */
  readonly truncated_tokens: number;
  /** False when the run stopped (cancel) before the end; run again to resume. */
  readonly complete: boolean;
  /** True when this run continued an existing index. */
  readonly resumed: boolean;
  readonly db: string;
  readonly summary?: IndexSummary;
}

/** Progress as the job reports it. */
export interface IndexProgress {
  readonly phase: 'load' | 'index' | 'merge' | 'finalize' | 'paused';
  /** index: tokens indexed (all runs); finalize: features done. */
  readonly done: number;
  /** index: tokens expected (estimated from bytes read until the corpus ends); finalize: features. */
  readonly total: number | null;
  /** Units done by this run in this phase (rates are computed from these). */
  readonly runDone: number;
  readonly batches: number;
}

/** How the job talks to whoever runs it. */
export interface IndexHooks {
  progress?(p: IndexProgress): void;
  log?(level: 'info' | 'warn', message: string): void;
  /** True once the job should stop after its current commit (cancel). */
  shouldStop?(): boolean;
  /** Resolves when the job may go on (pause holds it here, between commits). */
  pausePoint?(): Promise<void>;
}

/** A stand-in for Engine.capture (the benchmark's synthetic fast path). */
export type CaptureFn = (
  rows: readonly (readonly number[])[],
  k: number,
) => Promise<{ k: number; values: Float32Array; indices: Int32Array }>;

/** An engine to use instead of opening one (kept open), and an optional capture override. */
export interface IndexRuntime {
  readonly engine?: Engine;
  readonly capture?: CaptureFn;
}

const DEFAULT_CONTEXT = 128;
const DEFAULT_MERGE = 1 << 21;
/** First capture K for SAEs without a fixed k when no cap is given (doubled when not enough). */
const ADAPTIVE_K = 64;

/** One-line error for SQLite running out of disk, keeping what was committed. */
function diskFull(e: unknown, db: string, p: Progress | undefined): never {
  const code = (e as { code?: unknown }).code;
  if (code === 'SQLITE_FULL' || code === 'ENOSPC') {
    const kept = p ? `${p.windows} windows (${p.tokens} tokens) committed before it are kept` : 'nothing was committed';
    throw new AppError('unavailable', `disk full while writing ${db}: ${kept}; free some space and run the same command again to resume`);
  }
  throw e;
}

/** Runs (or resumes) an indexing job to the end, or until `shouldStop`. */
export async function runIndex(options: IndexJobOptions, hooks: IndexHooks = {}, runtime: IndexRuntime = {}): Promise<IndexResult> {
  const db = path.resolve(options.db);
  hooks.progress?.({ phase: 'load', done: 0, total: null, runDone: 0, batches: 0 });
  const engine =
    runtime.engine ??
    (await Engine.open({
      model: path.resolve(options.model),
      sae: path.resolve(options.sae),
      cacheDir: options.cacheDir,
      ...(options.hook ? { hook: options.hook } : {}),
      ...(options.provider ? { provider: options.provider } : {}),
    }));
  try {
    return await indexWith(engine, db, options, hooks, runtime.capture ?? ((rows, k) => engine.capture(rows, k)));
  } finally {
    if (!runtime.engine) await engine.close();
  }
}

async function indexWith(
  engine: Engine,
  db: string,
  options: IndexJobOptions,
  hooks: IndexHooks,
  capture: CaptureFn,
): Promise<IndexResult> {
  const cfg = engine.sae.config;
  const context = options.context ?? DEFAULT_CONTEXT;
  const bosId = cfg.prependBos ? engine.tokenizer.bosId : undefined;
  if (cfg.prependBos && bosId === undefined)
    hooks.log?.('warn', 'the SAE was trained with prepend_bos but the tokenizer names no BOS token: windows start without one');
  if (!Number.isInteger(context) || context < (bosId === undefined ? 1 : 2)) {
    throw new AppError('bad_request', `--context must be an integer ≥ ${bosId === undefined ? 1 : 2}, got ${context}`);
  }
  const maxPos = modelMaxPositions(engine.folder.config);
  if (maxPos !== undefined && context > maxPos)
    throw new AppError('bad_request', `--context ${context} is longer than the model's ${maxPos} positions`);
  const exactK = cfg.architecture === 'topk' || cfg.architecture === 'switch' ? (cfg.k ?? undefined) : undefined;
  const cap = options.maxLatentsPerToken ?? null;
  const shard = options.shard;
  if (shard && options.maxTokens != null) {
    // a budget counts tokens in corpus order across documents that other shards read
    throw new AppError('bad_request', '--max-tokens cannot be split across shards: index a corpus cut to size instead');
  }
  const corpus = openCorpus(options.corpus, {
    owns: shard ? (ordinal) => ownsRecord(shard, ordinal) : undefined,
    textField: options.textField ?? 'text',
    tokenColumn: options.tokenColumn,
    vocabSize: vocabularySize(engine.folder.config, engine.folder.tokenizerJson),
    invalidUtf8: options.invalidUtf8 ?? 'error',
  });

  const settings: IndexSettings = {
    model: path.resolve(options.model),
    sae: path.resolve(options.sae),
    hook: engine.hook,
    architecture: cfg.architecture,
    dSae: cfg.dSae,
    k: cfg.k ?? null,
    prependBos: cfg.prependBos,
    bosId: bosId ?? null,
    context,
    batch: Math.max(1, options.batch ?? Math.floor(1024 / context)),
    corpus: path.resolve(options.corpus),
    corpusFiles: corpus.files,
    textField: options.textField ?? 'text',
    ...(options.tokenColumn !== undefined ? { tokenColumn: options.tokenColumn } : {}),
    maxTokens: options.maxTokens ?? null,
    maxLatentsPerToken: cap,
    seed: options.seed ?? 0,
    ...(shard ? { shard: { index: shard.index, count: shard.count } } : {}),
  };
  const dSae = cfg.dSae;

  const writer = new IndexWriter(db);
  let nothingIndexed = false;
  try {
    let stored = writer.settings;
    const resumed = stored !== undefined;
    if (stored) {
      for (const key of RESUME_KEYS) {
        if (JSON.stringify(stored[key]) !== JSON.stringify(settings[key])) {
          throw new AppError(
            'conflict',
            `${db} holds an index built with a different ${key} (${JSON.stringify(stored[key])}, now ${JSON.stringify(settings[key])}): pass another --db to start a new index`,
          );
        }
      }
    } else {
      const startK = cap ?? exactK ?? Math.min(dSae, ADAPTIVE_K);
      try {
        writer.create(
          settings,
          { tokenizer: engine.folder.tokenizerJson, tokenizerConfig: engine.folder.tokenizerConfig, config: engine.folder.config },
          initialProgress(startK),
        );
      } catch (e) {
        diskFull(e, db, undefined);
      }
      stored = settings;
    }
    const batchSize = stored.batch;
    let p = writer.progress!;
    const t0 = performance.now();
    const tokensAtStart = p.tokens;

    const result = (complete: boolean, summary?: IndexSummary): IndexResult => {
      const seconds = (performance.now() - t0) / 1000;
      return {
        tokens: p.tokens,
        documents: p.documents,
        windows: p.windows,
        seconds: Number(seconds.toFixed(3)),
        tokens_per_second: seconds > 0 ? Math.round((p.tokens - tokensAtStart) / seconds) : 0,
        activations: p.activations,
        db_bytes: indexBytes(db),
        truncated_tokens: p.truncatedTokens,
        complete,
        resumed,
        db,
        ...(summary ? { summary } : {}),
      };
    };

    if (p.phase === 'index') {
      const stopped = await indexCorpus().catch((e: unknown) => {
        nothingIndexed = e instanceof EmptyCorpusError && p.windows === 0;
        throw e;
      });
      if (stopped) return result(false);
    }
    // a shard's statistics are the merge's to compute, over every shard's activations
    if (p.phase === 'finalize' && stored.shard) {
      writer.compact();
      return result(true);
    }
    if (p.phase === 'finalize') {
      hooks.progress?.({ phase: 'finalize', done: 0, total: dSae, runDone: 0, batches: p.batches });
      const firstDone = Number(writer.db.prepare('select coalesce(max(id) + 1, 0) from features').pluck().get());
      let summary: IndexSummary | undefined;
      try {
        const end = finishIndex(writer, dSae, stored.seed, p, {
          progress: (done, total) => hooks.progress?.({ phase: 'finalize', done, total, runDone: done - firstDone, batches: p.batches }),
          shouldStop: () => hooks.shouldStop?.() ?? false,
        });
        if (!end) return result(false);
        ({ summary, progress: p } = end);
      } catch (e) {
        diskFull(e, db, p);
      }
      return result(true, summary);
    }
    // already complete: nothing to do
    return result(true, readMeta<IndexSummary>(writer.db, 'summary'));

    /** The index phase; resolves true when it stopped early. */
    async function indexCorpus(): Promise<boolean> {
      let bytesDone = 0;
      const gen = corpusWindows(corpus, p, p.windows, {
        context,
        bosId,
        maxTokens: stored!.maxTokens,
        onBadLine: options.onBadLine ?? 'stop',
        tokenize: (text) => engine.tokenizer.encode(text, false),
        warn: (m) => hooks.log?.('warn', m),
        onBytes: (b) => (bytesDone = b),
      });
      let genError: unknown;
      let endPosition: CorpusPosition | undefined;
      const nextBatch = async (): Promise<PendingWindow[] | undefined> => {
        const ws: PendingWindow[] = [];
        while (ws.length < batchSize && !endPosition && genError === undefined) {
          try {
            const r = await gen.next();
            if (r.done) endPosition = r.value;
            else ws.push(r.value);
          } catch (e) {
            genError = e;
          }
        }
        return ws.length ? ws : undefined;
      };
      let k = p.captureK;
      let truncated = 0;
      const captureBatch = async (ws: PendingWindow[]): Promise<Activations> => {
        // equal-length windows share a capture call (short last windows go on their own)
        const byLen = new Map<number, PendingWindow[]>();
        for (const w of ws) byLen.set(w.ids.length, [...(byLen.get(w.ids.length) ?? []), w]);
        const perWindow = new Map<number, { values: Float32Array; indices: Int32Array; k: number; row: number }>();
        for (const group of byLen.values()) {
          for (;;) {
            const out = await capture(
              group.map((w) => w.ids),
              k,
            );
            const K = out.k;
            let needMore = false;
            let cut = 0;
            if (K < (exactK ?? dSae)) {
              for (let i = K - 1; i < out.values.length; i += K) if (out.values[i]! > 0) cut++;
            }
            if (cut && cap === null && exactK === undefined && K < dSae) needMore = true;
            if (needMore) {
              k = Math.min(dSae, k * 2);
              continue;
            }
            truncated += cut;
            group.forEach((w, row) => perWindow.set(w.id, { values: out.values, indices: out.indices, k: K, row }));
            break;
          }
        }
        const acts = activations(ws.length * context * 8);
        for (const w of ws) {
          const c = perWindow.get(w.id)!;
          const T = w.ids.length;
          const base = w.id * context;
          for (let t = w.bos ? 1 : 0; t < T; t++) {
            const o = (c.row * T + t) * c.k;
            for (let j = 0; j < c.k; j++) {
              const v = c.values[o + j]!;
              if (v > 0) pushActivation(acts, c.indices[o + j]!, base + t, v);
            }
          }
        }
        return acts;
      };

      const runStart = p.tokens;
      const report = (): void => {
        const total =
          stored!.maxTokens ?? (bytesDone > 0 ? Math.max(p.tokens, Math.round((p.tokens * corpus.totalBytes) / bytesDone)) : null);
        hooks.progress?.({
          phase: 'index',
          done: p.tokens,
          total: endPosition ? p.tokens : total,
          runDone: p.tokens - runStart,
          batches: p.batches,
        });
      };
      report();
      try {
        let cur = await nextBatch();
        let curCapture = cur ? captureBatch(cur) : undefined;
        // an unobserved rejection must not crash the process while we await something else
        curCapture?.catch(() => {});
        while (cur && curCapture) {
          // read and tokenize ahead while the capture runs
          const next = genError === undefined ? await nextBatch() : undefined;
          const acts = await curCapture;
          await hooks.pausePoint?.();
          const stop = hooks.shouldStop?.() ?? false;
          const nextCapture = next && !stop ? captureBatch(next) : undefined;
          nextCapture?.catch(() => {});
          const last = cur[cur.length - 1]!;
          const after: Progress = {
            ...p,
            ...last.after,
            windows: last.id + 1,
            activations: p.activations + acts.length,
            batches: p.batches + 1,
            stagedActivations: p.stagedActivations + acts.length,
            truncatedTokens: p.truncatedTokens + truncated,
            captureK: k,
          };
          truncated = 0;
          const commit: BatchCommit = {
            documents: cur.flatMap((w) => (w.newDocument ? [w.newDocument] : [])),
            windows: cur.map((w) => ({ id: w.id, doc: w.doc, idx: w.idx, bos: w.bos, tokens: encodeTokens(w.ids) })),
            activations: acts,
            base: cur[0]!.id * context,
            progress: after,
          };
          try {
            writer.commitBatch(commit, dSae);
            p = after;
            if (p.stagedActivations >= (options.mergeActivations ?? DEFAULT_MERGE)) {
              hooks.progress?.({ phase: 'merge', done: p.tokens, total: null, runDone: p.tokens - runStart, batches: p.batches });
              const merged: Progress = { ...p, stagedActivations: 0 };
              writer.mergeStaged(dSae, merged);
              p = merged;
            }
          } catch (e) {
            await nextCapture?.catch(() => {});
            diskFull(e, db, p);
          }
          report();
          if (stop) return true;
          cur = next;
          curCapture = nextCapture;
        }
        if (genError !== undefined) throw genError;
      } finally {
        // closes the corpus files when the loop ends early (cancel, errors)
        await gen.return(p);
      }
      // (a shard may own no tokens at all: the merge judges the whole corpus)
      if (p.tokens === 0 && !stored!.shard) throw emptyCorpus(stored!.corpus, { ...p, ...(endPosition ?? {}) });
      // the end of the corpus: merge what is staged and move on to finalize, atomically
      // (no cursor: nothing is read any more, and shards and their merge agree on it)
      const end: Progress = { ...p, ...(endPosition ?? {}), phase: 'finalize', stagedActivations: 0, captureK: k, cursor: null };
      try {
        hooks.progress?.({ phase: 'merge', done: p.tokens, total: p.tokens, runDone: p.tokens - runStart, batches: p.batches });
        writer.mergeStaged(dSae, end);
      } catch (e) {
        diskFull(e, db, p);
      }
      p = end;
      return false;
    }
  } finally {
    writer.close();
    // an index of an empty corpus is no index: the file this run made goes again
    if (nothingIndexed) removeIndexFiles(db);
  }
}

/** A corpus with no tokens at all: refused rather than made into a "complete" index of nothing. */
class EmptyCorpusError extends InputFileError {}

function emptyCorpus(corpus: string, p: Progress): EmptyCorpusError {
  const why = [
    `${p.documents} documents`,
    ...(p.emptyDocuments ? [`${p.emptyDocuments} empty`] : []),
    ...(p.skippedLines ? [`${p.skippedLines} lines skipped`] : []),
  ].join(', ');
  return new EmptyCorpusError(`${corpus}: the corpus has no tokens to index (${why}); nothing was indexed`);
}

/** Deletes an index database that holds nothing, with its WAL, shared-memory and lock files. */
function removeIndexFiles(db: string): void {
  for (const suffix of ['', '-wal', '-shm', '-journal', '.lock']) fs.rmSync(db + suffix, { force: true });
}
