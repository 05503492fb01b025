/**
 * Every feature's statistics of one index, held in memory for fast search (24k features
 * are a few hundred kB): count, max, density and the stored histogram blob for sparklines.
 * Reloaded when another connection (the index job) has committed since.
 */
import { decodeVarints } from '../index/codec.ts';
import { decodeStats } from '../index/feature-stats.ts';
import type { IndexReader } from '../index/reader.ts';
import type { IndexSettings } from '../index/types.ts';
import { downsample } from './spark.ts';

/** Bins of a sparkline. */
export const SPARK_BINS = 16;

/** One index's per-feature statistics (dead features: count 0, max 0). */
export class FeatureTable {
  readonly count: Float64Array;
  readonly max: Float32Array;
  readonly #hist: (Buffer | undefined)[];

  constructor(
    readonly settings: IndexSettings,
    /** Tokens indexed (BOS not counted): the denominator of densities. */
    readonly tokens: number,
    /** Whether the index job has finished (else statistics cover only part of the features). */
    readonly complete: boolean,
    rows: readonly { id: number; count: number; max: number; histogram: Buffer }[],
  ) {
    const n = settings.dSae;
    this.count = new Float64Array(n);
    this.max = new Float32Array(n);
    this.#hist = new Array<Buffer | undefined>(n);
    for (const r of rows) {
      if (r.id < 0 || r.id >= n) continue;
      this.count[r.id] = r.count;
      this.max[r.id] = r.max;
      this.#hist[r.id] = r.histogram;
    }
  }

  get dSae(): number {
    return this.settings.dSae;
  }

  density(id: number): number {
    return this.tokens > 0 ? this.count[id]! / this.tokens : 0;
  }

  /** The feature's 50-bin histogram downsampled to 16 bins. */
  spark(id: number): number[] {
    const blob = this.#hist[id];
    if (!blob) return new Array<number>(SPARK_BINS).fill(0);
    return downsample(decodeStats(decodeVarints(blob), []).histogram, SPARK_BINS);
  }
}

interface Loaded {
  /** The reader the table was read through (a new one means the file was replaced). */
  reader: IndexReader;
  table: FeatureTable;
  version: number;
}

/** Tables kept at once. */
const MAX_TABLES = 4;

/**
 * The explorer's FeatureTables, one per index file, read through the index service's shared
 * readers (`reader`: reopened there when the file is replaced) and reloaded when the file
 * has changed.
 */
export class FeatureTables {
  readonly #tables = new Map<string, Loaded>();

  constructor(private readonly reader: (file: string) => IndexReader) {}

  /** The index's feature statistics, as of its last commit. */
  table(file: string): FeatureTable {
    const reader = this.reader(file);
    const db = reader.db;
    const version = Number(db.pragma('data_version', { simple: true }));
    let e = this.#tables.get(file);
    this.#tables.delete(file);
    if (!e || e.reader !== reader || version !== e.version) {
      const load = db.transaction(() => {
        const p = reader.progress;
        const rows = db.prepare('select id, count, max, histogram from features').all() as {
          id: number;
          count: number;
          max: number;
          histogram: Buffer;
        }[];
        return new FeatureTable(reader.settings, p.tokens, p.phase === 'done', rows);
      });
      e = { reader, table: load(), version };
    }
    this.#tables.set(file, e); // most recently used last
    while (this.#tables.size > MAX_TABLES) this.#tables.delete(this.#tables.keys().next().value!);
    return e.table;
  }

  clear(): void {
    this.#tables.clear();
  }
}
