/**
 * One feature's statistics (count, sum, max, histogram, interval counts, top examples and
 * interval samples) from its chunks, and their stored blob form. Computed by the finalize phase
 * on its own thread and on its helper thread (finalize-blocks.ts); read back by the reader.
 */
import {
  binOf,
  BottomK,
  featureSeed,
  HISTOGRAM_BINS,
  INTERVAL_SAMPLES,
  INTERVALS,
  samplePriority,
  TOP_EXAMPLES,
} from './bins.ts';
import { decodeChunk, encodeVarints } from './codec.ts';
import type { ChunkRow } from './cooccurrence.ts';
import { CHUNK_MAX } from './store.ts';

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

// Scratch for one decoded chunk, shared by every call on this thread (each call is synchronous).
const scratchPos = new Float64Array(CHUNK_MAX);
const scratchVal = new Float32Array(CHUNK_MAX);

/**
 * One feature's statistics in two streaming passes over its chunks (count, sum, max, top;
 * then histogram, interval counts and samples), so memory stays one chunk. An interval's
 * sample is the INTERVAL_SAMPLES activations with the smallest keyed-hash priority of
 * (seed, feature, global position): a function of which activations the interval holds,
 * not of the order they were read in, so shards merged in corpus order sample alike.
 */
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
