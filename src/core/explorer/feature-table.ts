/**
 * Every feature's statistics of one index, held in memory for fast search (24k features
 * are a few hundred kB): count, max, density and the stored histogram blob for sparklines.
 * Reloaded when another connection (the index job) has committed since.
 */
import fs from 'node:fs';
import { AppError } from '../../shared/reply.ts';
import { decodeVarints } from '../index/codec.ts';
import { decodeStats } from '../index/finalize.ts';
import { IndexReader } from '../index/reader.ts';
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

interface Open {
  reader: IndexReader;
  ino: number;
  table: FeatureTable | undefined;
  version: number;
}

/** Open indexes kept at once. */
const MAX_OPEN = 4;

/**
 * Read-only access to indexes for the explorer: one reader per file (reopened when the file
 * is replaced) and its FeatureTable, reloaded when the file has changed.
 */
export class FeatureTables {
  readonly #open = new Map<string, Open>();

  #entry(file: string): Open {
    let st: fs.Stats;
    try {
      st = fs.statSync(file);
    } catch {
      throw new AppError('not_found', `no index at ${file}`);
    }
    let e = this.#open.get(file);
    if (e && e.ino !== st.ino) {
      e.reader.close();
      this.#open.delete(file);
      e = undefined;
    }
    if (!e) {
      e = { reader: new IndexReader(file), ino: st.ino, table: undefined, version: -1 };
      if (this.#open.size >= MAX_OPEN) {
        const [oldest, old] = this.#open.entries().next().value as [string, Open];
        old.reader.close();
        this.#open.delete(oldest);
      }
    } else this.#open.delete(file);
    this.#open.set(file, e); // most recently used last
    return e;
  }

  /** The index's reader (for its database and settings). */
  reader(file: string): IndexReader {
    return this.#entry(file).reader;
  }

  /** The index's feature statistics, as of its last commit. */
  table(file: string): FeatureTable {
    const e = this.#entry(file);
    const db = e.reader.db;
    const version = Number(db.pragma('data_version', { simple: true }));
    if (!e.table || version !== e.version) {
      const load = db.transaction(() => {
        const p = e.reader.progress;
        const rows = db.prepare('select id, count, max, histogram from features').all() as {
          id: number;
          count: number;
          max: number;
          histogram: Buffer;
        }[];
        return new FeatureTable(e.reader.settings, p.tokens, p.phase === 'done', rows);
      });
      e.table = load();
      e.version = version;
    }
    return e.table;
  }

  close(): void {
    for (const e of this.#open.values()) e.reader.close();
    this.#open.clear();
  }
}
