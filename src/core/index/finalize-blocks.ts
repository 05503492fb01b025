/**
 * The finalize phase's unit of work: a block of consecutive features, read from the chunks
 * table and turned into the rows the phase writes (statistics blobs, top-example positions for
 * the top tokens, co-occurrence row). Pure computation over committed chunks, so the phase's
 * own thread and its helper thread (finalize-helper.ts) compute blocks alike.
 */
import type Database from 'better-sqlite3';
import type { ChunkRow, CooccurrenceCounter } from './cooccurrence.ts';
import { encodeStats, featureStats } from './feature-stats.ts';

/** Features per finalize block, and per transaction (a kill loses at most this much finalize work). */
export const FEATURES_PER_BLOCK = 512;

/** What the phase writes for one live feature (plain data: it crosses threads). */
export interface FeatureRow {
  readonly feature: number;
  readonly count: number;
  readonly sum: number;
  readonly max: number;
  /** histogram, intervals, top, samples: the `features` row's blobs (encodeStats). */
  readonly blobs: readonly [Uint8Array, Uint8Array, Uint8Array, Uint8Array];
  /** Global positions of the top examples, strongest first (for the top tokens). */
  readonly topPositions: readonly number[];
  /** The co-occurrence row; null when the feature is not active in the counted windows or none is recorded. */
  readonly cooccurrence: Uint8Array | null;
}

/** Reads the chunks of features [start, end), by feature, in position order. */
export function blockChunks(db: Database.Database): (start: number, end: number) => Map<number, ChunkRow[]> {
  const chunksIn = db.prepare('select feature, first, n, data from chunks where feature >= ? and feature < ? order by feature, first');
  return (start, end) => {
    const byFeature = new Map<number, ChunkRow[]>();
    for (const c of chunksIn.all(start, end) as (ChunkRow & { feature: number })[]) {
      const list = byFeature.get(c.feature);
      if (list) list.push(c);
      else byFeature.set(c.feature, [c]);
    }
    return byFeature;
  };
}

/** The rows of the live features of [start, end) (dead features get none: the reader answers zeros). */
export function blockRows(
  byFeature: ReadonlyMap<number, readonly ChunkRow[]>,
  start: number,
  end: number,
  seed: number,
  counter: CooccurrenceCounter | undefined,
): FeatureRow[] {
  const rows: FeatureRow[] = [];
  for (let f = start; f < end; f++) {
    const chunks = byFeature.get(f) ?? [];
    const s = featureStats(chunks, seed, f);
    if (!s.count) continue;
    rows.push({
      feature: f,
      count: s.count,
      sum: s.sum,
      max: s.max,
      blobs: encodeStats(s),
      topPositions: s.topPositions,
      cooccurrence: counter ? counter.row(f, chunks) : null,
    });
  }
  return rows;
}

/** Computes the rows of a block [start, end) of `db`'s features: what the phase's thread and its helper each run. */
export function blockComputer(
  db: Database.Database,
  seed: number,
  counter: CooccurrenceCounter | undefined,
): (start: number, end: number) => FeatureRow[] {
  const chunksOf = blockChunks(db);
  return (start, end) => blockRows(chunksOf(start, end), start, end, seed, counter);
}
