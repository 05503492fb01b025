import type { AutointerpSettings, BalancedScore } from '#shared/autointerp-types.ts';
import type { FeatureExample } from '#shared/index-types.ts';
import { seededRandom } from '../util/random.ts';
import { balancedAccuracy } from './balanced.ts';
import type { CompleteOptions, Explainer } from './explainer.ts';
import type { FeatureContexts } from './examples.ts';
import { shuffled } from './examples.ts';
import { detectionMessages, fuzzingMessages, type MarkedContext, parseVerdicts } from './prompts.ts';

/** One round's items (in the order shown) and the truth about each. */
export interface Round<T> {
  readonly items: readonly T[];
  readonly truth: readonly boolean[];
}

/** The detection round: activating and non-activating contexts, shuffled by seed. */
export function detectionRound(c: FeatureContexts, s: AutointerpSettings): Round<readonly string[]> {
  const all = shuffled(
    [...c.activating.map((e) => ({ e, t: true })), ...c.nonActivating.map((e) => ({ e, t: false }))],
    seededRandom(s.seed + 4),
  );
  return { items: all.map((x) => x.e.tokens), truth: all.map((x) => x.t) };
}

/**
 * The fuzzing round: every other activating context marked on its activating tokens, the
 * rest marked on as many tokens where the feature is zero (picked by seed); shuffled.
 */
export function fuzzingRound(c: FeatureContexts, s: AutointerpSettings): Round<MarkedContext> {
  const rand = seededRandom(s.seed + 5);
  const items = c.activating.flatMap((e: FeatureExample, i): { m: MarkedContext; t: boolean }[] => {
    const right = e.values.map((v) => v > 0);
    if (i % 2 === 0) return [{ m: { tokens: e.tokens, marked: right }, t: true }];
    const zeros = shuffled(
      e.values.flatMap((v, j) => (v > 0 ? [] : [j])),
      rand,
    );
    const n = right.filter(Boolean).length;
    if (zeros.length < n || n === 0) return [];
    const pick = new Set(zeros.slice(0, n));
    return [{ m: { tokens: e.tokens, marked: e.tokens.map((_, j) => pick.has(j)) }, t: false }];
  });
  const all = shuffled(items, rand);
  return { items: all.map((x) => x.m), truth: all.map((x) => x.t) };
}

/** Asks the explainer one round and scores its verdicts (an unreadable answer leaves every item unanswered). */
async function ask(
  explainer: Explainer,
  messages: Parameters<Explainer['complete']>[0],
  truth: readonly boolean[],
  opts: CompleteOptions,
): Promise<BalancedScore> {
  const answer = await explainer.complete(messages, opts);
  const verdicts = parseVerdicts(answer, truth.length);
  return balancedAccuracy(truth, verdicts ?? truth.map(() => null));
}

/** Detection score of `explanation`. */
export function scoreDetection(
  explainer: Explainer,
  explanation: string,
  c: FeatureContexts,
  s: AutointerpSettings,
  opts: CompleteOptions = {},
): Promise<BalancedScore> {
  const r = detectionRound(c, s);
  return ask(explainer, detectionMessages(explanation, r.items), r.truth, opts);
}

/** Fuzzing score of `explanation`. */
export function scoreFuzzing(
  explainer: Explainer,
  explanation: string,
  c: FeatureContexts,
  s: AutointerpSettings,
  opts: CompleteOptions = {},
): Promise<BalancedScore> {
  const r = fuzzingRound(c, s);
  return ask(explainer, fuzzingMessages(explanation, r.items), r.truth, opts);
}
