/**
 * The index's blob formats. Positions are global token positions, `window · context + t`,
 * so a position names its window and its place in it without a lookup.
 *
 * - tokens: the token ids of a window, varints.
 * - chunk: one feature's activations over a stretch of the corpus, ascending positions:
 *   n float32 values, then n − 1 varint gaps (the first position is the row's `first`).
 * - staged batch: one committed batch's activations grouped by feature (ascending), each
 *   group `featureGap, count, count varint position gaps (the first from the batch's base),
 *   count float32 values`. Merges turn staged batches into chunks.
 */
import { ByteReader, ByteWriter } from './bytes.ts';

/** A window's token ids as a blob. */
export function encodeTokens(ids: readonly number[]): Buffer {
  const w = new ByteWriter(ids.length * 2 + 4);
  for (const id of ids) w.varint(id);
  return w.toBuffer();
}

/** The token ids of a window blob. */
export function decodeTokens(blob: Uint8Array): number[] {
  const r = new ByteReader(blob);
  const out: number[] = [];
  while (!r.done) out.push(r.varint());
  return out;
}

/** A run of activations, struct-of-arrays (positions as float64: they pass 2^32 on big corpora). */
export interface Activations {
  feature: Int32Array;
  pos: Float64Array;
  value: Float32Array;
  length: number;
}

/** An empty growable activation list. */
export function activations(capacity = 1024): Activations {
  return { feature: new Int32Array(capacity), pos: new Float64Array(capacity), value: new Float32Array(capacity), length: 0 };
}

/** Appends one activation, growing the arrays as needed. */
export function pushActivation(a: Activations, feature: number, pos: number, value: number): void {
  if (a.length === a.feature.length) {
    const n = a.length * 2;
    const f = new Int32Array(n);
    f.set(a.feature);
    const p = new Float64Array(n);
    p.set(a.pos);
    const v = new Float32Array(n);
    v.set(a.value);
    a.feature = f;
    a.pos = p;
    a.value = v;
  }
  a.feature[a.length] = feature;
  a.pos[a.length] = pos;
  a.value[a.length] = value;
  a.length++;
}

/**
 * Encodes a batch's activations (in ascending position order) as a staged blob grouped by
 * feature; positions stay ascending within each group because the sort is stable.
 */
export function encodeStaged(a: Activations, base: number, dSae: number): Buffer {
  const counts = new Uint32Array(dSae + 1);
  for (let i = 0; i < a.length; i++) counts[a.feature[i]! + 1]!++;
  let groups = 0;
  for (let f = 1; f <= dSae; f++) {
    if (counts[f]) groups++;
    counts[f]! += counts[f - 1]!;
  }
  // counts[f] is now the start of feature f in the sorted order
  const order = new Uint32Array(a.length);
  const cursor = counts.slice(0, dSae);
  for (let i = 0; i < a.length; i++) order[cursor[a.feature[i]!]!++] = i;
  const w = new ByteWriter(a.length * 7 + 16);
  w.varint(groups);
  let prevFeature = 0;
  for (let s = 0; s < a.length;) {
    const f = a.feature[order[s]!]!;
    let e = s;
    while (e < a.length && a.feature[order[e]!] === f) e++;
    w.varint(f - prevFeature);
    w.varint(e - s);
    prevFeature = f;
    let prev = base;
    for (let j = s; j < e; j++) {
      const p = a.pos[order[j]!]!;
      w.varint(p - prev);
      prev = p;
    }
    for (let j = s; j < e; j++) w.f32(a.value[order[j]!]!);
    s = e;
  }
  return w.toBuffer();
}

/** Adds each feature's activation count in a staged blob to `counts`; returns the blob's total. */
export function countStaged(blob: Uint8Array, counts: Uint32Array): number {
  const r = new ByteReader(blob);
  const groups = r.varint();
  let f = 0;
  let total = 0;
  for (let g = 0; g < groups; g++) {
    f += r.varint();
    const n = r.varint();
    counts[f]! += n;
    total += n;
    for (let j = 0; j < n; j++) r.varint();
    r.pos += 4 * n;
  }
  return total;
}

/** Decodes a staged blob into per-feature slots: `cursor[f]` is where feature f's next one goes. */
export function scatterStaged(blob: Uint8Array, base: number, cursor: Float64Array, pos: Float64Array, value: Float32Array): void {
  const r = new ByteReader(blob);
  const groups = r.varint();
  let f = 0;
  for (let g = 0; g < groups; g++) {
    f += r.varint();
    const n = r.varint();
    const at = cursor[f]!;
    let p = base;
    for (let j = 0; j < n; j++) {
      p += r.varint();
      pos[at + j] = p;
    }
    for (let j = 0; j < n; j++) value[at + j] = r.f32();
    cursor[f] = at + n;
  }
}

/** One chunk row: a feature's activations over [first, last]. */
export interface Chunk {
  readonly first: number;
  readonly last: number;
  readonly n: number;
  readonly data: Buffer;
}

/** Encodes pos/value[from, to) (ascending positions) as a chunk. */
export function encodeChunk(pos: Float64Array, value: Float32Array, from: number, to: number): Chunk {
  const n = to - from;
  const w = new ByteWriter(n * 7 + 8);
  for (let i = from; i < to; i++) w.f32(value[i]!);
  for (let i = from + 1; i < to; i++) w.varint(pos[i]! - pos[i - 1]!);
  return { first: pos[from]!, last: pos[to - 1]!, n, data: w.toBuffer() };
}

/** Decodes a chunk into pos/value starting at `at`. */
export function decodeChunk(data: Uint8Array, first: number, n: number, pos: Float64Array, value: Float32Array, at = 0): void {
  const r = new ByteReader(data);
  for (let i = 0; i < n; i++) value[at + i] = r.f32();
  let p = first;
  pos[at] = p;
  for (let i = 1; i < n; i++) {
    p += r.varint();
    pos[at + i] = p;
  }
}

/** Non-negative integers as one varint blob (example ordinals, histogram counts). */
export function encodeVarints(xs: ArrayLike<number>): Buffer {
  const w = new ByteWriter(xs.length * 3 + 4);
  for (let i = 0; i < xs.length; i++) w.varint(xs[i]!);
  return w.toBuffer();
}

/** The integers of a varint blob. */
export function decodeVarints(blob: Uint8Array): number[] {
  const r = new ByteReader(blob);
  const out: number[] = [];
  while (!r.done) out.push(r.varint());
  return out;
}
