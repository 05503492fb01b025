import type { Intervention } from '#shared/intervention.ts';
import type { GenerationSettings } from '#shared/steer-types.ts';
import type { BuiltPrompt, Core, Engine, GridPlan, GridRunResult } from '../../core/host/cli.ts';
import { CliError } from '../command.ts';
import type { CommandOutput as SteerOutput } from '../output.ts';

/** What one steer command runs: its prompt, interventions, settings and grid. */
export interface SteerJob {
  readonly steer: Pick<Core['steer'], 'pair' | 'grid'>;
  readonly engine: Engine;
  readonly prompt: BuiltPrompt;
  readonly interventions: readonly Intervention[];
  readonly settings: GenerationSettings;
  readonly signal: AbortSignal;
}

/** A RangeError of the engine (too many tokens, a bad value) is a usage error. */
const usage = (e: Error): never => {
  throw e instanceof RangeError ? new CliError(e.message, 2) : e;
};

/** The prompt line both outputs start with. */
const head = (j: SteerJob): string => `prompt   ${JSON.stringify(j.prompt.text || j.engine.tokenizer.decode(j.prompt.ids))}`;

/** One default and one steered continuation: {baseline, steered}. */
export async function pairOutput(j: SteerJob): Promise<SteerOutput> {
  const { baseline, steered } = await j.steer
    .pair(j.engine, {
      promptIds: j.prompt.ids,
      interventions: j.interventions,
      segments: j.prompt.segments,
      settings: j.settings,
      signal: j.signal,
    })
    .catch(usage);
  const view = (c: typeof baseline): { ids: number[]; logprobs: number[]; text: string } => ({
    ids: c.ids,
    logprobs: c.logprobs,
    text: c.text,
  });
  return {
    data: { baseline: view(baseline), steered: view(steered) },
    text: `${head(j)}\ndefault  ${JSON.stringify(baseline.text)}\nsteered  ${JSON.stringify(steered.text)}`,
  };
}

/** One grid run as --json gives it. */
function runView(r: GridRunResult, engine: Engine, ivs: readonly Intervention[]) {
  return {
    side: r.side,
    factor: r.factor,
    sample: r.sample,
    seed: r.seed,
    interventions: r.side === 'steered' ? ivs.map((iv) => ({ feature: iv.feature, mode: iv.mode, value: iv.value * r.factor! })) : [],
    ids: r.ids,
    logprobs: r.logprobs,
    text: engine.tokenizer.decode(r.ids),
    finish: r.finish,
    ...(r.metrics ?? { klFirst: null, klMean: null, coherence: null }),
  };
}

const num = (v: number | null): string => (v === null ? '–' : v.toFixed(3));

/** A sweep and / or several samples: {prompt, promptIds, default, runs, defaults}, a line per run. */
export async function gridOutput(j: SteerJob, plan: GridPlan): Promise<SteerOutput> {
  const { engine, prompt: p } = j;
  const results = await j.steer.grid(engine, {
    promptIds: p.ids,
    interventions: j.interventions,
    segments: p.segments,
    settings: j.settings,
    plan,
    signal: j.signal,
  }).catch(usage);
  const runs = results.map((r) => runView(r, engine, j.interventions));
  const many = plan.samples > 1;
  const label = (r: (typeof runs)[number]): string =>
    `${r.side === 'default' ? 'default' : `×${r.factor}`}${many ? ` #${r.sample} (seed ${r.seed})` : ''}`;
  const lines = runs.map(
    (r) =>
      `${label(r).padEnd(many ? 22 : 9)}${JSON.stringify(r.text)}  KL first ${num(r.klFirst)} mean ${num(r.klMean)} · coherence ${num(r.coherence)}`,
  );
  return {
    data: {
      prompt: p.text,
      promptIds: p.ids,
      default: runs[0],
      runs: runs.filter((r) => r.side === 'steered'),
      defaults: runs.filter((r) => r.side === 'default'),
    },
    text: [
      head(j),
      ...lines,
      'KL: KL(default ‖ steered) at the first generated position / averaged over the generated positions; coherence: the default model’s mean log p of the text',
    ].join('\n'),
  };
}
