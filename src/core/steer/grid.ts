import type { InterventionInput } from '#shared/intervention.ts';
import type { GenerationSettings, GridRun, PromptSegment, RunMetrics } from '#shared/steer-types.ts';
import { MAX_GRID_ROWS } from '#shared/steer-types.ts';
import type { Engine } from '../model/engine.ts';
import type { BatchRow } from '../model/generate-batch.ts';
import type { SamplingOptions } from '../model/sampling.ts';
import { finite } from './next-tokens.ts';

/** The engine's sampling options for a run's settings (a sample's own seed). */
export function samplingOf(s: GenerationSettings, seed = s.seed): SamplingOptions {
  if (s.greedy) return { seed };
  return {
    temperature: s.temperature,
    seed,
    ...(s.topK > 0 ? { topK: s.topK } : {}),
    ...(s.topP < 1 ? { topP: s.topP } : {}),
  };
}

/** What a grid is made of: sweep factors (null: the interventions as given) and samples per side. */
export interface GridPlan {
  readonly sweep: readonly number[] | null;
  readonly samples: number;
}

/** Each grid run's place: its side, factor and sample, in `runs` order (per sample: default, then each factor). */
export function gridLayout(plan: GridPlan): Pick<GridRun, 'side' | 'factor' | 'sample'>[] {
  const factors = plan.sweep ?? [1];
  const out: Pick<GridRun, 'side' | 'factor' | 'sample'>[] = [];
  for (let sample = 0; sample < plan.samples; sample++) {
    out.push({ side: 'default', factor: null, sample });
    for (const factor of factors) out.push({ side: 'steered', factor, sample });
  }
  return out;
}

/** Batch rows a grid needs: its runs, and one teacher-forced default row per steered run. */
export function gridRows(plan: GridPlan): number {
  const runs = gridLayout(plan);
  return runs.length + runs.filter((r) => r.side === 'steered').length;
}

/** Why a grid cannot run, in words; null when it can. */
export function gridProblem(plan: GridPlan, settings: GenerationSettings): string | null {
  if (plan.samples > 1 && settings.greedy)
    return 'several samples need sampling: greedy decoding gives one continuation per side (turn sampling on, or ask for 1 sample)';
  const rows = gridRows(plan);
  if (rows > MAX_GRID_ROWS)
    return `this grid needs ${rows} rows (runs plus one default-model reader per steered run); at most ${MAX_GRID_ROWS}: use fewer factors or samples`;
  return null;
}

/** Terms of KL(p ‖ q) where p < e^-60 (1e-26) are left out: they move the sum by less than float64 resolves. */
const NEGLIGIBLE = -60;

/**
 * KL(p ‖ q) in nats of two log-probability vectors. Terms where p is negligible add nothing
 * (and cost no exp), so identical vectors give exactly 0.
 */
export function klDivergence(p: Float64Array, q: Float64Array): number {
  let s = 0;
  for (let i = 0; i < p.length; i++) {
    const lp = p[i]!;
    if (lp < NEGLIGIBLE) continue;
    const d = lp - q[i]!;
    if (d !== 0) s += Math.exp(lp) * d;
  }
  return s;
}

/** KL(p ‖ q) from p's probabilities and both log-probabilities (no exp needed); identical p and q give exactly 0. */
export function klFromProbs(probs: Float64Array, lp: Float64Array, lq: Float64Array): number {
  let s = 0;
  for (let i = 0; i < lp.length; i++) {
    const d = lp[i]! - lq[i]!;
    if (d !== 0 && probs[i]! > 0) s += probs[i]! * d;
  }
  return s;
}

/** Interventions at a sweep factor: every value × the factor. */
export const scaled = (ivs: readonly InterventionInput[], factor: number): InterventionInput[] =>
  ivs.map((iv) => ({ ...iv, value: iv.value * factor }));

/** A grid run's generated token, as it streams. */
export interface GridToken {
  /** Index into the grid's runs. */
  readonly run: number;
  readonly index: number;
  readonly id: number;
  readonly logprob: number;
}

/** What a grid run needs besides the engine. */
export interface GridRequest {
  readonly promptIds: readonly number[];
  /** The interventions at factor 1. */
  readonly interventions: readonly InterventionInput[];
  /** Where the prompt's message text is, for `user` / `content` positions. */
  readonly segments?: readonly PromptSegment[];
  readonly settings: GenerationSettings;
  readonly plan: GridPlan;
  readonly signal?: AbortSignal;
  /** Ends a run early (stop sequences), given its ids so far. */
  readonly shouldStop?: (ids: readonly number[]) => boolean;
  readonly onToken?: (t: GridToken) => void;
  /** The prompt's next-token distributions of the first default and the first steered run, once known. */
  readonly onFirst?: (dists: { default: Float64Array; steered: Float64Array }) => void;
}

