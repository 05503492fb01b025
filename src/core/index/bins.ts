/**
 * Binning and seeded sampling rules of the index, written once so the statistics and the
 * tests that recompute them by brute force cannot drift apart.
 */
import { seededRandom } from '../util/random.ts';

/** Bins of a feature's value histogram over (0, max]. */
export const HISTOGRAM_BINS = 50;
/** Equal-width activation intervals over (0, max]. */
export const INTERVALS = 10;
/** Examples kept per interval. */
export const INTERVAL_SAMPLES = 10;
/** Top examples kept per feature. */
export const TOP_EXAMPLES = 20;
/** Density above which a feature counts as dense. */
export const DENSE_DENSITY = 0.1;
/** Bins of the across-feature log10-density histogram. */
export const DENSITY_BINS = 50;

/**
 * The bin of `v` among `n` equal-width bins over (0, max]: bin i holds (i·max/n, (i+1)·max/n].
 * Computed in float64; the maximum always lands in the last bin.
 */
export function binOf(v: number, max: number, n: number): number {
  if (!(max > 0)) return 0;
  const b = Math.ceil((v / max) * n) - 1;
  return b < 0 ? 0 : b >= n ? n - 1 : b;
}

/** The bounds [lo, hi] of bin i of n over (0, max]. */
export function binBounds(i: number, max: number, n: number): { lo: number; hi: number } {
  return { lo: (i * max) / n, hi: i === n - 1 ? max : ((i + 1) * max) / n };
}

/** The sampling seed of one feature, from the index's seed. */
export function featureSeed(indexSeed: number, feature: number, salt = 0): number {
  // Mix so neighbouring features and seeds get unrelated streams.
  let h = Math.imul(indexSeed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(feature + 1, 0xc2b2ae35) ^ Math.imul(salt + 7, 0x27d4eb2f);
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d);
  h ^= h >>> 12;
  return h >>> 0;
}

/**
 * Reservoir sampling (Algorithm R) of `size` items from a stream, deterministic for a
 * seed and an order. Holds the stream indices of the kept items.
 */
export class Reservoir {
  readonly items: number[] = [];
  #seen = 0;
  readonly #rand: () => number;

  constructor(
    readonly size: number,
    seed: number,
  ) {
    this.#rand = seededRandom(seed);
  }

  /** Offers the next stream item (its index is the count offered before it). */
  offer(index: number): void {
    const i = this.#seen++;
    if (i < this.size) {
      this.items.push(index);
      return;
    }
    const j = Math.floor(this.#rand() * (i + 1));
    if (j < this.size) this.items[j] = index;
  }
}

/** `n` distinct indices of [0, m), uniformly at random for `seed` (Floyd's algorithm), ascending. */
export function sampleIndices(m: number, n: number, seed: number): number[] {
  if (n >= m) return Array.from({ length: m }, (_, i) => i);
  const rand = seededRandom(seed);
  const chosen = new Set<number>();
  for (let j = m - n; j < m; j++) {
    const t = Math.floor(rand() * (j + 1));
    chosen.add(chosen.has(t) ? j : t);
  }
  return [...chosen].sort((a, b) => a - b);
}
