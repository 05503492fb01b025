/**
 * Step 3 of a merge (merge.ts): every feature's activations from all shards, merged by
 * global position (a k-way merge over a binary min-heap, one decoded chunk per shard in
 * memory) into the merged index's chunk rows.
 */
import type Database from 'better-sqlite3';
import { decodeChunk, encodeChunk } from './codec.ts';
import { CHUNK_MAX, type IndexWriter } from './store.ts';
import type { IndexSettings } from './types.ts';

/** Features whose merged chunks go in one transaction. */
const FEATURES_PER_COMMIT = 256;

/** A chunk row as read: feature, first position, count, encoded data. */
type ChunkRow = [number, number, number, Buffer];

/** One shard's chunks of the current feature, decoded one chunk at a time with positions made global. */
export class ShardFeature {
  readonly pos = new Float64Array(CHUNK_MAX);
  readonly val = new Float32Array(CHUNK_MAX);
  n = 0;
  i = 0;
  #row: ChunkRow | undefined;

  constructor(
    private readonly rows: IterableIterator<ChunkRow>,
    private readonly map: Float64Array,
    private readonly context: number,
  ) {
    this.#advance();
  }

  #advance(): void {
    const r = this.rows.next();
    this.#row = r.done ? undefined : r.value;
  }

  /** Decodes the next chunk of `feature`; false when the shard has no more of it. */
  load(feature: number): boolean {
    const r = this.#row;
    if (!r || r[0] !== feature) return false;
    const [, first, n, data] = r;
    decodeChunk(data, first, n, this.pos, this.val);
    const C = this.context;
    for (let j = 0; j < n; j++) {
      const p = this.pos[j]!;
      const w = Math.floor(p / C);
      this.pos[j] = this.map[w]! * C + (p - w * C);
    }
    this.n = n;
    this.i = 0;
    this.#advance();
    return true;
  }
}

/** A stream's current position. */
const head = (s: ShardFeature): number => s.pos[s.i]!;

/** Merges one feature at a time from the shard streams into chunk rows of at most CHUNK_MAX activations. */
class FeatureMerger {
  readonly #outPos = new Float64Array(CHUNK_MAX);
  readonly #outVal = new Float32Array(CHUNK_MAX);
  #m = 0;
  /** A binary min-heap of streams by their current position. */
  readonly #heap: ShardFeature[] = [];

  constructor(
    private readonly streams: readonly ShardFeature[],
    private readonly putChunk: Database.Statement,
  ) {}

  /** Writes feature `f`'s activations from every stream, in global position order. */
  mergeFeature(f: number): void {
    const heap = this.#heap;
    this.#fill(f);
    while (heap.length) {
      const s = heap[0]!;
      // emit this stream's run up to the next stream's head
      const limit = heap.length > 1 ? Math.min(head(heap[1]!), heap.length > 2 ? head(heap[2]!) : Infinity) : Infinity;
      do {
        this.#outPos[this.#m] = s.pos[s.i]!;
        this.#outVal[this.#m] = s.val[s.i]!;
        s.i++;
        if (++this.#m === CHUNK_MAX) this.#flush(f);
      } while (s.i < s.n && s.pos[s.i]! < limit);
      if (s.i === s.n && !s.load(f)) {
        const last = heap.pop()!;
        if (heap.length && last !== s) {
          heap[0] = last;
          this.#down();
        }
      } else this.#down();
    }
    this.#flush(f);
  }

  /** Loads every stream's first chunk of `f` into the heap. */
  #fill(f: number): void {
    const heap = this.#heap;
    heap.length = 0;
    for (const s of this.streams) {
      if (s.load(f)) {
        heap.push(s);
        for (let i = heap.length - 1; i > 0;) {
          const up = (i - 1) >> 1;
          if (head(heap[up]!) <= head(heap[i]!)) break;
          [heap[up], heap[i]] = [heap[i]!, heap[up]!];
          i = up;
        }
      }
    }
  }

  /** Sifts the heap's top down to its place. */
  #down(): void {
    const heap = this.#heap;
    const n = heap.length;
    let i = 0;
    const x = heap[0]!;
    const hx = head(x);
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && head(heap[r]!) < head(heap[l]!) ? r : l;
      if (head(heap[c]!) >= hx) break;
      heap[i] = heap[c]!;
      i = c;
    }
    heap[i] = x;
  }

  /** Writes the pending activations of `feature` as one chunk row. */
  #flush(feature: number): void {
    if (!this.#m) return;
    const c = encodeChunk(this.#outPos, this.#outVal, 0, this.#m);
    this.putChunk.run(feature, c.first, c.last, c.n, c.data);
    this.#m = 0;
  }
}

/** Step 3: every feature's activations from all shards, in global position order, as chunk rows. */
export function mergeChunks(
  writer: IndexWriter,
  shards: readonly { readonly db: Database.Database }[],
  windowMap: readonly Float64Array[],
  settings: IndexSettings,
  progress: (features: number) => void,
): void {
  const db = writer.db;
  const putChunk = db.prepare('insert into chunks (feature, first, last, n, data) values (?, ?, ?, ?, ?)');
  const streams = shards.map(
    (s, i) =>
      new ShardFeature(
        s.db.prepare('select feature, first, n, data from chunks order by feature, first').raw().iterate() as IterableIterator<ChunkRow>,
        windowMap[i]!,
        settings.context,
      ),
  );
  const merger = new FeatureMerger(streams, putChunk);
  const commit = db.transaction((from: number, to: number) => {
    for (let f = from; f < to; f++) merger.mergeFeature(f);
  });
  for (let f = 0; f < settings.dSae; f += FEATURES_PER_COMMIT) {
    const to = Math.min(settings.dSae, f + FEATURES_PER_COMMIT);
    commit(f, to);
    progress(to);
  }
}
