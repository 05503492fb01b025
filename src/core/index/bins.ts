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

/** murmur3's 32-bit finaliser: every input bit reaches every output bit. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * The sampling priority of an activation: a keyed hash of (the feature's key from
 * featureSeed, its global token position). It depends on what the activation is, never on
 * when it was read, so a single run and a merge of shards (whose windows the merge renumbers
 * into corpus order) give every activation the same priority.
 */
export function samplePriority(key: number, position: number): number {
  const lo = position >>> 0;
  const hi = Math.floor(position / 0x1_0000_0000) >>> 0;
  return fmix32(fmix32(key ^ lo) ^ Math.imul(hi + 0x9e3779b9, 0x27d4eb2f));
}

/**
 * A bottom-k sample: keeps the `size` items with the smallest (priority, item). Every subset
 * of a stream keeps the same items of that subset whatever the order it arrives in, and the
 * union of two samples holds the sample of the union. Items are ordinals in position order,
 * so equal priorities keep the earlier position.
 */
export class BottomK {
  readonly items: number[] = [];
  readonly #prio: number[] = [];
  /** Index of the largest (priority, item) kept: the one to evict. */
  #worst = -1;

  constructor(readonly size: number) {}

  #above(i: number, j: number): boolean {
    const a = this.#prio[i]!;
    const b = this.#prio[j]!;
    return a > b || (a === b && this.items[i]! > this.items[j]!);
  }

  offer(item: number, priority: number): void {
    if (this.size <= 0) return;
    if (this.items.length < this.size) {
      this.items.push(item);
      this.#prio.push(priority);
      const n = this.items.length - 1;
      if (this.#worst < 0 || this.#above(n, this.#worst)) this.#worst = n;
      return;
    }
    const wp = this.#prio[this.#worst]!;
    if (priority > wp || (priority === wp && item > this.items[this.#worst]!)) return;
    this.items[this.#worst] = item;
    this.#prio[this.#worst] = priority;
    let w = 0;
    for (let i = 1; i < this.items.length; i++) if (this.#above(i, w)) w = i;
    this.#worst = w;
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
