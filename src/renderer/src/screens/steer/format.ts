/** Small formatting helpers of the Steer screen. */

/** A probability from a log-probability, as a percentage with sensible digits. */
export function percent(logprob: number | null): string {
  if (logprob === null) return '–';
  const p = Math.exp(logprob) * 100;
  if (p >= 10) return `${p.toFixed(1)}%`;
  if (p >= 0.1) return `${p.toFixed(2)}%`;
  if (p >= 0.001) return `${p.toFixed(3)}%`;
  return '<0.001%';
}

/** A token's text made visible: spaces as ·, line breaks as ↵, empty as ∅. */
export function visibleToken(text: string): string {
  if (text === '') return '∅';
  return text.replace(/\n/g, '↵').replace(/\t/g, '⇥').replace(/^ | $/g, '·');
}

/** The first index where the two id lists differ (or where one ends before the other); null when equal. */
export function divergence(a: readonly number[], b: readonly number[]): number | null {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? null : n;
}

/** Epoch milliseconds as a short local date and time. */
export function when(ms: number): string {
  const d = new Date(ms);
  const today = new Date();
  const time = d.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
  return d.toDateString() === today.toDateString()
    ? time
    : `${d.toLocaleDateString(undefined, { month: 'short', day: 'numeric' })} ${time}`;
}

/** The last part of a path (works for / and \). */
export function baseName(p: string): string {
  const parts = p.split(/[\\/]/).filter(Boolean);
  return parts[parts.length - 1] ?? p;
}

/** A number in few characters: 12.3, 0.0421, 1.2e+3. */
export function short(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1000 || a < 0.001) return v.toExponential(1);
  return String(Number(v.toPrecision(3)));
}
