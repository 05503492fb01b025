/**
 * Co-occurring features (migration 3): for each feature, the features most often active on
 * the same tokens, counted exactly when the index is finalized so a feature page reads one
 * small row.
 *
 * Counting holds a token-major table of the whole index in memory (per counted token, the
 * features active there: 2–4 bytes per activation), then, feature by feature in the finalize
 * loop, walks the feature's own tokens and counts the other features found there. The work is
 * Σ over tokens of (active features)², one pass, no pair matrix. Past COOC_MAX_ACTIVATIONS (or
 * COOC_MAX_POSITIONS) only a sample of windows is counted, each window in or out by a keyed
 * hash of (seed, window), so shards built apart would count the same windows.
 *
 * A row keeps the COOCCURRING_KEPT features with most shared tokens and the COOCCURRING_KEPT
 * with the highest Jaccard index, each with both counts, as varints:
 * `count, m, then m × (id gap, shared, other's count)` in ascending id order.
 */
import type Database from 'better-sqlite3';
import { featureSeed } from './bins.ts';
import { decodeChunk, encodeVarints } from './codec.ts';
import { CHUNK_MAX } from './store.ts';

/** `meta` key, set when co-occurrence is recorded from feature 0 on; its value is a CooccurrenceMeta. */
export const COOCCURRENCE_META = 'cooccurrence';
/** Features kept per row by each ranking (shared count, Jaccard). */
export const COOCCURRING_KEPT = 16;
/** Activations the token-major table may hold before windows are sampled (≈ 100–200 MB). */
export const COOC_MAX_ACTIVATIONS = 48_000_000;
/** Token positions the table may index before windows are sampled (4 bytes each). */
export const COOC_MAX_POSITIONS = 32_000_000;
/** Salt of the window-sampling hash. */
const WINDOW_SALT = 0xc0;

/** What `meta.cooccurrence` holds. */
export interface CooccurrenceMeta {
  /** Share of windows counted (1: every window). */
  readonly sampled: number;
}

/** A stored row. */
export interface CooccurrenceRow {
  /** Tokens where the feature is active, in the counted windows. */
  readonly count: number;
  readonly entries: readonly { readonly id: number; readonly shared: number; readonly otherCount: number }[];
}

/** The share of windows to count so the table fits its bounds. */
export function cooccurrenceShare(activations: number, positions: number): number {
  return Math.min(1, COOC_MAX_ACTIVATIONS / Math.max(1, activations), COOC_MAX_POSITIONS / Math.max(1, positions));
}

/** Whether window `w` is counted when a `share` of windows is. */
export function windowCounted(seed: number, w: number, share: number): boolean {
  return share >= 1 || featureSeed(seed, w, WINDOW_SALT) / 2 ** 32 < share;
}

/** One chunk row of a feature. */
export interface ChunkRow {
  readonly first: number;
  readonly n: number;
  readonly data: Buffer;
}

const scratchPos = new Float64Array(CHUNK_MAX);
const scratchVal = new Float32Array(CHUNK_MAX);

/** Calls `each(position)` for every activation of the chunks. */
function forEachPosition(chunks: Iterable<ChunkRow>, each: (pos: number) => void): void {
  for (const c of chunks) {
    decodeChunk(c.data, c.first, c.n, scratchPos, scratchVal);
    for (let i = 0; i < c.n; i++) each(scratchPos[i]!);
  }
}

/** The k best ids by key (ties: lower id first), kept sorted; offers below the k-th are one comparison. */
class TopK {
  readonly ids: Int32Array;
  readonly keys: Float64Array;
  size = 0;

  constructor(readonly k: number) {
    this.ids = new Int32Array(k);
    this.keys = new Float64Array(k);
  }

  reset(): void {
    this.size = 0;
  }

  offer(id: number, key: number): void {
    const k = this.k;
    if (this.size === k) {
      const lastKey = this.keys[k - 1]!;
      if (key < lastKey || (key === lastKey && id > this.ids[k - 1]!)) return;
    }
    let at = this.size < k ? this.size++ : k - 1;
    while (at > 0 && (this.keys[at - 1]! < key || (this.keys[at - 1]! === key && this.ids[at - 1]! > id))) {
      this.keys[at] = this.keys[at - 1]!;
      this.ids[at] = this.ids[at - 1]!;
      at--;
    }
    this.keys[at] = key;
    this.ids[at] = id;
  }
}

/**
 * The token-major table of an index: the features active at each counted token. Its arrays
 * live on SharedArrayBuffers, so the finalize phase's helper thread counts rows from the same
 * table without a copy (finalize-helper.ts).
 */
