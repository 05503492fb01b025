/**
 * Resamples bin counts to fewer bins over the same range: each output bin sums the source
 * bins it covers, splitting a straddling bin by the share of it that falls inside (so the
 * total is kept).
 */
export function downsample(bins: readonly number[], n: number): number[] {
  const m = bins.length;
  const out = new Array<number>(n).fill(0);
  if (!m) return out;
  for (let j = 0; j < n; j++) {
    const lo = (j * m) / n;
    const hi = ((j + 1) * m) / n;
    let s = 0;
    for (let i = Math.floor(lo); i < Math.min(m, Math.ceil(hi)); i++) {
      const overlap = Math.min(hi, i + 1) - Math.max(lo, i);
      if (overlap > 0) s += bins[i]! * overlap;
    }
    out[j] = s;
  }
  return out;
}
