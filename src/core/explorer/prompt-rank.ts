/**
 * `prompt.rank`: runs the capture graph on a prompt and ranks features over a token span.
 * TopK and switch SAEs return all their active latents when asked for k (exact); other
 * architectures are captured with K = 64, doubled while some token fills all K slots, up to
 * MAX_CAPTURE_K (then `truncatedAt` says where the per-token lists were cut).
 */
import type { PromptRanking, RankedFeature, RankedToken } from '#shared/explorer-types.ts';
import { AppError } from '#shared/reply.ts';
import { modelMaxPositions } from '../model/config-facts.ts';
import type { Engine } from '../model/engine.ts';

/** First capture K for SAEs without a fixed k. */
const START_K = 64;
/** Largest capture K tried for SAEs without a fixed k. */
export const MAX_CAPTURE_K = 1024;

/** What ranking needs besides the prompt. */
export interface RankOptions {
  readonly span?: { from: number; to: number } | undefined;
  readonly sort: 'max' | 'sum';
  readonly ignoreBos: boolean;
  readonly top: number;
  readonly limit: number;
  /** Features left out (denser than the cutoff). */
  readonly exclude?: (id: number) => boolean;
  readonly density?: (id: number) => number | null;
  readonly label?: (id: number) => string | null;
}

/** Every active latent of every token of `ids`, strongest first, and where the lists were cut (null: exact). */
export async function captureAll(
  engine: Engine,
  ids: readonly number[],
): Promise<{ latents: [number, number][][]; truncatedAt: number | null }> {
  const cfg = engine.sae.config;
  const exact = (cfg.architecture === 'topk' || cfg.architecture === 'switch') && cfg.k !== undefined;
  let K = exact ? cfg.k! : Math.min(START_K, cfg.dSae);
  for (;;) {
    const cap = await engine.capture([ids], K);
    let full = false;
    if (!exact && cap.k < cfg.dSae) for (let t = 0; t < ids.length && !full; t++) full = cap.values[t * cap.k + cap.k - 1]! > 0;
    if (full && K < Math.min(MAX_CAPTURE_K, cfg.dSae)) {
      K = Math.min(K * 2, MAX_CAPTURE_K, cfg.dSae);
      continue;
    }
    const latents = ids.map((_, t) => {
      const out: [number, number][] = [];
      for (let j = 0; j < cap.k; j++) {
        const v = cap.values[t * cap.k + j]!;
        if (v > 0) out.push([cap.indices[t * cap.k + j]!, v]);
      }
      return out;
    });
    return { latents, truncatedAt: full ? cap.k : null };
  }
}

/** Ranks the features of a prompt over a span. */
export async function rankPrompt(engine: Engine, text: string, o: RankOptions): Promise<PromptRanking> {
  const ids = engine.tokenize(text);
  if (!ids.length) throw new AppError('bad_request', 'the prompt has no tokens');
  const limit = modelMaxPositions(engine.folder.config);
  if (limit !== undefined && ids.length > limit) {
    throw new AppError('bad_request', `the prompt is ${ids.length} tokens; the model takes at most ${limit}: shorten it`);
  }
  const bosId = engine.tokenizer.bosId;
  const hasBos = engine.sae.config.prependBos && bosId !== undefined && ids[0] === bosId;
  const { latents, truncatedAt } = await captureAll(engine, ids);
  const pieces = engine.tokenizer.pieces(ids);
  const exclude = o.exclude ?? (() => false);

  const tokens: RankedToken[] = ids.map((id, t) => ({
    id,
    text: pieces[t] ?? '',
    bos: hasBos && t === 0,
    latents: latents[t]!.filter(([f]) => !exclude(f)).slice(0, o.top),
  }));

  const from = o.span?.from ?? 0;
  const to = Math.min(o.span?.to ?? ids.length, ids.length);
  if (from >= to) throw new AppError('bad_request', `an empty span [${from}, ${to}): the prompt has ${ids.length} tokens`);

  const stats = new Map<number, { max: number; sum: number; tokens: number }>();
  for (let t = from; t < to; t++) {
    if (o.ignoreBos && hasBos && t === 0) continue;
    for (const [f, v] of latents[t]!) {
      if (exclude(f)) continue;
      const s = stats.get(f);
      if (s) {
        if (v > s.max) s.max = v;
        s.sum += v;
        s.tokens++;
      } else stats.set(f, { max: v, sum: v, tokens: 1 });
    }
  }
  const key = o.sort === 'sum' ? 'sum' : 'max';
  const ranking: RankedFeature[] = [...stats.entries()]
    .sort((a, b) => b[1][key] - a[1][key] || a[0] - b[0])
    .slice(0, o.limit)
    .map(([id, s]) => ({ id, max: s.max, sum: s.sum, tokens: s.tokens, density: o.density?.(id) ?? null, label: o.label?.(id) ?? null }));
  return { tokens, span: { from, to }, ranking, truncatedAt };
}
