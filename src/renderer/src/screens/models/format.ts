/** Bytes as a short human string (decimal units, as download tools show them). */
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

/** Seconds left as `1 min 20 s` / `12 s`. */
export function formatEta(seconds: number): string {
  const s = Math.ceil(seconds);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${s % 60} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

/** The input style of the Models screen's forms. */
export const inputClass =
  'mt-1 block w-full rounded-md border border-zinc-300 bg-white px-2 py-1.5 font-mono text-xs dark:border-zinc-700 dark:bg-zinc-900';

/** Which field of the open form a picked folder goes to. */
export type OpenTarget = 'model' | 'sae';

/** Fills the open form's model or SAE field with a local path. */
export type UsePath = (target: OpenTarget, path: string) => void;
