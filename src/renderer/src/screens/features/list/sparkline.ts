/** Sparkline bar heights from a histogram's bins. Pure. */

/**
 * Heights in [0, 1] relative to the tallest bin; a nonzero bin never drops below
 * `minVisible` so rare activations stay visible. Square-root scale: heavy-tailed
 * histograms keep their tail.
 */
export function sparkHeights(bins: readonly number[], minVisible = 0.06): number[] {
  const top = Math.max(0, ...bins);
  if (top <= 0) return bins.map(() => 0);
  return bins.map((b) => (b > 0 ? Math.max(minVisible, Math.sqrt(b / top)) : 0));
}
