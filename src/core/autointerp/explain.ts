import type { AutoExplanation, AutointerpSettings } from '../../shared/autointerp-types.ts';
import { AppError } from '../../shared/reply.ts';
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
}

/** Explains one feature of an index from its top examples and interval samples, then scores the explanation. */
export async function explainFeature(
  reader: IndexReader,
  explainer: Explainer,
  feature: number,
  settings: AutointerpSettings,
  opts: ExplainOptions = {},
): Promise<AutoExplanation> {
  const contexts = featureContexts(reader, feature, settings);
  const answer = await explainer.complete(explainMessages(contexts.explain, contexts.max), opts);
  const description = parseExplanation(answer);
  if (!description) throw new AppError('unavailable', `the explainer gave no explanation for feature ${feature}`);
  const score = opts.score ?? true;
  const detection = score ? await scoreDetection(explainer, description, contexts, settings, { signal: opts.signal }) : null;
  const fuzzing = score ? await scoreFuzzing(explainer, description, contexts, settings, { signal: opts.signal }) : null;
  return {
    feature,
    description,
    source: 'auto',
    explainerModel: explainer.model,
    promptVersion: PROMPT_VERSION,
    settings,
    detection,
    fuzzing,
    createdAt: (opts.now ?? Date.now)(),
  };
}
