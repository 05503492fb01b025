/** The top activating tokens of a feature, summarised from its strongest examples. Pure. */
import type { FeatureExample } from '#shared/contract.ts';

/** A token the strongest examples fire on. */
export interface TokenSummary {
  readonly text: string;
  /** Examples activating on it. */
  readonly count: number;
  /** Its strongest activation among them. */
  readonly max: number;
}

/** The activating tokens of `examples`, most examples first (then strongest, then first seen). */
export function topTokenSummary(examples: readonly FeatureExample[]): TokenSummary[] {
  const by = new Map<string, { text: string; count: number; max: number; first: number }>();
  examples.forEach((e, i) => {
    const text = e.tokens[e.position - e.start] ?? '';
    const s = by.get(text);
    if (s) {
      s.count++;
      s.max = Math.max(s.max, e.value);
    } else by.set(text, { text, count: 1, max: e.value, first: i });
  });
  return [...by.values()]
    .sort((a, b) => b.count - a.count || b.max - a.max || a.first - b.first)
    .map(({ text, count, max }) => ({ text, count, max }));
}
