import type Database from 'better-sqlite3';
import { DENSE_DENSITY, DENSITY_BINS } from './bins.ts';
import { COOCCURRENCE_META } from './cooccurrence.ts';
import { CooccurrenceWriter } from './cooccurrence-store.ts';
import { asBuffer } from './bytes.ts';
import { blockChunks, blockRows, FEATURES_PER_BLOCK, type FeatureRow } from './finalize-blocks.ts';
import { startFinalizeHelper, wantsHelper, type FinalizeHelper } from './finalize-helper.ts';
import type { IndexWriter } from './store.ts';
import { TOP_TOKENS_META, TopTokenWriter } from './top-tokens.ts';
import type { DensityBin, IndexSummary, Progress } from './types.ts';
import { errorMessage } from '#shared/error-message.ts';

/** The across-feature log10-density histogram over [log10(1/tokens), 0]. */
export function densityHistogram(counts: readonly number[], tokens: number): DensityBin[] {
  const lo = tokens > 1 ? -Math.log10(tokens) : -1;
  const width = -lo / DENSITY_BINS;
  const bins = Array.from({ length: DENSITY_BINS }, (_, i) => ({
    lo: lo + i * width,
    hi: i === DENSITY_BINS - 1 ? 0 : lo + (i + 1) * width,
    count: 0,
  }));
  for (const c of counts) {
    if (c <= 0) continue;
    const b = Math.floor((Math.log10(c / tokens) - lo) / width);
    bins[Math.max(0, Math.min(DENSITY_BINS - 1, b))]!.count++;
  }
  return bins;
}

/** What the finalize phase reports. */
export interface FinalizeHooks {
  progress(done: number, total: number): void;
  /** True when the job should stop (cancel/pause): finalize stops after its current commit. */
  shouldStop(): boolean;
  log?(level: 'warn', message: string): void;
}

/** How the finalize phase runs. */
export interface FinalizeOptions {
  /** Whether a helper thread computes every other block (finalize-helper.ts); default: by the index's size. */
  readonly helper?: boolean;
}

/**
 * Computes every feature's statistics from its chunks and writes them, FEATURES_PER_BLOCK
 * features per transaction (resumable: it starts after the last feature written), then the
 * summary and `done`. On a large index a helper thread computes every other block meanwhile;
 * this thread writes every block, in feature order. Returns the summary, or undefined when it
 * stopped early.
 */
