/** `feature.onText`: one feature's activation at every token of typed text (the capture graph). */
import type { FeatureOnText } from '#shared/explorer-types.ts';
import { AppError } from '#shared/reply.ts';
import { modelMaxPositions } from '../model/config-facts.ts';
import type { Engine } from '../model/engine.ts';
import { captureAll } from './prompt-rank.ts';

/** Runs the capture graph on `text` and reads feature `id` at each token. */
export async function featureOnText(engine: Engine, id: number, text: string): Promise<FeatureOnText> {
  const ids = engine.tokenize(text);
  if (!ids.length) throw new AppError('bad_request', 'the text has no tokens');
  const limit = modelMaxPositions(engine.folder.config);
  if (limit !== undefined && ids.length > limit) {
    throw new AppError('bad_request', `the text is ${ids.length} tokens; the model takes at most ${limit}: shorten it`);
  }
  const bosId = engine.tokenizer.bosId;
  const hasBos = engine.sae.config.prependBos && bosId !== undefined && ids[0] === bosId;
  const { latents, truncatedAt } = await captureAll(engine, ids);
  const pieces = engine.tokenizer.pieces(ids);
  const tokens = ids.map((_, t) => ({
    text: pieces[t] ?? '',
    value: latents[t]!.find(([f]) => f === id)?.[1] ?? 0,
    bos: hasBos && t === 0,
  }));
  const max = tokens.reduce((m, t) => (t.bos ? m : Math.max(m, t.value)), 0);
  return { tokens, max, truncatedAt };
}
