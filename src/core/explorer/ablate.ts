/**
 * `feature.ablate`: how an example's next token changes when the feature is removed at its
 * activating token. The window's tokens up to that token run through the untouched model and
 * through the steer graph with the latent clamped to 0 at that one position (the SAE's error
 * term kept, so nothing else changes); both next-token distributions are compared.
 */
import type { AblatedToken, FeatureAblation } from '#shared/explorer-types.ts';
import type { Intervention } from '#shared/intervention.ts';
import { AppError } from '#shared/reply.ts';
import { decodeTokens } from '../index/codec.ts';
import { featureActivations, type IndexReader } from '../index/reader.ts';
import type { Engine } from '../model/engine.ts';
import { topIds } from '../steer/next-tokens.ts';

/** Tokens listed on each side (fell most, rose most). */
export const ABLATION_TOKENS = 5;

/** The next-token log-probabilities after `ids`, with the given interventions. */
async function nextDistribution(engine: Engine, ids: readonly number[], interventions: readonly Intervention[]): Promise<Float64Array> {
  let dist: Float64Array | undefined;
  await engine.generate(ids, {
    maxNewTokens: 1,
    sampling: { temperature: 0 },
    interventions,
    onFirstDistribution: (lp) => (dist = lp),
  });
  if (!dist) throw new AppError('internal', 'the model produced no next-token distribution');
  return dist;
}

/** Feature `id` zero-ablated at token `position` of window `window` of the index. */
export async function ablateExample(
  engine: Engine,
  reader: IndexReader,
  id: number,
  window: number,
  position: number,
): Promise<FeatureAblation> {
  const row = reader.db.prepare('select tokens from windows where id = ?').get(window) as { tokens: Buffer } | undefined;
  if (!row) throw new AppError('not_found', `window ${window} is not in ${reader.file}`);
  const ids = decodeTokens(row.tokens);
  if (position >= ids.length) throw new AppError('bad_request', `window ${window} has ${ids.length} tokens: no position ${position}`);
  const C = reader.settings.context;
  const acts = featureActivations(
    reader.db.prepare('select id, first, last, n from chunks where feature = ? order by first'),
    reader.db.prepare('select data from chunks where id = ?').pluck(),
    id,
  );
  const value = acts.range(window * C + position, window * C + position + 1)[0] ?? 0;
  if (!(value > 0))
    throw new AppError('bad_request', `feature ${id} is not active at token ${position} of window ${window}: nothing to ablate`);
  const prefix = ids.slice(0, position + 1);
  const clean = await nextDistribution(engine, prefix, []);
  const ablated = await nextDistribution(engine, prefix, [
    { feature: id, mode: 'clamp', value: 0, positions: { from: position, to: position + 1 } },
  ]);
  const pieces = new Map<number, string>();
  const token = (t: number): AblatedToken => {
    if (!pieces.has(t)) pieces.set(t, engine.tokenizer.pieces([t])[0] ?? '');
    return { id: t, text: pieces.get(t)!, clean: clean[t]!, ablated: ablated[t]! };
  };
  const fell = clean.map((v, t) => v - ablated[t]!);
  const rose = fell.map((v) => -v);
  const next = position + 1 < ids.length ? ids[position + 1]! : null;
  return {
    value,
    next: next === null ? null : token(next),
    dropped: topIds(fell, ABLATION_TOKENS).map(token),
    raised: topIds(rose, ABLATION_TOKENS).map(token),
  };
}