export interface CooccurrenceTable {
  readonly dSae: number;
  readonly context: number;
  /** Share of windows counted (1: every window). */
  readonly share: number;
  /** Tokens where each feature is active, in the counted windows. */
  readonly featureCount: Uint32Array;
  /** Each window's slot in the table, −1 when it is not counted. */
  readonly slot: Int32Array;
  /** Where each counted token's features start in `ids` (one more entry than tokens). */
  readonly offsets: Uint32Array;
  readonly ids: Uint16Array | Uint32Array;
}

/** A typed array of `n` elements on a SharedArrayBuffer. */
function shared<T>(make: new (b: SharedArrayBuffer) => T, bytesPer: number, n: number): T {
  return new make(new SharedArrayBuffer(Math.max(1, n) * bytesPer));
}

/** Builds the table from every chunk of the index, in two passes (count, then fill). */
export function buildCooccurrenceTable(
  db: Database.Database,
  dSae: number,
  windows: number,
  context: number,
  seed: number,
  share: number,
): CooccurrenceTable {
  const slot = shared(Int32Array, 4, windows).fill(-1);
  let slots = 0;
  for (let w = 0; w < windows; w++) if (windowCounted(seed, w, share)) slot[w] = slots++;
  const local = (p: number): number => {
    const w = Math.floor(p / context);
    const s = slot[w] ?? -1;
    return s < 0 ? -1 : s * context + (p - w * context);
  };
  const offsets = shared(Uint32Array, 4, slots * context + 1);
  const featureCount = shared(Uint32Array, 4, dSae);
  const all = db.prepare('select feature, first, n, data from chunks');
  let total = 0;
  for (const c of all.iterate() as Iterable<ChunkRow & { feature: number }>) {
    forEachPosition([c], (p) => {
      const l = local(p);
      if (l < 0) return;
      offsets[l + 1]!++;
      featureCount[c.feature]!++;
      total++;
    });
  }
  for (let i = 1; i < offsets.length; i++) offsets[i]! += offsets[i - 1]!;
  const ids = dSae <= 0x10000 ? shared(Uint16Array, 2, total) : shared(Uint32Array, 4, total);
  const cursor = offsets.slice(0, offsets.length - 1);
  for (const c of all.iterate() as Iterable<ChunkRow & { feature: number }>) {
    forEachPosition([c], (p) => {
      const l = local(p);
      if (l >= 0) ids[cursor[l]!++] = c.feature;
    });
  }
  return { dSae, context, share, featureCount, slot, offsets, ids };
}

/** Counts the rows of a table (one counter per thread: it holds the thread's scratch). */
export class CooccurrenceCounter {
  readonly #shared: Uint32Array;
  /** The features counted for the current row, in first-seen order. */
  readonly #touched: Uint32Array;
  readonly #byShared = new TopK(COOCCURRING_KEPT);
  readonly #byJaccard = new TopK(COOCCURRING_KEPT);

  constructor(readonly table: CooccurrenceTable) {
    this.#shared = new Uint32Array(table.dSae);
    this.#touched = new Uint32Array(table.dSae);
  }

  /** The row of `feature` from its chunks (null when it is never active in the counted windows). */
  row(feature: number, chunks: Iterable<ChunkRow>): Buffer | null {
    // the hot loop: locals only (Σ over the feature's tokens of the features active there)
    const shared = this.#shared;
    const touched = this.#touched;
    const { offsets, ids, slot, context: C, featureCount } = this.table;
    // every window counted: slots are windows, so a position is its own slot
    const every = this.table.share >= 1;
    let nt = 0;
    for (const c of chunks) {
      decodeChunk(c.data, c.first, c.n, scratchPos, scratchVal);
      for (let i = 0; i < c.n; i++) {
        const p = scratchPos[i]!;
        let l = p;
        if (!every) {
          const w = Math.floor(p / C);
          const s = slot[w]!;
          if (s < 0) continue;
          l = s * C + (p - w * C);
        }
        for (let j = offsets[l]!, end = offsets[l + 1]!; j < end; j++) {
          const b = ids[j]!;
          if (shared[b]!++ === 0) touched[nt++] = b;
        }
      }
    }
    const count = featureCount[feature]!;
    const byShared = this.#byShared;
    const byJaccard = this.#byJaccard;
    byShared.reset();
    byJaccard.reset();
    for (let t = 0; t < nt; t++) {
      const b = touched[t]!;
      if (b === feature) continue;
      const c = shared[b]!;
      byShared.offer(b, c);
      byJaccard.offer(b, c / (count + featureCount[b]! - c));
    }
    const kept = [...new Set([...byShared.ids.subarray(0, byShared.size), ...byJaccard.ids.subarray(0, byJaccard.size)])].sort(
      (a, b) => a - b,
    );
    const out: number[] = [count, kept.length];
    let prev = 0;
    for (const b of kept) {
      out.push(b - prev, shared[b]!, featureCount[b]!);
      prev = b;
    }
    for (let t = 0; t < nt; t++) shared[touched[t]!] = 0;
    return count ? encodeVarints(out) : null;
  }
}
