/**
 * Example contexts as the feature page shows them: trimmed to the chosen context size and
 * with identical ones collapsed. Pure: no DOM, no React.
 */
import type { FeatureExample } from '#shared/contract.ts';

/** Tokens shown on each side of the activating one. */
export const contextSizes = [5, 16, 64] as const;

/** One of the context sizes the toggle offers. */
export type ContextSize = (typeof contextSizes)[number];

/** The context the page asks core for; smaller sizes are trimmed from it. */
export const REQUEST_CONTEXT = 64;

/** An example ready to draw. */
export interface ShownExample {
  readonly tokens: readonly string[];
  readonly values: readonly number[];
  /** Index of the activating token in `tokens`. */
  readonly active: number;
  /** The feature's activation at that token. */
  readonly value: number;
  /** Where it comes from, for keys and titles. */
  readonly window: number;
  readonly position: number;
}

/** Cuts an example down to `context` tokens on each side of its activating token. */
export function trimExample(ex: FeatureExample, context: number): ShownExample {
  const at = ex.position - ex.start;
  const from = Math.max(0, at - context);
  const to = Math.min(ex.tokens.length, at + context + 1);
  return {
    tokens: ex.tokens.slice(from, to),
    values: ex.values.slice(from, to),
    active: at - from,
    value: ex.value,
    window: ex.window,
    position: ex.position,
  };
}

/** An example and how many identical ones it stands for. */
export interface CollapsedExample {
  readonly example: ShownExample;
  readonly count: number;
  readonly key: string;
}

/**
 * Collapses examples whose shown tokens are identical (same text, same activating token),
 * keeping the first of each (lists arrive strongest first) and the order of first sight.
 */
export function collapseDuplicates(list: readonly ShownExample[]): CollapsedExample[] {
  const byKey = new Map<string, { example: ShownExample; count: number; key: string }>();
  for (const example of list) {
    const key = `${example.active}\u0001${example.tokens.join('\u0000')}`;
    const seen = byKey.get(key);
    if (seen) seen.count++;
    else byKey.set(key, { example, count: 1, key: `${example.window}:${example.position}` });
  }
  return [...byKey.values()];
}

/** Trims then collapses, the way every example list on the page is drawn. */
export function prepareExamples(list: readonly FeatureExample[], context: number): CollapsedExample[] {
  return collapseDuplicates(list.map((ex) => trimExample(ex, context)));
}

/** Shows whitespace in a token so it can be seen: line breaks as ↵, tabs as →; spaces stay. */
export function visibleToken(text: string): string {
  return text.replace(/\r?\n/g, '↵').replace(/\t/g, '→');
}
