/** Number formats shared by the explorer's views. Pure. */

/** A density or share (a fraction) as a percentage: 1.3%, 0.052%, 0.00045%. */
export function formatDensity(d: number): string {
  if (!(d > 0)) return '0%';
  const pct = d * 100;
  return `${pct >= 1 ? pct.toFixed(1) : Number(pct.toPrecision(2)).toString()}%`;
}

/** An activation value: 3 significant digits, at least 2 decimals below 10. */
export function formatValue(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const abs = Math.abs(v);
  if (abs === 0) return '0';
  if (abs >= 100) return v.toFixed(0);
  if (abs >= 10) return v.toFixed(1);
  if (abs >= 0.01) return v.toFixed(2);
  return v.toPrecision(2);
}

/** A count with thousands separators. */
export function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}

/**
 * Reads a number the way the filters take it: "0.5", "1e-3", or a percentage "0.1%"
 * (divided by 100). Empty text: undefined. Not a number: NaN.
 */
export function parseNumberish(text: string): number | undefined {
  const t = text.trim();
  if (!t) return undefined;
  const pct = t.endsWith('%');
  const body = pct ? t.slice(0, -1).trim() : t;
  if (!/^[-+]?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?$/i.test(body)) return Number.NaN;
  const n = Number(body);
  return pct ? n / 100 : n;
}

/** A search score: counts as integers, cosines and ranks with 3 significant digits. */
export function formatScore(v: number): string {
  return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(3)));
}
