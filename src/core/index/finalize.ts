import type Database from 'better-sqlite3';
import { DENSE_DENSITY, DENSITY_BINS } from './bins.ts';
import { COOCCURRENCE_META } from './cooccurrence.ts';
import { CooccurrenceWriter } from './cooccurrence-store.ts';
import { asBuffer } from './bytes.ts';
import { blockComputer, FEATURES_PER_BLOCK, type FeatureRow } from './finalize-blocks.ts';
import { startFinalizeHelper, wantsHelper, type FinalizeHelper, type StartFinalizeHelper } from './finalize-helper.ts';
import type { IndexWriter } from './store.ts';
import { TOP_TOKENS_META, TopTokenWriter } from './top-tokens.ts';
import type { DensityBin, IndexSummary, Progress } from './types.ts';
import { errorMessage } from '#shared/error-message.ts';
import { yieldTurn } from '../util/yield-turn.ts';

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
  /**
   * Whether a helper thread computes blocks too (finalize-helper.ts); default: by the index's
   * size. A function starts the helper (tests wrap startFinalizeHelper to watch or break it).
   */
  readonly helper?: boolean | StartFinalizeHelper;
}

/**
 * Computes every feature's statistics from its chunks and writes them, FEATURES_PER_BLOCK
 * features per transaction (resumable: it starts after the last feature written), then the
 * summary and `done`. On a large index a helper thread computes blocks too (BlockSource);
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
  // the helper thread starts first: it loads while this thread builds the co-occurrence table
  const helper =
    blocks.length > 1 && (options.helper ?? wantsHelper(progress.activations))
      ? tryHelper(() => (typeof options.helper === 'function' ? options.helper : startFinalizeHelper)({ file: db.name, seed }), hooks)
      : undefined;
  const counter = blocks.length ? cooccurrence?.counter() : undefined;
  if (counter) helper?.useTable(counter.table);
  const source = new BlockSource(blocks, blockComputer(db, seed, counter), helper, hooks);
  try {
    for (let i = 0; i < blocks.length; i++) {
      if (hooks.shouldStop()) return undefined;
      const rows = await source.take(i);
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
    await source.close();
  }
  return indexSummary(db, dSae, progress);
}

/** Blocks asked of the helper at once, so it never waits for its next request. */
const HELPER_QUEUE = 2;
/** Blocks this thread computes ahead of the one due while the helper has that one: bounds the rows held. */
const RUN_AHEAD = 4;

/**
 * The rows of each block, handed out in block order and computed wherever a core is free: once
 * the helper thread is ready (this thread computes blocks while it starts: handed blocks at
 * once, it left this thread idle ~0.15 s waiting for the first), it is kept HELPER_QUEUE blocks
 * ahead, and while the block due next is still on the helper this thread computes the next
 * unassigned one instead of waiting (it also writes every block, so a fixed half each left one
 * core idle). Without a helper, or once it fails, every block is computed here: the same rows
 * either way.
 */
class BlockSource {
  readonly #ready = new Map<number, FeatureRow[]>();
  readonly #onHelper = new Map<number, Promise<FeatureRow[]>>();
  readonly #back = new Set<number>();
  #next = 0;
  /** Set once the helper takes blocks: until then this thread computes them, as if alone. */
  #helperReady = false;

  constructor(
    private readonly blocks: readonly (readonly [number, number])[],
    private readonly computeHere: (start: number, end: number) => FeatureRow[],
    private helper: FinalizeHelper | undefined,
    private readonly hooks: FinalizeHooks,
  ) {
    void helper?.ready.then(() => (this.#helperReady = true));
  }

  /** Block i's rows (blocks are taken in order). */
  async take(i: number): Promise<FeatureRow[]> {
    // a turn of the event loop per block while the helper starts, so its 'ready' gets in
    if (this.helper && !this.#helperReady) await yieldTurn();
    for (;;) {
      this.#feedHelper();
      const here = this.#ready.get(i);
      if (here) {
        this.#ready.delete(i);
        return here;
      }
      const there = this.#onHelper.get(i);
      if (!there) {
        this.#computeNext(); // block i is the next unassigned one
        continue;
      }
      if (this.#back.has(i) || this.#next >= this.blocks.length || this.#ready.size >= RUN_AHEAD) {
        this.#onHelper.delete(i);
        return there.catch(async (e: unknown) => {
          await this.#dropHelper(e);
          return this.computeHere(...this.blocks[i]!);
        });
      }
      // the helper still has it: compute another block meanwhile, then let the helper's answers in
      this.#computeNext();
      await yieldTurn();
    }
  }

  async close(): Promise<void> {
    await this.helper?.close();
  }

  #computeNext(): void {
    const j = this.#next++;
    this.#ready.set(j, this.computeHere(...this.blocks[j]!));
  }

  #feedHelper(): void {
    const pending = (): number => [...this.#onHelper.keys()].filter((j) => !this.#back.has(j)).length;
    // the helper's answers wait here until taken: bounded like this thread's own
    while (
      this.helper &&
      this.#helperReady &&
      this.#next < this.blocks.length &&
      pending() < HELPER_QUEUE &&
      this.#onHelper.size + this.#ready.size < HELPER_QUEUE + RUN_AHEAD
    ) {
      const j = this.#next++;
      const rows = this.helper.rows(...this.blocks[j]!);
      // (a rejection is handled when block j is taken)
      void rows.then(
        () => this.#back.add(j),
        () => this.#back.add(j),
      );
      this.#onHelper.set(j, rows);
    }
  }

  async #dropHelper(e: unknown): Promise<void> {
    if (!this.helper) return;
    this.hooks.log?.('warn', `the finalize helper thread failed (${errorMessage(e)}): this thread computes the rest`);
    const h = this.helper;
    this.helper = undefined;
    await h.close();
  }
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
