/** Number formatting of the Health screen. */

/** A metric value: 4 significant digits, integers as they are, – for null. */
export function formatMetric(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '–';
  if (Number.isInteger(v)) return v.toLocaleString();
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e6)) return v.toExponential(2);
  return v
    .toPrecision(4)
    .replace(/(\.\d*?)0+$/, '$1')
    .replace(/\.$/, '');
}

/** A log10 density edge as a power of ten, e.g. 10^-3.2. */
export function formatLog10(v: number): string {
  return `10^${v.toFixed(1)}`;
}
