import type Database from 'better-sqlite3';
import type { FeatureDashboard, FeatureExample, FeatureSample, IndexStatus } from '#shared/index-types.ts';
import { AppError } from '#shared/reply.ts';
import { TextTokenizer } from '../model/tokenizer.ts';
import { binBounds, HISTOGRAM_BINS, INTERVALS, sampleIndices } from './bins.ts';
import { decodeChunk, decodeTokens, decodeVarints } from './codec.ts';
import { indexBytes, openIndexForRead } from './db.ts';
import { decodeStats } from './feature-stats.ts';
import { readMeta, readProgress } from './store.ts';
import type { IndexSettings, IndexSummary, Progress } from './types.ts';

/** Context tokens shown on each side of an activating token by default. */
export const DEFAULT_EXAMPLE_CONTEXT = 8;

interface ChunkRef {
  readonly id: number;
  readonly first: number;
  readonly last: number;
  readonly n: number;
  /** Ordinal of the chunk's first activation within the feature. */
  readonly ord: number;
}

interface DecodedChunk {
  readonly pos: Float64Array;
  readonly value: Float32Array;
}

/** One feature's activations, decoded chunk by chunk as needed. */
export class FeatureActivations {
  readonly #cache = new Map<number, DecodedChunk>();

  constructor(
    readonly chunks: readonly ChunkRef[],
    private readonly load: (id: number) => Buffer,
  ) {}

  get count(): number {
    const last = this.chunks[this.chunks.length - 1];
    return last ? last.ord + last.n : 0;
  }

  decode(c: ChunkRef): DecodedChunk {
    let d = this.#cache.get(c.id);
    if (!d) {
      d = { pos: new Float64Array(c.n), value: new Float32Array(c.n) };
      decodeChunk(this.load(c.id), c.first, c.n, d.pos, d.value);
      this.#cache.set(c.id, d);
    }
    return d;
  }

  /** Position and value of the activation with this ordinal. */
  at(ordinal: number): { pos: number; value: number } {
    let lo = 0;
    let hi = this.chunks.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.chunks[mid]!.ord <= ordinal) lo = mid;
      else hi = mid - 1;
    }
    const c = this.chunks[lo]!;
    const d = this.decode(c);
    return { pos: d.pos[ordinal - c.ord]!, value: d.value[ordinal - c.ord]! };
  }

  /** Values at positions [from, to) (0 where inactive). */
  range(from: number, to: number): number[] {
    const out = new Array<number>(to - from).fill(0);
    // first chunk whose last position reaches `from`
    let lo = 0;
    let hi = this.chunks.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.chunks[mid]!.last < from) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < this.chunks.length && this.chunks[i]!.first < to; i++) {
      const d = this.decode(this.chunks[i]!);
      for (let j = 0; j < d.pos.length; j++) {
        const p = d.pos[j]!;
        if (p >= from && p < to) out[p - from] = d.value[j]!;
      }
    }
    return out;
  }
}

/**
 * A feature's activations from its chunk rows: `dir` lists (id, first, last, n) by feature,
 * ordered by `first`; `data` plucks a chunk's blob by id.
 */
export function featureActivations(dir: Database.Statement, data: Database.Statement, feature: number): FeatureActivations {
  const rows = dir.all(feature) as { id: number; first: number; last: number; n: number }[];
  let ord = 0;
  const chunks = rows.map((r) => {
    const c = { ...r, ord };
    ord += r.n;
    return c;
  });
  return new FeatureActivations(chunks, (cid) => data.get(cid) as Buffer);
}

/** The dashboard of a feature that never fired. */
function deadFeature(id: number): FeatureDashboard {
  return {
    id,
    count: 0,
    density: 0,
    max: 0,
    mean: 0,
    histogram: new Array<number>(HISTOGRAM_BINS).fill(0),
    top: [],
    intervals: Array.from({ length: INTERVALS }, () => ({ lo: 0, hi: 0, count: 0, share: 0, examples: [] })),
  };
}

/**
 * Read-only queries on one index file: its status, a feature's dashboard, range samples.
 * Safe beside a running writer (WAL readers see the last committed state).
 */
export class IndexReader {
  readonly db: Database.Database;
  readonly settings: IndexSettings;
  #tokenizer: TextTokenizer | undefined;
  readonly #pieces = new Map<number, string>();
  readonly #chunkDir: Database.Statement;
  readonly #chunkData: Database.Statement;
  readonly #window: Database.Statement;
  readonly #feature: Database.Statement;

  constructor(readonly file: string) {
    this.db = openIndexForRead(file);
    const settings = readMeta<IndexSettings>(this.db, 'settings');
    if (!settings) {
      this.db.close();
      throw new AppError('bad_request', `${file} is not an activation index (no settings)`);
    }
    this.settings = settings;
    this.#chunkDir = this.db.prepare('select id, first, last, n from chunks where feature = ? order by first');
    this.#chunkData = this.db.prepare('select data from chunks where id = ?').pluck();
    this.#window = this.db.prepare('select bos, tokens from windows where id = ?');
    this.#feature = this.db.prepare('select * from features where id = ?');
  }

  get progress(): Progress {
    const p = readProgress(this.db);
    if (!p) throw new AppError('bad_request', `${this.file} has no progress row`);
    return p;
  }

  get summary(): IndexSummary | undefined {
    return readMeta<IndexSummary>(this.db, 'summary');
  }

