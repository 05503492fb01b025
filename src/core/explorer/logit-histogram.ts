/** The histogram of a feature's logit effects over the vocabulary (SAEDashboard's "logits histogram"). */
import type { LogitHistogram } from '#shared/explorer-types.ts';

/** Bins of the logit histogram (as SAEDashboard draws it). */
export const LOGIT_HISTOGRAM_BINS = 40;

/**
 * `bins` equal-width bins over [min, max] of `values`: bin i holds [min + i·w, min + (i+1)·w),
 * the last one also max. All values equal: one full bin in the middle.
 */
export function logitHistogram(values: Float32Array, bins = LOGIT_HISTOGRAM_BINS): LogitHistogram {
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) {
    if (!Number.isFinite(v)) continue;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (!(max >= min)) return { barHeights: [], barValues: [], binWidth: 0 };
  const width = max > min ? (max - min) / bins : 1;
  const lo = max > min ? min : min - (width * bins) / 2;
  const heights = new Array<number>(bins).fill(0);
  for (const v of values) {
    if (!Number.isFinite(v)) continue;
    heights[Math.min(bins - 1, Math.floor((v - lo) / width))]!++;
  }
  return { barHeights: heights, barValues: heights.map((_, i) => lo + (i + 0.5) * width), binWidth: width };
}