/** A grid run as generated: ids and log-probabilities, why it ended, and its metrics. */
export type GridRunResult = Pick<GridRun, 'side' | 'factor' | 'sample' | 'seed' | 'metrics'> & {
  readonly ids: number[];
  readonly logprobs: number[];
  readonly finish: 'length' | 'stop' | 'cancelled';
};

/**
 * Runs a sweep and / or several samples in one batch: per sample a default row and one
 * steered row per factor (each intervention's value × factor), all of a sample on the same
 * seed; and, for each steered row, an unsteered row fed the steered row's tokens, whose
 * distributions give the run's KL from the default model at every generated position and
 * the default model's log-probability of the steered text. Unsteered rows run the same
 * graph as steered ones, so a factor that leaves the model alone (add 0) gives KL exactly 0.
 */
export async function runGrid(engine: Engine, req: GridRequest): Promise<GridRunResult[]> {
  const { settings, plan } = req;
  const layout = gridLayout(plan);
  const seedOf = (sample: number): number => settings.seed + sample;
  const rows: (BatchRow & { interventions?: readonly InterventionInput[] })[] = layout.map((r) => ({
    sampling: samplingOf(settings, seedOf(r.sample)),
    ...(r.side === 'steered' ? { interventions: scaled(req.interventions, r.factor!) } : {}),
  }));
  /** readers[i]: the batch row that reads run i's text with the default model (steered runs only). */
  const readers = new Map<number, number>();
  layout.forEach((r, i) => {
    if (r.side === 'steered') {
      readers.set(i, rows.length);
      rows.push({ sampling: {}, follow: i });
    }
  });
  const defaultOf = (i: number): number => layout.findIndex((r) => r.side === 'default' && r.sample === layout[i]!.sample);
  const first = new Map<number, Float64Array>();
  const klSum = new Map<number, number>();
  const lpSum = new Map<number, number>();
  const runOfReader = new Map([...readers].map(([run, row]) => [row, run]));
  const firstSteered = layout.findIndex((r) => r.side === 'steered');

  const results = await engine.generateBatch(req.promptIds, rows, {
    maxNewTokens: settings.maxNewTokens,
    segments: req.segments ?? [],
    stopIds: settings.stopAtEos ? engine.tokenizer.eosIds : [],
    ...(req.shouldStop ? { shouldStop: (_row: number, ids: readonly number[]) => req.shouldStop!(ids) } : {}),
    ...(req.signal ? { signal: req.signal } : {}),
    onStep: (steps) => {
      const dist = new Map(steps.map((s) => [s.row, s.dist]));
      for (const s of steps) {
        if (s.row < layout.length) {
          if (s.index === 0) first.set(s.row, s.dist);
          req.onToken?.({ run: s.row, index: s.index, id: s.id, logprob: s.logprob });
          continue;
        }
        // a reader: the default model on a steered run's text
        const run = runOfReader.get(s.row)!;
        const steered = dist.get(run);
        if (steered)
          klSum.set(run, (klSum.get(run) ?? 0) + (s.probs ? klFromProbs(s.probs, s.dist, steered) : klDivergence(s.dist, steered)));
        lpSum.set(run, (lpSum.get(run) ?? 0) + finite(s.logprob));
      }
      if (steps[0]?.index === 0 && firstSteered >= 0) req.onFirst?.({ default: first.get(0)!, steered: first.get(firstSteered)! });
    },
  });

  return layout.map((r, i) => {
    const res = results[i]!;
    const n = res.ids.length;
    let metrics: RunMetrics | null = null;
    if (n > 0 && r.side === 'default') {
      metrics = { klFirst: 0, klMean: 0, coherence: res.logprobs.reduce((a, b) => a + finite(b), 0) / n };
    } else if (n > 0) {
      metrics = {
        klFirst: finite(klDivergence(first.get(defaultOf(i))!, first.get(i)!)),
        klMean: finite((klSum.get(i) ?? 0) / n),
        coherence: (lpSum.get(i) ?? 0) / n,
      };
    }
    return { ...r, seed: seedOf(r.sample), ids: res.ids, logprobs: res.logprobs, finish: res.finish, metrics };
  });
}