  /** Where the index stands and what it was built from. */
  status(): IndexStatus {
    const p = this.progress;
    const s = this.settings;
    const summary = this.summary;
    return {
      db: this.file,
      state: p.phase === 'done' ? 'complete' : p.phase === 'finalize' ? 'finalizing' : 'indexing',
      model: s.model,
      sae: s.sae,
      hook: s.hook,
      architecture: s.architecture,
      dSae: s.dSae,
      context: s.context,
      corpus: s.corpus,
      tokens: p.tokens,
      documents: p.documents,
      windows: p.windows,
      activations: p.activations,
      bytes: indexBytes(this.file),
      ...(summary
        ? {
            summary: {
              dead: summary.dead,
              dense: summary.dense,
              densityHistogram: summary.densityHistogram,
              truncatedTokens: summary.truncatedTokens,
              emptyDocuments: summary.emptyDocuments,
              skippedLines: summary.skippedLines,
            },
          }
        : {}),
    };
  }

  #checkFeature(id: number): void {
    if (!Number.isInteger(id) || id < 0 || id >= this.settings.dSae) {
      throw new AppError('not_found', `no feature ${id}: this SAE has features 0–${this.settings.dSae - 1}`);
    }
    if (this.progress.phase !== 'done') {
      throw new AppError('conflict', `${this.file} is not finished yet (${this.progress.phase}); run the index job again to resume it`);
    }
  }

  #activations(id: number): FeatureActivations {
    return featureActivations(this.#chunkDir, this.#chunkData, id);
  }

  #piece(id: number): string {
    let p = this.#pieces.get(id);
    if (p === undefined) {
      if (!this.#tokenizer) {
        const t = readMeta<{
          tokenizer: Record<string, unknown>;
          tokenizerConfig: Record<string, unknown>;
          config: Record<string, unknown>;
        }>(this.db, 'tokenizer');
        if (!t) throw new AppError('bad_request', `${this.file} holds no tokenizer`);
        this.#tokenizer = new TextTokenizer(t.tokenizer, t.tokenizerConfig, t.config);
      }
      p = this.#tokenizer.pieces([id])[0] ?? '';
      this.#pieces.set(id, p);
    }
    return p;
  }

  #example(acts: FeatureActivations, pos: number, value: number, context: number): FeatureExample {
    const C = this.settings.context;
    const window = Math.floor(pos / C);
    const position = pos - window * C;
    const row = this.#window.get(window) as { bos: number; tokens: Buffer } | undefined;
    if (!row) throw new AppError('internal', `window ${window} is missing from ${this.file}`);
    const ids = decodeTokens(row.tokens);
    const start = Math.max(row.bos ? 1 : 0, position - context);
    const end = Math.min(ids.length, position + context + 1);
    return {
      window,
      position,
      value,
      start,
      tokens: ids.slice(start, end).map((id) => this.#piece(id)),
      values: acts.range(window * C + start, window * C + end),
    };
  }

  /** The dashboard of feature `id`, with `context` tokens on each side of every example. */
  feature(id: number, context = DEFAULT_EXAMPLE_CONTEXT): FeatureDashboard {
    this.#checkFeature(id);
    const row = this.#feature.get(id) as
      { count: number; sum: number; max: number; histogram: Buffer; intervals: Buffer; top: Buffer; samples: Buffer } | undefined;
    if (!row) return deadFeature(id);
    const tokens = this.progress.tokens;
    const acts = this.#activations(id);
    const example = (ordinal: number): FeatureExample => {
      const a = acts.at(ordinal);
      return this.#example(acts, a.pos, a.value, context);
    };
    const byValue = (a: FeatureExample, b: FeatureExample): number => b.value - a.value || a.window - b.window || a.position - b.position;
    const counts = decodeVarints(row.intervals);
    const stored = decodeStats(decodeVarints(row.histogram), decodeVarints(row.samples));
    const intervals = counts.map((count, i) => {
      const ords = stored.samples[i] ?? [];
      return {
        ...binBounds(i, row.max, INTERVALS),
        count,
        share: row.count ? count / row.count : 0,
        examples: ords.map(example).sort(byValue),
      };
    });
    return {
      id,
      count: row.count,
      density: tokens ? row.count / tokens : 0,
      max: row.max,
      mean: row.count ? row.sum / row.count : 0,
      histogram: stored.histogram,
      top: decodeVarints(row.top).map(example),
      intervals,
    };
  }

  /** `n` uniformly random activations of feature `id` with value in [lo, hi), for `seed`. */
  sample(id: number, lo: number, hi: number, n = 10, seed = 0, context = DEFAULT_EXAMPLE_CONTEXT): FeatureSample {
    this.#checkFeature(id);
    if (!(hi > lo)) throw new AppError('bad_request', `an empty range: hi (${hi}) must be greater than lo (${lo})`);
    const acts = this.#activations(id);
    let match = new Float64Array(1024);
    let m = 0;
    for (const c of acts.chunks) {
      const d = acts.decode(c);
      for (let j = 0; j < c.n; j++) {
        const v = d.value[j]!;
        if (v >= lo && v < hi) {
          if (m === match.length) {
            const grown = new Float64Array(m * 2);
            grown.set(match);
            match = grown;
          }
          match[m++] = c.ord + j;
        }
      }
    }
    const examples = sampleIndices(m, n, seed).map((i) => {
      const a = acts.at(match[i]!);
      return this.#example(acts, a.pos, a.value, context);
    });
    examples.sort((a, b) => b.value - a.value || a.window - b.window || a.position - b.position);
    return { matching: m, examples };
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
