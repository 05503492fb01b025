/**
 * Activation ranges on a feature's histogram: the 50 bins `feature.get` answers, the
 * [lo, hi) ranges `feature.sample` takes, and typed ranges ("2.5–4", "bottom 10%").
 * Pure: no DOM, no React.
 */

/** A range of activation values, [lo, hi) as `feature.sample` reads it. */
export interface ActivationRange {
  readonly lo: number;
  readonly hi: number;
}

/** Bins in `FeatureDashboard.histogram`. */
export const HISTOGRAM_BINS = 50;

/** Bin i's bounds, (lo, hi], as feature.get counts them: i·max/bins to (i+1)·max/bins. */
export function binBounds(i: number, max: number, bins = HISTOGRAM_BINS): ActivationRange {
  return { lo: (i * max) / bins, hi: ((i + 1) * max) / bins };
}

/**
 * The upper bound to send for a range that should include `max` itself: feature.sample
 * excludes hi, and the strongest activation equals max.
 */
export function inclusiveHi(hi: number, max: number): number {
  return hi >= max ? max + Math.max(Math.abs(max) * 1e-6, 1e-9) : hi;
}

/** The range covered by bins a..b (either order, both included), ready for feature.sample. */
export function rangeOfBins(a: number, b: number, max: number, bins = HISTOGRAM_BINS): ActivationRange {
  const from = clampInt(Math.min(a, b), 0, bins - 1);
  const to = clampInt(Math.max(a, b), 0, bins - 1);
  const lo = binBounds(from, max, bins).lo;
  const hi = binBounds(to, max, bins).hi;
  return { lo, hi: to === bins - 1 ? inclusiveHi(hi, max) : hi };
}

/** The first and last bins a range overlaps, or null when it misses the histogram. */
export function binsOfRange(range: ActivationRange, max: number, bins = HISTOGRAM_BINS): { from: number; to: number } | null {
  if (!(max > 0) || !(range.hi > range.lo) || range.hi <= 0 || range.lo >= max * (1 + 1e-6)) return null;
  const width = max / bins;
  const from = clampInt(Math.floor(range.lo / width + 1e-9), 0, bins - 1);
  // hi is exclusive: a range ending exactly on a bin edge stops in the bin below.
  const to = clampInt(Math.ceil(range.hi / width - 1e-9) - 1, 0, bins - 1);
  return { from, to: Math.max(from, to) };
}

/** The bin under horizontal position `x` on a plot spanning [left, left + width), clamped to the histogram. */
export function binAtX(x: number, left: number, width: number, bins = HISTOGRAM_BINS): number {
  if (!(width > 0)) return 0;
  return clampInt(Math.floor(((x - left) / width) * bins), 0, bins - 1);
}

/** The lowest `share` of the activation scale: [0, share·max). */
export function bottomShare(max: number, share = 0.1): ActivationRange {
  return { lo: 0, hi: max * share };
}

/** A typed range or why it is not one. */
export type ParsedRange = { readonly ok: true; readonly range: ActivationRange } | { readonly ok: false; readonly error: string };

const NUMBER = String.raw`[-+]?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?`;
const PERCENT = new RegExp(String.raw`^(bottom|top)\s+(${NUMBER})\s*%(?:\s+of\s+max)?$`, 'i');
const PAIR = new RegExp(String.raw`^(${NUMBER})\s*(?:-|–|—|\.\.|to|,)\s*(${NUMBER})$`, 'i');

/**
 * Reads a range as people type it: "2.5-4", "2.5 – 4", "2.5..4", "2.5 to 4", "bottom 10%"
 * or "top 5% of max" (shares of the feature's max; needs `max`).
 */
export function parseRange(text: string, max?: number): ParsedRange {
  const t = text.trim();
  if (!t) return { ok: false, error: 'type a range such as 1.5–3 or “bottom 10%”' };
  const pct = PERCENT.exec(t);
  if (pct) {
    const share = Number(pct[2]) / 100;
    if (!(share > 0 && share <= 1)) return { ok: false, error: 'the share must be between 0 and 100%' };
    if (max === undefined || !(max > 0)) return { ok: false, error: 'this feature has no activations to take a share of' };
    return pct[1]!.toLowerCase() === 'bottom'
      ? { ok: true, range: bottomShare(max, share) }
      : { ok: true, range: { lo: max * (1 - share), hi: inclusiveHi(max, max) } };
  }
  const pair = PAIR.exec(t);
  if (!pair) return { ok: false, error: `“${t}” is not a range: write lo–hi (e.g. 1.5–3) or “bottom 10%”` };
  return checkRange(Number(pair[1]), Number(pair[2]));
}

/** Checks typed bounds: both finite, lo below hi. */
export function checkRange(lo: number, hi: number): ParsedRange {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return { ok: false, error: 'both bounds must be numbers' };
  if (!(hi > lo)) return { ok: false, error: `the upper bound (${hi}) must be above the lower one (${lo})` };
  return { ok: true, range: { lo, hi } };
}

/** A range as shown: "2.63–5.25". */
export function formatRange(range: ActivationRange, digits = 3): string {
  return `${trimNumber(range.lo, digits)}–${trimNumber(range.hi, digits)}`;
}

/** A number with at most `digits` significant digits, no trailing zeros. */
export function trimNumber(v: number, digits = 3): string {
  if (v === 0) return '0';
  const abs = Math.abs(v);
  if (abs >= 10 ** digits) return v.toFixed(0);
  return String(Number(v.toPrecision(digits)));
}

function clampInt(v: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, Math.round(v)));
}
