/**
 * The explainer's prompts. Marking follows the published convention (EleutherAI's delphi,
 * after OpenAI's explainer): activating tokens sit between `<<` and `>>`, a run of
 * consecutive activating tokens shares one pair, and each example is followed by its
 * activating tokens with their activations on a 0–10 scale (relative to the feature's max).
 */
import type { ExplainerMessage } from '#shared/autointerp-types.ts';
import type { FeatureExample } from '#shared/index-types.ts';

/** Recorded with every explanation; bump it whenever a prompt below changes. */
export const PROMPT_VERSION = 'autointerp-v1';

/** A context shown to the explainer: its tokens and which are marked. */
export interface MarkedContext {
  readonly tokens: readonly string[];
  readonly marked: readonly boolean[];
}

/** A token as shown: line breaks written `\\n` so that every example stays on one line. */
const shown = (t: string): string => t.replace(/\r?\n/g, '\\n');

/** A context's text as shown in a detection round. */
export function contextText(tokens: readonly string[]): string {
  return tokens.map(shown).join('');
}

/** The tokens joined with `<<`/`>>` around each run of marked ones. */
export function markText(c: MarkedContext): string {
  let out = '';
  for (let i = 0; i < c.tokens.length; i++) {
    const m = c.marked[i] === true;
    if (m && c.marked[i - 1] !== true) out += '<<';
    out += shown(c.tokens[i] ?? '');
    if (m && c.marked[i + 1] !== true) out += '>>';
  }
  return out;
}

/** An activation on the 0–10 scale, relative to `max`. */
export function scaled(value: number, max: number): number {
  return max > 0 ? Math.max(0, Math.min(10, Math.round((value / max) * 10))) : 0;
}

const EXPLAIN_SYSTEM = [
  'You are studying one latent feature of a language model. You will see text examples on which it fires.',
  'Tokens where it fires are marked between delimiters like <<this>>; a run of consecutive marked tokens shares',
  'one pair of delimiters <<like this>>. After each example its marked tokens are listed with how strongly the',
  'feature fired on each, from 0 to 10.',
  'Describe in one short phrase what the feature responds to (the tokens and, if it matters, their context).',
  'Do not list examples. The last line of your answer must be: [EXPLANATION]: <your explanation>',
].join('\n');

/** The messages asking for an explanation of these examples. */
export function explainMessages(examples: readonly FeatureExample[], max: number): ExplainerMessage[] {
  const body = examples.map((e, i) => {
    const marked = e.values.map((v) => v > 0);
    const acts = e.tokens.flatMap((t, j) => (marked[j] ? [`(${JSON.stringify(shown(t))}, ${scaled(e.values[j] ?? 0, max)})`] : []));
    return `Example ${i + 1}: ${markText({ tokens: e.tokens, marked })}\nActivations: ${acts.join(', ')}`;
  });
  return [
    { role: 'system', content: EXPLAIN_SYSTEM },
    { role: 'user', content: `${body.join('\n\n')}\n\nWhat does this feature respond to?` },
  ];
}

/** The explanation in an answer: after the last `[EXPLANATION]:`, else its last non-empty line; null when empty. */
export function parseExplanation(answer: string): string | null {
  const tag = /\[EXPLANATION\]\s*:?/gi;
  let last = -1;
  for (let m = tag.exec(answer); m; m = tag.exec(answer)) last = m.index + m[0].length;
  const text =
    last >= 0
      ? answer.slice(last)
      : (answer
          .split('\n')
          .filter((l) => l.trim())
          .at(-1) ?? '');
  const line =
    text
      .trim()
      .split('\n')[0]
      ?.trim()
      .replace(/^["']|["']$/g, '') ?? '';
  return line ? line.slice(0, 300) : null;
}

/** The messages of a detection round: which of these (unmarked) contexts does the feature fire on? */
export function detectionMessages(explanation: string, contexts: readonly (readonly string[])[]): ExplainerMessage[] {
  const list = contexts.map((t, i) => `Example ${i + 1}: ${contextText(t)}`).join('\n');
  return [
    {
      role: 'system',
      content: [
        'You are given the explanation of a language-model feature and a numbered list of text examples.',
        'For each example, decide whether the feature fires anywhere in it according to the explanation.',
        `Answer with only a JSON list of ${contexts.length} numbers, 1 where it fires and 0 where it does not, e.g. [1, 0, 0, 1].`,
      ].join('\n'),
    },
    { role: 'user', content: `Explanation: ${explanation}\n\n${list}` },
  ];
}

/** The messages of a fuzzing round: are the marked tokens of each context the ones the feature fires on? */
export function fuzzingMessages(explanation: string, contexts: readonly MarkedContext[]): ExplainerMessage[] {
  const list = contexts.map((c, i) => `Example ${i + 1}: ${markText(c)}`).join('\n');
  return [
    {
      role: 'system',
      content: [
        'You are given the explanation of a language-model feature and a numbered list of text examples with some tokens',
        'marked <<like this>>. For each example, decide whether the marked tokens are the ones the explanation describes.',
        `Answer with only a JSON list of ${contexts.length} numbers, 1 where the marking is right and 0 where it is not, e.g. [1, 0, 0, 1].`,
      ].join('\n'),
    },
    { role: 'user', content: `Explanation: ${explanation}\n\n${list}` },
  ];
}

/** The 0/1 answers of a round (the last list of `n` zeros and ones in the answer); null when there is none. */
export function parseVerdicts(answer: string, n: number): boolean[] | null {
  const lists = [...answer.matchAll(/\[([\s,01]*)\]/g)].map((m) =>
    (m[1] ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  );
  const hit = lists.reverse().find((l) => l.length === n && l.every((s) => s === '0' || s === '1'));
  return hit ? hit.map((s) => s === '1') : null;
}
