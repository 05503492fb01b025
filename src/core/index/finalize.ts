import type Database from 'better-sqlite3';
import {
  binOf,
  BottomK,
  DENSE_DENSITY,
  DENSITY_BINS,
  featureSeed,
  HISTOGRAM_BINS,
  INTERVAL_SAMPLES,
  INTERVALS,
  samplePriority,
  TOP_EXAMPLES,
} from './bins.ts';
import { decodeChunk, encodeVarints } from './codec.ts';
import { COOCCURRENCE_META } from './cooccurrence.ts';
import { CooccurrenceWriter } from './cooccurrence-store.ts';
import { CHUNK_MAX, type IndexWriter } from './store.ts';
import { TOP_TOKENS_META, TopTokenWriter } from './top-tokens.ts';
import type { DensityBin, IndexSummary, Progress } from './types.ts';

/** Features per finalize transaction (a kill loses at most this much finalize work). */
const FEATURES_PER_COMMIT = 512;

/** Statistics of one feature, as the finalize phase computes them. */
export interface FeatureStats {
  readonly count: number;
  readonly sum: number;
  readonly max: number;
  readonly histogram: Uint32Array;
  readonly intervals: Uint32Array;
  /** Ordinals (index in the feature's position-sorted activations) of the top examples, strongest first. */
  readonly top: number[];
  /** Global token positions of the top examples, in the same order. */
  readonly topPositions: number[];
  /** Per interval, the ordinals of its uniform sample (bottom-k of keyed-hash priorities), ascending. */
  readonly samples: number[][];
}

interface ChunkRow {
  first: number;
  n: number;
  data: Buffer;
}

/**
 * One feature's statistics in two streaming passes over its chunks (count, sum, max, top;
 * then histogram, interval counts and samples), so memory stays one chunk. An interval's
 * sample is the INTERVAL_SAMPLES activations with the smallest keyed-hash priority of
 * (seed, feature, global position): a function of which activations the interval holds,
 * not of the order they were read in, so shards merged in corpus order sample alike.
 */
// Scratch for one decoded chunk, shared by every call (finalize is synchronous).
const scratchPos = new Float64Array(CHUNK_MAX);
const scratchVal = new Float32Array(CHUNK_MAX);

export function featureStats(chunks: readonly ChunkRow[], seed: number, feature: number): FeatureStats {
  const pos = scratchPos;
  const val = scratchVal;
  let count = 0;
  let sum = 0;
  let max = 0;
  // top: [value, ordinal, position] strongest first; ties keep the earlier position
  const top: [number, number, number][] = [];
  for (const c of chunks) {
    decodeChunk(c.data, c.first, c.n, pos, val);
    for (let i = 0; i < c.n; i++) {
      const v = val[i]!;
      const o = count + i;
      sum += v;
      if (v > max) max = v;
      if (top.length < TOP_EXAMPLES || v > top[top.length - 1]![0]) {
        let at = top.length;
        while (at > 0 && top[at - 1]![0] < v) at--;
        top.splice(at, 0, [v, o, pos[i]!]);
        if (top.length > TOP_EXAMPLES) top.pop();
      }
    }
    count += c.n;
  }
  const histogram = new Uint32Array(HISTOGRAM_BINS);
  const intervals = new Uint32Array(INTERVALS);
  const samples = Array.from({ length: INTERVALS }, () => new BottomK(INTERVAL_SAMPLES));
  const key = featureSeed(seed, feature);
  let o = 0;
  for (const c of chunks) {
    decodeChunk(c.data, c.first, c.n, pos, val);
    for (let i = 0; i < c.n; i++, o++) {
      const v = val[i]!;
      histogram[binOf(v, max, HISTOGRAM_BINS)]!++;
      const b = binOf(v, max, INTERVALS);
      intervals[b]!++;
      samples[b]!.offer(o, samplePriority(key, pos[i]!));
    }
  }
  return {
    count,
    sum,
    max,
    histogram,
    intervals,
    top: top.map(([, ord]) => ord),
    topPositions: top.map(([, , p]) => p),
    samples: samples.map((r) => [...r.items].sort((a, b) => a - b)),
  };
}

/**
 * A feature's stored blobs: the histogram as (zero bins skipped, count) pairs for its nonzero
 * bins, the interval counts, the top ordinals in rank order, and per interval its sample
 * size then its ascending ordinals as gaps. Compact because most features are sparse.
 */