export async function finalizeIndex(
  db: Database.Database,
  dSae: number,
  seed: number,
  progress: Progress,
  hooks: FinalizeHooks,
  options: FinalizeOptions = {},
): Promise<IndexSummary | undefined> {
  const put = db.prepare(
    'insert or replace into features (id, count, sum, max, histogram, intervals, top, samples) values (?, ?, ?, ?, ?, ?, ?, ?)',
  );
  const next = ((db.prepare('select max(id) from features').pluck().get() as number | null) ?? -1) + 1;
  // top tokens are recorded when finalize covers every feature (a run begun before migration 2 does not:
  // its tables are filled from the stored top examples on the first token search, see backfill-top-tokens.ts)
  const topTokens =
    next === 0 || db.prepare('select 1 from meta where key = ?').pluck().get(TOP_TOKENS_META) ? new TopTokenWriter(db) : undefined;
  // co-occurring features likewise (a run begun before migration 3 gets them on first use, see cooccurrence-store.ts)
  const cooccurrence =
    next === 0 || db.prepare('select 1 from meta where key = ?').pluck().get(COOCCURRENCE_META)
      ? new CooccurrenceWriter(db, dSae, progress)
      : undefined;
  const blocks: [number, number][] = [];
  for (let b = next; b < dSae; b += FEATURES_PER_BLOCK) blocks.push([b, Math.min(dSae, b + FEATURES_PER_BLOCK)]);
  const counter = blocks.length ? cooccurrence?.counter() : undefined;
  const chunksOf = blockChunks(db);
  const computeHere = ([start, end]: [number, number]): FeatureRow[] => blockRows(chunksOf(start, end), start, end, seed, counter);
  let helper =
    blocks.length > 1 && (options.helper ?? wantsHelper(progress.activations))
      ? tryHelper(() => startFinalizeHelper({ file: db.name, seed, ...(counter ? { table: counter.table } : {}) }), hooks)
      : undefined;
  try {
    let ahead: Promise<FeatureRow[]> | undefined;
    for (let i = 0; i < blocks.length; i++) {
      if (hooks.shouldStop()) return undefined;
      let rows: FeatureRow[];
      if (ahead) {
        // the helper's block; should the helper fail, this thread computes it (the same rows)
        rows = await ahead.catch(async (e: unknown) => {
          hooks.log?.('warn', `the finalize helper thread failed (${errorMessage(e)}): this thread computes the rest`);
          await helper?.close();
          helper = undefined;
          return computeHere(blocks[i]!);
        });
        ahead = undefined;
      } else {
        // ask the helper for the next block, then compute this one
        if (helper && i + 1 < blocks.length) {
          ahead = helper.rows(...blocks[i + 1]!);
          ahead.catch(() => {});
        }
        rows = computeHere(blocks[i]!);
      }
      db.transaction(() => {
        if (i === 0 && next === 0) {
          topTokens?.start();
          cooccurrence?.start();
        }
        for (const r of rows) {
          put.run(r.feature, r.count, r.sum, r.max, ...r.blobs.map(asBuffer));
          topTokens?.add(r.feature, r.topPositions);
          cooccurrence?.put(r.feature, r.cooccurrence);
        }
      })();
      hooks.progress(blocks[i]![1], dSae);
    }
  } finally {
    await helper?.close();
  }
  return indexSummary(db, dSae, progress);
}

/** The helper `start` gives, or undefined (with a warning) when it cannot start: this thread then computes every block. */
function tryHelper(start: () => FinalizeHelper, hooks: FinalizeHooks): FinalizeHelper | undefined {
  try {
    return start();
  } catch (e) {
    hooks.log?.('warn', `the finalize helper thread did not start (${errorMessage(e)}): this thread computes every block`);
    return undefined;
  }
}

/** The summary of a finalized index: its counts and the across-feature density figures. */
function indexSummary(db: Database.Database, dSae: number, progress: Progress): IndexSummary {
  const counts = db.prepare('select count from features where count > 0').pluck().all() as number[];
  const tokens = progress.tokens;
  const summary: IndexSummary = {
    tokens,
    documents: progress.documents,
    windows: progress.windows,
    activations: progress.activations,
    features: dSae,
    dead: dSae - counts.length,
    dense: counts.filter((c) => tokens > 0 && c / tokens > DENSE_DENSITY).length,
    densityHistogram: densityHistogram(counts, tokens),
    truncatedTokens: progress.truncatedTokens,
    emptyDocuments: progress.emptyDocuments,
    skippedLines: progress.skippedLines,
  };
  return summary;
}

/**
 * The end of an index, shared by indexing and merging: finalizeIndex, then (when every feature
 * is done) the summary and phase `done` in one transaction and the file compacted. Returns the
 * summary and the final progress, or undefined when finalize stopped early.
 */
export async function finishIndex(
  writer: IndexWriter,
  dSae: number,
  seed: number,
  progress: Progress,
  hooks: FinalizeHooks,
  options: FinalizeOptions = {},
): Promise<{ summary: IndexSummary; progress: Progress } | undefined> {
  const summary = await finalizeIndex(writer.db, dSae, seed, progress, hooks, options);
  if (!summary) return undefined;
  const final: Progress = { ...progress, phase: 'done' };
  writer.db.transaction(() => {
    writer.setMeta('summary', summary);
    writer.writeProgress(final);
  })();
  writer.compact();
  return { summary, progress: final };
}
