import fs from 'node:fs';
import type { GenerationSettings, SteerIntervention } from '../../shared/steer-types.ts';
import { defaultGenerationSettings } from '../../shared/steer-types.ts';
import { AppError } from '../../shared/reply.ts';
import { gridProblem, runGrid, samplingOf, type GridRunResult } from '../../core/steer/grid.ts';
import { buildPrompt, engineInterventions, type BuiltPrompt } from '../../core/steer/prompt.ts';
import type { Engine } from '../../core/model/engine.ts';
import { CliError, defineCommand } from '../command.ts';
import { engineOptions, openEngine, positiveInt, promptIds, promptOptions } from './engine-options.ts';
import { finiteOption, interventionPairs, positionsOption, sweepOption } from './steer-options.ts';
import { generationSettingsOption } from '../schema-options.ts';

/** The prompt from --text / --ids, or the chat from --chat / --system (--text is the user's message). */
function prompt(
  engine: Engine,
  v: {
    text?: string | undefined;
    ids?: string | undefined;
    chat?: boolean | undefined;
    system?: string | undefined;
    'chat-template'?: string | undefined;
  },
): BuiltPrompt {
  const chat = v.chat === true || v.system !== undefined || v['chat-template'] !== undefined;
  try {
    if (!chat) {
      const ids = promptIds(engine, v); // exactly one of --text and --ids, not empty
      return v.ids !== undefined ? { text: '', ids, segments: [], chat: null } : buildPrompt(engine, { prompt: v.text! });
    }
    if (v.text === undefined || v.ids !== undefined) throw new CliError('--chat takes the user message as --text T (not --ids)', 2);
    const template = v['chat-template'] !== undefined ? fs.readFileSync(v['chat-template'], 'utf8') : undefined;
    return buildPrompt(engine, {
      prompt: '',
      chat: {
        messages: [
          ...(v.system !== undefined ? [{ role: 'system' as const, content: v.system }] : []),
          { role: 'user' as const, content: v.text },
        ],
        addGenerationPrompt: true,
        ...(template !== undefined ? { template } : {}),
      },
    });
  } catch (e) {
    if (e instanceof AppError) throw new CliError(e.message, 2);
    throw e;
  }
}