export function encodeStats(s: FeatureStats): [Buffer, Buffer, Buffer, Buffer] {
  const hist: number[] = [];
  let zeros = 0;
  for (const c of s.histogram) {
    if (c === 0) zeros++;
    else {
      hist.push(zeros, c);
      zeros = 0;
    }
  }
  const samples: number[] = [];
  for (const xs of s.samples) {
    samples.push(xs.length);
    xs.forEach((x, i) => samples.push(i ? x - xs[i - 1]! : x));
  }
  return [encodeVarints(hist), encodeVarints(s.intervals), encodeVarints(s.top), encodeVarints(samples)];
}

/** The inverse of encodeStats for the histogram and the samples. */
export function decodeStats(histogram: number[], samples: number[]): { histogram: number[]; samples: number[][] } {
  const hist = new Array<number>(HISTOGRAM_BINS).fill(0);
  for (let i = 0, bin = 0; i + 1 < histogram.length; i += 2) {
    bin += histogram[i]!;
    hist[bin++] = histogram[i + 1]!;
  }
  const out: number[][] = [];
  for (let at = 0; at < samples.length;) {
    const n = samples[at++]!;
    const xs: number[] = [];
    for (let j = 0; j < n; j++) xs.push((xs[j - 1] ?? 0) + samples[at++]!);
    out.push(xs);
  }
  return { histogram: hist, samples: out };
}

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
}

/**
 * Computes every feature's statistics from its chunks and writes them, FEATURES_PER_COMMIT
 * features per transaction (resumable: it starts after the last feature written), then the
 * summary and `done`. Returns the summary, or undefined when it stopped early.
 */
export function finalizeIndex(
  db: Database.Database,
  dSae: number,
  seed: number,
  progress: Progress,
  hooks: FinalizeHooks,
): IndexSummary | undefined {
  const chunksIn = db.prepare('select feature, first, n, data from chunks where feature >= ? and feature < ? order by feature, first');
  const put = db.prepare(
    'insert or replace into features (id, count, sum, max, histogram, intervals, top, samples) values (?, ?, ?, ?, ?, ?, ?, ?)',
  );
  let next = ((db.prepare('select max(id) from features').pluck().get() as number | null) ?? -1) + 1;
  // top tokens are recorded when finalize covers every feature (a run begun before migration 2 does not:
  // its tables are filled from the stored top examples on the first token search, see backfill-top-tokens.ts)
  const topTokens =
    next === 0 || db.prepare('select 1 from meta where key = ?').pluck().get(TOP_TOKENS_META) ? new TopTokenWriter(db) : undefined;
  // co-occurring features likewise (a run begun before migration 3 gets them on first use, see cooccurrence-store.ts)
  const cooccurrence =
    next === 0 || db.prepare('select 1 from meta where key = ?').pluck().get(COOCCURRENCE_META)
      ? new CooccurrenceWriter(db, dSae, progress)
      : undefined;
  let first = next === 0;
  while (next < dSae) {
    if (hooks.shouldStop()) return undefined;
    const end = Math.min(dSae, next + FEATURES_PER_COMMIT);
    const rows: { f: number; s: FeatureStats }[] = [];
    const byFeature = new Map<number, ChunkRow[]>();
    for (const c of chunksIn.all(next, end) as (ChunkRow & { feature: number })[]) {
      const list = byFeature.get(c.feature);
      if (list) list.push(c);
      else byFeature.set(c.feature, [c]);
    }
    for (let f = next; f < end; f++) rows.push({ f, s: featureStats(byFeature.get(f) ?? [], seed, f) });
    db.transaction(() => {
      if (first) {
        topTokens?.start();
        cooccurrence?.start();
      }
      // dead features get no row: the reader answers zeros for them
      for (const { f, s } of rows) {
        if (!s.count) continue;
        put.run(f, s.count, s.sum, s.max, ...encodeStats(s));
        topTokens?.add(f, s.topPositions);
        cooccurrence?.add(f, byFeature.get(f)!);
      }
    })();
    first = false;
    next = end;
    hooks.progress(next, dSae);
  }
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
export function finishIndex(
  writer: IndexWriter,
  dSae: number,
  seed: number,
  progress: Progress,
  hooks: FinalizeHooks,
): { summary: IndexSummary; progress: Progress } | undefined {
  const summary = finalizeIndex(writer.db, dSae, seed, progress, hooks);
  if (!summary) return undefined;
  const final: Progress = { ...progress, phase: 'done' };
  writer.db.transaction(() => {
    writer.setMeta('summary', summary);
    writer.writeProgress(final);
  })();
  writer.compact();
  return { summary, progress: final };
}
