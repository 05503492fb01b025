import type { AutointerpSettings } from '#shared/autointerp-types.ts';
import type { FeatureExample } from '#shared/index-types.ts';
import { AppError } from '#shared/reply.ts';
import { featureActivations, type IndexReader } from '../index/reader.ts';
import { seededRandom } from '../util/random.ts';

/** The contexts one feature is explained and scored on. */
export interface FeatureContexts {
  readonly feature: number;
  readonly max: number;
  /** Shown to the explainer: top examples, then interval samples. */
  readonly explain: FeatureExample[];
  /** Activating contexts for scoring, none of them shown to the explainer. */
  readonly activating: FeatureExample[];
  /** Contexts (other features' examples) where this feature is zero on every token. */
  readonly nonActivating: FeatureExample[];
}

/** `xs` shuffled by a seeded Fisher–Yates. */
export function shuffled<T>(xs: readonly T[], rand: () => number): T[] {
  const out = [...xs];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

const key = (e: FeatureExample): string => `${e.window}:${e.position}`;

/** Collects a feature's contexts from an index, as `settings` asks. */
export function featureContexts(reader: IndexReader, feature: number, s: AutointerpSettings): FeatureContexts {
  const dash = reader.feature(feature, s.context);
  if (!dash.count) throw new AppError('bad_request', `feature ${feature} never activates in this index: nothing to explain`);
  const intervals = dash.intervals.filter((iv) => iv.examples.length);
  const fromIntervals: FeatureExample[] = [];
  for (let round = 0; fromIntervals.length < s.intervalExamples && intervals.some((iv) => iv.examples.length > round); round++) {
    for (const iv of intervals) {
      const e = iv.examples[round];
      if (e && fromIntervals.length < s.intervalExamples) fromIntervals.push(e);
    }
  }
  const explain = [...dash.top.slice(0, s.topExamples), ...fromIntervals];
  const shown = new Set(explain.map(key));
  const sampled = reader.sample(feature, Number.MIN_VALUE, Infinity, s.scoreExamples * 4 + explain.length, s.seed + 1, s.context).examples;
  const activating = shuffled(
    sampled.filter((e) => !shown.has(key(e))),
    seededRandom(s.seed + 2),
  ).slice(0, s.scoreExamples);
  return { feature, max: dash.max, explain, activating, nonActivating: nonActivating(reader, feature, s) };
}

/** Other features' top examples on which `feature` is zero throughout, picked by seed. */
function nonActivating(reader: IndexReader, feature: number, s: AutointerpSettings): FeatureExample[] {
  const C = reader.settings.context;
  const acts = featureActivations(
    reader.db.prepare('select id, first, last, n from chunks where feature = ? order by first'),
    reader.db.prepare('select data from chunks where id = ?').pluck(),
    feature,
  );
  const rand = seededRandom(s.seed + 3);
  const out: FeatureExample[] = [];
  const seen = new Set<string>();
  const dSae = reader.settings.dSae;
  for (let tries = 0; out.length < s.scoreExamples && tries < Math.min(dSae, 400); tries++) {
    const other = Math.floor(rand() * dSae);
    if (other === feature) continue;
    for (const e of reader.feature(other, s.context).top) {
      if (seen.has(key(e))) continue;
      seen.add(key(e));
      const base = e.window * C;
      if (acts.range(base + e.start, base + e.start + e.tokens.length).some((v) => v > 0)) continue;
      out.push(e);
      break;
    }
  }
  return out;
}
