/** A feature's place in the across-feature log10-density histogram (`index.status` summary). Pure. */
import type { DensityBin } from '#shared/contract.ts';

/** Where a density falls: its bin (null when outside every bin) and the share of live features that are sparser. */
export interface DensityPlacement {
  readonly bin: number | null;
  readonly log10: number;
  /** Fraction of live features with a lower density, interpolated inside the feature's bin. */
  readonly sparserShare: number;
}

/** Places `density` among the bins. A dead feature (density 0) sits below everything. */
export function placeDensity(bins: readonly DensityBin[], density: number): DensityPlacement {
  const total = bins.reduce((s, b) => s + b.count, 0);
  if (!(density > 0) || bins.length === 0 || total === 0) return { bin: null, log10: Number.NEGATIVE_INFINITY, sparserShare: 0 };
  const x = Math.log10(density);
  let below = 0;
  for (let i = 0; i < bins.length; i++) {
    const b = bins[i]!;
    const last = i === bins.length - 1;
    if (x < b.lo) return { bin: null, log10: x, sparserShare: below / total };
    if (x < b.hi || (last && x <= b.hi + 1e-12)) {
      const within = b.hi > b.lo ? (x - b.lo) / (b.hi - b.lo) : 0;
      return { bin: i, log10: x, sparserShare: (below + within * b.count) / total };
    }
    below += b.count;
  }
  return { bin: null, log10: x, sparserShare: 1 };
}

/** A log10 density as a percentage label: -2 → "1%", -4 → "0.01%". */
export function log10Label(x: number): string {
  const pct = 10 ** x * 100;
  return `${Number(pct.toPrecision(1))}%`;
}
