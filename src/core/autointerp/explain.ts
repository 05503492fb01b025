import type { AutoExplanation, AutointerpSettings } from '#shared/autointerp-types.ts';
import { AppError } from '#shared/reply.ts';
import type { IndexReader } from '../index/reader.ts';
import type { CompleteOptions, Explainer } from './explainer.ts';
import { featureContexts } from './examples.ts';
import { explainMessages, parseExplanation, PROMPT_VERSION } from './prompts.ts';
import { scoreDetection, scoreFuzzing } from './score.ts';

/** What to do besides explaining. */
export interface ExplainOptions extends CompleteOptions {
  /** Score the explanation (detection and fuzzing); default true. */
  readonly score?: boolean;
  readonly now?: () => number;
  /**
   * What is already stored of this feature's explanation by this explainer and prompt
   * version: it is not asked again, only its missing scores are (with its own settings).
   */
  readonly stored?: AutoExplanation | null;
  /** Called after each step (explanation, then each score) with the result so far: store it here. */
  readonly onStep?: (e: AutoExplanation, stage: 'explained' | 'scored') => void;
}

/**
 * Explains one feature of an index from its top examples and interval samples, then scores
 * the explanation (detection, then fuzzing). Each step is handed to `onStep` as it lands,
 * so a caller that stores it there never has it redone.
 */
export async function explainFeature(
  reader: IndexReader,
  explainer: Explainer,
  feature: number,
  settings: AutointerpSettings,
  opts: ExplainOptions = {},
): Promise<AutoExplanation> {
  const s = opts.stored?.settings ?? settings;
  const contexts = featureContexts(reader, feature, s);
  let e = opts.stored ?? null;
  if (!e) {
    const answer = await explainer.complete(explainMessages(contexts.explain, contexts.max), {
      ...(opts.signal ? { signal: opts.signal } : {}),
      ...(opts.onText ? { onText: opts.onText } : {}),
    });
    const description = parseExplanation(answer);
    if (!description) throw new AppError('unavailable', `the explainer gave no explanation for feature ${feature}`);
    e = {
      feature,
      description,
      source: 'auto',
      explainerModel: explainer.model,
      promptVersion: PROMPT_VERSION,
      settings: s,
      detection: null,
      fuzzing: null,
      createdAt: (opts.now ?? Date.now)(),
    };
    opts.onStep?.(e, 'explained');
  }
  if (opts.score ?? true) {
    const signal = opts.signal ? { signal: opts.signal } : {};
    if (!e.detection) {
      e = { ...e, detection: await scoreDetection(explainer, e.description, contexts, s, signal) };
      opts.onStep?.(e, 'scored');
    }
    if (!e.fuzzing) {
      e = { ...e, fuzzing: await scoreFuzzing(explainer, e.description, contexts, s, signal) };
      opts.onStep?.(e, 'scored');
    }
  }
  return e;
}
