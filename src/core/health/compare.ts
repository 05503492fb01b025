/**
 * Dictionary comparison: for each latent of SAE A, the largest cosine similarity between
 * its decoder row and any of B's, and which one. Done in blocks of A's rows against all of
 * B (the nA × nB matrix is never held), on the engine's providers through a tiny Gemm +
 * ReduceMax + ArgMax graph (kernels.ts).
 */
import type { CompareOrder, HealthCompareSide, HealthComparison, HealthPair } from '#shared/health-types.ts';
import { AppError } from '#shared/reply.ts';
import type { ProviderName } from '../model/providers.ts';
import type { Sae } from '../sae/types.ts';
import { maxDot } from './kernels.ts';

/** Similarity values per block (float32: 256 MB inside the kernel). */
const BLOCK_BUDGET = 1 << 26;
/** Bins of the similarity histogram over [0, 1]. */
export const SIMILARITY_BINS = 50;

/** A's best matches in B, with the summary figures (those `health.compare` answers with). */
export interface DecoderComparison extends Pick<HealthComparison, 'shares' | 'mean_max_cosine' | 'median_max_cosine' | 'histogram'> {
  readonly a: Omit<HealthCompareSide, 'current'>;
  readonly b: Omit<HealthCompareSide, 'current'>;
  /** Per A latent: its best cosine with B and B's latent giving it. */
  readonly max: Float32Array;
  readonly argmax: Int32Array;
  readonly seconds: number;
}

/** Rows of a [n, d] matrix scaled to unit length (zero rows stay zero). */
export function unitRows(data: Float32Array, n: number, d: number): Float32Array {
  const out = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    let sq = 0;
    for (let j = 0; j < d; j++) sq += data[i * d + j]! ** 2;
    const inv = sq > 0 ? 1 / Math.sqrt(sq) : 0;
    for (let j = 0; j < d; j++) out[i * d + j] = data[i * d + j]! * inv;
  }
  return out;
}

const side = (s: Sae): Omit<HealthCompareSide, 'current'> => ({
  sae: s.source.path,
  hook: s.config.hookName ?? null,
  d_in: s.config.dIn,
  d_sae: s.config.dSae,
});

/** Shares above the thresholds, mean, median and histogram of A's best cosines. */
export function summarize(max: Float32Array): Pick<DecoderComparison, 'shares' | 'mean_max_cosine' | 'median_max_cosine' | 'histogram'> {
  const n = max.length;
  const above = (t: number): number => (n ? max.filter((v) => v > t).length / n : 0);
  const sorted = Float32Array.from(max).sort();
  const median = n ? (n % 2 ? sorted[(n - 1) / 2]! : (sorted[n / 2 - 1]! + sorted[n / 2]!) / 2) : 0;
  const histogram = Array.from({ length: SIMILARITY_BINS }, (_, i) => ({
    lo: i / SIMILARITY_BINS,
    hi: (i + 1) / SIMILARITY_BINS,
    count: 0,
  }));
  for (const v of max) histogram[Math.max(0, Math.min(SIMILARITY_BINS - 1, Math.floor(v * SIMILARITY_BINS)))]!.count++;
  return {
    shares: { above_0_9: above(0.9), above_0_8: above(0.8), above_0_7: above(0.7) },
    mean_max_cosine: n ? max.reduce((a, v) => a + v, 0) / n : 0,
    median_max_cosine: median,
    histogram,
  };
}

/**
 * Compares A's decoder rows with B's. The SAEs must read the same hook (when both name
 * theirs) and have the same width.
 */
export async function compareDecoders(
  a: Sae,
  b: Sae,
  opts: {
    providers: readonly ProviderName[];
    signal?: AbortSignal;
    onProgress?: (done: number, total: number) => void;
    /** Rows of A per kernel run (default: so a block's similarities stay ~256 MB). */
    block?: number;
  },
): Promise<DecoderComparison> {
  const t0 = performance.now();
  const ha = a.config.hookName;
  const hb = b.config.hookName;
  if (ha && hb && ha !== hb) {
    throw new AppError('bad_request', `${b.source.path} reads ${hb} but ${a.source.path} reads ${ha}: compare SAEs on the same hook`);
  }
  const d = a.config.dIn;
  if (b.config.dIn !== d) {
    throw new AppError(
      'bad_request',
      `${b.source.path} has d_in ${b.config.dIn} but ${a.source.path} has d_in ${d}: their decoders cannot be compared`,
    );
  }
  const nA = a.config.dSae;
  const nB = b.config.dSae;
  const ua = unitRows(a.params.W_dec.data, nA, d);
  const ub = unitRows(b.params.W_dec.data, nB, d);
  const block = Math.max(1, Math.min(nA, opts.block ?? Math.floor(BLOCK_BUDGET / nB)));
  const max = new Float32Array(nA);
  const argmax = new Int32Array(nA);
  for (let start = 0; start < nA; start += block) {
    if (opts.signal?.aborted) throw new AppError('cancelled', 'comparison cancelled');
    const n = Math.min(block, nA - start);
    const r = await maxDot(opts.providers, ua.subarray(start * d, (start + n) * d), n, ub, nB, d);
    max.set(r.max, start);
    argmax.set(r.argmax, start);
    opts.onProgress?.(start + n, nA);
  }
  return {
    a: side(a),
    b: side(b),
    max,
    argmax,
    ...summarize(max),
    seconds: Number(((performance.now() - t0) / 1000).toFixed(3)),
  };
}

/** One page of A's latents with their best match, in `order` (ties by latent id). */
export function pairsPage(
  c: Pick<DecoderComparison, 'max' | 'argmax'>,
  offset: number,
  limit: number,
  order: CompareOrder,
): { total: number; offset: number; limit: number; order: CompareOrder; items: HealthPair[] } {
  const n = c.max.length;
  const ids = Array.from({ length: n }, (_, i) => i);
  if (order !== 'latent') ids.sort((x, y) => (order === 'desc' ? c.max[y]! - c.max[x]! : c.max[x]! - c.max[y]!) || x - y);
  const items = ids.slice(offset, offset + limit).map((a) => ({ a, b: c.argmax[a]!, cosine: c.max[a]! }));
  return { total: n, offset, limit, order, items };
}
