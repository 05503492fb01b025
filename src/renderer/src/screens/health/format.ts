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

const superscripts: Record<string, string> = {
  '-': '⁻',
  '0': '⁰',
  '1': '¹',
  '2': '²',
  '3': '³',
  '4': '⁴',
  '5': '⁵',
  '6': '⁶',
  '7': '⁷',
  '8': '⁸',
  '9': '⁹',
};

/**
 * A log10 density edge as the share of tokens it stands for: `-3.2` → `0.063%`, `0` →
 * `100%`; below 0.0001% as a power of ten, `-9.1` → `7.9×10⁻¹⁰`.
 */
export function formatLog10(v: number): string {
  if (v >= -6 - 1e-9) return `${Number((10 ** v * 100).toPrecision(2))}%`;
  const exp = Math.floor(v);
  const mantissa = 10 ** (v - exp);
  return `${mantissa.toFixed(1)}×10${[...String(exp)].map((c) => superscripts[c] ?? c).join('')}`;
}
