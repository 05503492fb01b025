import type { NextTokenRow, NextTokenTable } from '#shared/steer-types.ts';

/** Rows in each list of the next-token table. */
export const NEXT_TOKENS = 10;

/** The ids of the n largest entries of `x`, largest first (ties: lower id first). */
export function topIds(x: Float64Array, n: number): number[] {
  const best: number[] = [];
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    if (best.length === n && v <= x[best[n - 1]!]!) continue;
    let at = best.length;
    while (at > 0 && x[best[at - 1]!]! < v) at--;
    best.splice(at, 0, i);
    if (best.length > n) best.pop();
  }
  return best;
}

/**
 * The prompt's next-token table from each side's first distribution (log-probabilities
 * over the vocabulary); a side not known yet gives an empty list and null figures.
 */
export function nextTokenTable(
  dists: { default: Float64Array | null; steered: Float64Array | null },
  text: (id: number) => string,
  n = NEXT_TOKENS,
): NextTokenTable {
  const row = (id: number): NextTokenRow => ({
    id,
    text: text(id),
    defaultLogprob: dists.default ? finite(dists.default[id]!) : null,
    steeredLogprob: dists.steered ? finite(dists.steered[id]!) : null,
  });
  return {
    default: dists.default ? topIds(dists.default, n).map(row) : [],
    steered: dists.steered ? topIds(dists.steered, n).map(row) : [],
  };
}

/** JSON has no −∞: a token with probability 0 is given a very low log-probability instead. */
export function finite(v: number): number {
  return Number.isFinite(v) ? v : -1e30;
}
