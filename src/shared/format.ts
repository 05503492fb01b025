/** Human-readable sizes, durations and progress, shared by the CLI and the renderer. Pure. */

/** Bytes as a short human string (decimal units, as download tools show them): `512 B`, `1.5 MB`. */
export function formatBytes(n: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let v = n;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(1)} ${units[i]}`;
}

/** A fraction as a percentage with `digits` decimals (default 1): `0.1234` → `12.3%`. */
export function formatShare(v: number, digits = 1): string {
  return `${(v * 100).toFixed(digits)}%`;
}

/** Seconds left as `12 s`, `1 min 20 s` or `2 h 5 min`. */
export function formatEta(seconds: number): string {
  const s = Math.ceil(seconds);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${s % 60} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

/** A duration in milliseconds as `850 ms`, `13.5 s`, `1 min 20 s` or `2 h 5 min`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return formatEta(Math.round(ms / 1000));
}

/** Seconds left at `rate` units a second; null when the total is unknown or nothing moves yet. */
export function etaSeconds(done: number, total: number | null, rate: number): number | null {
  return total !== null && rate > 0 ? Math.max(0, (total - done) / rate) : null;
}

/** The parts of a job's progress that `formatProgress` shows. */
export interface ProgressFigures {
  readonly phase: string;
  readonly done: number;
  readonly total: number | null;
  readonly rate: number;
  readonly eta: number | null;
}

/**
 * A job's progress as one line, `encode: 1,200 / 5,000 tokens · 340/s · 12 s left`: the
 * unit (if any) follows the counts, the rate has `rateDigits` decimals (default 0).
 */
export function formatProgress(p: ProgressFigures, options: { unit?: string; rateDigits?: number } = {}): string {
  const of = p.total !== null ? ` / ${p.total.toLocaleString()}` : '';
  const unit = options.unit ? ` ${options.unit}` : '';
  const left = p.eta !== null ? ` · ${Math.ceil(p.eta)} s left` : '';
  return `${p.phase}: ${p.done.toLocaleString()}${of}${unit} · ${p.rate.toFixed(options.rateDigits ?? 0)}/s${left}`;
}
