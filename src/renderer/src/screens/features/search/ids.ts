/**
 * Feature id lists as people type them: "12", "12, 40-50", "7 9 11". Pure.
 */

/** Parsed ids (sorted, unique) or why the text is not an id list. */
export type ParsedIds = { readonly ok: true; readonly ids: number[] } | { readonly ok: false; readonly error: string };

/** Ranges longer than this are refused (a typo like 1-100000 would stall the page). */
export const MAX_IDS = 10_000;

/** True when the text could only be meant as ids: digits, commas, spaces and dashes. */
export function looksLikeIds(text: string): boolean {
  return /\d/.test(text) && /^[\d\s,\-–]+$/.test(text.trim());
}

/** Reads "12, 40-50" into [12, 40, …, 50]; `dSae` bounds them when known. */
export function parseIdList(text: string, dSae?: number): ParsedIds {
  const parts = text
    .replace(/\s*[-–]\s*/g, '-')
    .split(/[\s,]+/)
    .map((p) => p.trim())
    .filter(Boolean);
  if (parts.length === 0) return { ok: false, error: 'type a feature id, e.g. 320 or 40-50' };
  const ids = new Set<number>();
  for (const part of parts) {
    const m = /^(\d+)(?:\s*[-–]\s*(\d+))?$/.exec(part);
    if (!m) return { ok: false, error: `“${part}” is not a feature id or a range like 40-50` };
    const a = Number(m[1]);
    const b = m[2] === undefined ? a : Number(m[2]);
    const [lo, hi] = a <= b ? [a, b] : [b, a];
    if (dSae !== undefined && hi >= dSae) {
      return { ok: false, error: `${hi} is out of range: this SAE has features 0–${dSae - 1}` };
    }
    if (hi - lo + 1 + ids.size > MAX_IDS) return { ok: false, error: `more than ${MAX_IDS.toLocaleString('en-US')} ids` };
    for (let i = lo; i <= hi; i++) ids.add(i);
  }
  return { ok: true, ids: [...ids].sort((x, y) => x - y) };
}
