import type { Core, GridPlan } from '../../core/host/cli.ts';
import { interventionSchema, positionsSchema, type Intervention, type Positions, type SteerMode } from '#shared/intervention.ts';
import { defaultGenerationSettings, sweepSchema, type GenerationSettings } from '#shared/steer-types.ts';
import { CliError } from '../command.ts';
import { generationSettingsOption, parseWith } from '../schema-options.ts';
import { positiveInt } from './engine-options.ts';

const NUMBER = /^-?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?$/i;

/** Parses `F=V` pairs of one mode, each checked by the contract's interventionSchema. */
export function interventionPairs(mode: SteerMode, pairs: readonly string[] | undefined, positions: Positions): Intervention[] {
  return (pairs ?? []).map((p) => {
    const m = /^(\d+)=(.+)$/.exec(p.trim());
    if (!m || !NUMBER.test(m[2]!)) throw new CliError(`--${mode} takes FEATURE=VALUE (e.g. 123=8.5), got "${p}"`, 2);
    const flags = { feature: mode, mode, value: mode, positions: 'positions' };
    return parseWith(interventionSchema, { feature: Number(m[1]), mode, value: Number(m[2]), positions }, flags);
  });
}

/** A finite number option, or undefined when absent. */
export function finiteOption(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new CliError(`--${name} must be a number, got "${v}"`, 2);
  return n;
}

/** --positions: all, prompt, generated, user, content or a token range A:B (checked by the contract's positionsSchema). */
export function positionsOption(where: string | undefined): Positions {
  const w = where ?? 'all';
  const range = /^(\d+):(\d+)$/.exec(w);
  const parsed = positionsSchema.safeParse(range ? { from: Number(range[1]), to: Number(range[2]) } : w);
  if (parsed.success) return parsed.data;
  if (range) throw new CliError(`--positions A:B needs B > A, got "${w}"`, 2);
  throw new CliError(`--positions must be all, prompt, generated, user, content or A:B, got "${w}"`, 2);
}

/** --sweep 0,0.5,1,2: the factors every intervention's value is multiplied by. */
export function sweepOption(v: string | undefined): number[] | undefined {
  if (v === undefined) return undefined;
  const parts = v.split(',').map((s) => s.trim());
  if (!parts.length || parts.length > 16 || parts.some((s) => !NUMBER.test(s)))
    throw new CliError(`--sweep takes 1 to 16 comma-separated factors (e.g. 0,4,16), got "${v}"`, 2);
  // the bounds steer.run's schema puts on a sweep
  const parsed = sweepSchema.safeParse(parts.map(Number));
  if (!parsed.success) throw new CliError(`--sweep: ${parsed.error.issues[0]?.message ?? 'invalid'} (got "${v}")`, 2);
  return parsed.data;
}

/** The option values `steer` plans a run from. */
export interface SteerValues {
  readonly 'max-new-tokens'?: string | undefined;
  readonly greedy?: boolean | undefined;
  readonly temperature?: string | undefined;
  readonly 'top-k'?: string | undefined;
  readonly 'top-p'?: string | undefined;
  readonly seed?: string | undefined;
  readonly positions?: string | undefined;
  readonly clamp?: string[] | undefined;
  readonly add?: string[] | undefined;
  readonly scale?: string[] | undefined;
  readonly sweep?: string | undefined;
  readonly samples?: string | undefined;
}

/** What `steer` runs: the interventions, the settings and the grid (null: one pair), checked before a model loads. */
export interface SteerPlan {
  readonly interventions: Intervention[];
  readonly settings: GenerationSettings;
  readonly grid: GridPlan | null;
}

/** Reads and checks `steer`'s options (the grid by `core.steer`): usage errors (exit 2) name the option. */
export function steerPlan(values: SteerValues, steer: Pick<Core['steer'], 'gridProblem'>): SteerPlan {
  const maxNewTokens = positiveInt('max-new-tokens', values['max-new-tokens'], 20);
  const temperature = finiteOption('temperature', values.temperature);
  if (values.greedy && temperature !== undefined) throw new CliError('--greedy and --temperature exclude each other', 2);
  const positions = positionsOption(values.positions);
  const interventions = [
    ...interventionPairs('clamp', values.clamp, positions),
    ...interventionPairs('add', values.add, positions),
    ...interventionPairs('scale', values.scale, positions),
  ];
  const topK = finiteOption('top-k', values['top-k']);
  const topP = finiteOption('top-p', values['top-p']);
  const seed = finiteOption('seed', values.seed);
  const sweep = sweepOption(values.sweep);
  const samples = positiveInt('samples', values.samples, 1);
  // checked by the schema steer.run checks them with (--top-p 2 is refused by both)
  const settings: GenerationSettings = generationSettingsOption(
    {
      ...defaultGenerationSettings,
      stopSequences: [],
      stopAtEos: false,
      maxNewTokens,
      greedy: temperature === undefined,
      ...(temperature !== undefined ? { temperature, topK: topK ?? 0, topP: topP ?? 1 } : {}),
      seed: seed ?? 0,
    },
    { temperature, topK, topP, seed },
  );
  const grid = sweep || samples > 1 ? { sweep: sweep ?? null, samples } : null;
  const problem = grid && steer.gridProblem(grid, settings);
  if (problem) throw new CliError(problem.replace('turn sampling on', 'give --temperature'), 2);
  if (sweep && !interventions.length) throw new CliError('--sweep scales the interventions: give --clamp, --add or --scale', 2);
  return { interventions, settings, grid };
}