/** One grid run as --json gives it. */
function runView(r: GridRunResult, engine: Engine, ivs: readonly SteerIntervention[]) {
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

/** `steer`: default and steered continuations of a prompt, or a sweep / several samples of them. */
export const steerCommand = defineCommand({
  name: 'steer',
  summary: 'Generate with and without clamped / added / scaled latents (sweeps, samples, chat prompts)',
  usage:
    '--model DIR --sae PATH [--hook NAME] (--text T | --ids ...) [--chat [--system S] [--chat-template FILE]] [--clamp F=V]... [--add F=S]... [--scale F=C]... ' +
    '--max-new-tokens N (--greedy | --temperature T --seed S [--top-k K] [--top-p P]) [--positions all|prompt|generated|user|content|A:B] ' +
    '[--sweep F1,F2,...] [--samples N] [--json]',
  description: [
    'clamp sets latent F to V keeping the SAE error term (x + decode(a′) − decode(a)); add adds S·W_dec[F];',
    'scale multiplies latent F by C. Interventions apply at every position unless --positions says otherwise',
    "(user: the user message's text only; content: every message's text and the generated tokens, no template tokens).",
    'logprobs[i] is the log-probability of the i-th generated id under the model that generated it.',
    "--chat renders --text as the user message with the model's chat template (--system adds a system message,",
    '--chat-template FILE uses that Jinja template instead).',
    '--sweep 0,4,16 runs the steered side once per factor (every value × factor), all on one seed, in one batch;',
    '--samples N samples N continuations per side (seeds S, S+1, ...). Each steered run gets klFirst (KL(default ‖ steered)',
    'of the next-token distribution at the first generated position), klMean (the same averaged over its generated',
    "positions, the default model reading the steered text) and coherence (the default model's mean log-probability",
    'of the steered text). --json then gives {default, runs, defaults}: the default run, one run per strength and sample.',
  ].join('\n'),
  options: {
    ...engineOptions,
    ...promptOptions,
    chat: { type: 'boolean', description: 'Render --text as a user message with the chat template.' },
    system: { type: 'string', valueName: 'S', description: 'A system message before it (implies --chat).' },
    'chat-template': {
      type: 'string',
      valueName: 'FILE',
      description: "A Jinja chat template to use instead of the model's (implies --chat).",
    },
    clamp: { type: 'string', multiple: true, valueName: 'F=V', description: 'Clamp latent F to V.' },
    add: { type: 'string', multiple: true, valueName: 'F=S', description: 'Add S × decoder direction of F.' },
    scale: { type: 'string', multiple: true, valueName: 'F=C', description: 'Multiply latent F by C.' },
    positions: {
      type: 'string',
      valueName: 'WHERE',
      description: 'all (default), prompt, generated, user, content, or a token range A:B.',
    },
    'max-new-tokens': { type: 'string', valueName: 'N', description: 'Tokens to generate (default 20).' },
    greedy: { type: 'boolean', description: 'Greedy decoding (the default).' },
    temperature: { type: 'string', valueName: 'T', description: 'Sample with this temperature.' },
    'top-k': { type: 'string', valueName: 'K', description: 'Sample among the K most likely tokens.' },
    'top-p': { type: 'string', valueName: 'P', description: 'Nucleus sampling mass.' },
    seed: { type: 'string', valueName: 'S', description: 'Sampling seed (default 0): the same seed gives the same output.' },
    sweep: { type: 'string', valueName: 'F1,F2,...', description: 'Factors: one steered run per factor, every value × factor, one seed.' },
    samples: { type: 'string', valueName: 'N', description: 'Sampled continuations per side (needs --temperature).' },
  },
  json: true,
  async run({ values, io }) {
    const maxNewTokens = positiveInt('max-new-tokens', values['max-new-tokens'], 20);
    const temperature = finiteOption('temperature', values.temperature);
    if (values.greedy && temperature !== undefined) throw new CliError('--greedy and --temperature exclude each other', 2);
    const positions = positionsOption(values.positions);
    const ivs = [
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
    const problem = grid && gridProblem(grid, settings);
    if (problem) throw new CliError(problem.replace('turn sampling on', 'give --temperature'), 2);
    if (sweep && !ivs.length) throw new CliError('--sweep scales the interventions: give --clamp, --add or --scale', 2);
    const engine = await openEngine(values);
    try {
      const p = prompt(engine, values);
      let resolved;
      try {
        resolved = engineInterventions(ivs, p.segments);
      } catch (e) {
        throw e instanceof AppError ? new CliError(e.message, 2) : e;
      }
      const head = `prompt   ${JSON.stringify(p.text || engine.tokenizer.decode(p.ids))}`;
      if (!grid) {
        const { baseline, steered } = await engine
          .compare(p.ids, { maxNewTokens, sampling: samplingOf(settings), interventions: resolved, signal: io.signal })
          .catch((e: Error) => {
            throw e instanceof RangeError ? new CliError(e.message, 2) : e;
          });
        const view = (c: typeof baseline): { ids: number[]; logprobs: number[]; text: string } => ({
          ids: c.ids,
          logprobs: c.logprobs,
          text: c.text,
        });
        return {
          data: { baseline: view(baseline), steered: view(steered) },
          text: `${head}\ndefault  ${JSON.stringify(baseline.text)}\nsteered  ${JSON.stringify(steered.text)}`,
        };
      }
      const results = await runGrid(engine, { promptIds: p.ids, interventions: resolved, settings, plan: grid, signal: io.signal }).catch(
        (e: Error) => {
          throw e instanceof RangeError ? new CliError(e.message, 2) : e;
        },
      );
      const runs = results.map((r) => runView(r, engine, ivs));
      const label = (r: (typeof runs)[number]): string =>
        `${r.side === 'default' ? 'default' : `×${r.factor}`}${samples > 1 ? ` #${r.sample} (seed ${r.seed})` : ''}`;
      const lines = runs.map(
        (r) =>
          `${label(r).padEnd(samples > 1 ? 22 : 9)}${JSON.stringify(r.text)}  KL first ${num(r.klFirst)} mean ${num(r.klMean)} · coherence ${num(r.coherence)}`,
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
          head,
          ...lines,
          'KL: KL(default ‖ steered) at the first generated position / averaged over the generated positions; coherence: the default model’s mean log p of the text',
        ].join('\n'),
      };
    } finally {
      await engine.close();
    }
  },
});
