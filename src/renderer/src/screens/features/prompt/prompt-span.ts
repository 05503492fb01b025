/** Token spans in the prompt inspector: from a click-and-drag (or shift-click) selection. Pure. */

/** A token range [from, to). */
export interface TokenSpan {
  readonly from: number;
  readonly to: number;
}

/** The span between two clicked tokens, both included, in either order. */
export function spanOf(anchor: number, focus: number): TokenSpan {
  return { from: Math.min(anchor, focus), to: Math.max(anchor, focus) + 1 };
}

/** True when token i is inside the span. */
export function inSpan(span: TokenSpan | null, i: number): boolean {
  return span !== null && i >= span.from && i < span.to;
}

/** The span's text, for its caption: the tokens joined, shortened in the middle when long. */
export function spanText(tokens: readonly string[], span: TokenSpan, maxChars = 60): string {
  const text = tokens.slice(span.from, span.to).join('');
  if (text.length <= maxChars) return text;
  const half = Math.floor((maxChars - 1) / 2);
  return `${text.slice(0, half)}…${text.slice(text.length - half)}`;
}
