import { AppError } from '#shared/reply.ts';
import { CliError, defineCommand } from '../command.ts';
import { withCore } from '../core.ts';
import { engineOptions, openEngine, promptOptions } from './engine-options.ts';
import { gridOutput, pairOutput } from './steer-output.ts';
import { steerPlan } from './steer-options.ts';
import { steerPrompt } from './steer-prompt.ts';

/** `steer`: default and steered continuations of a prompt, or a sweep / several samples of them (`core.model` + `core.steer`). */
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
    return withCore(values.data, async (core) => {
      const plan = steerPlan(values, core.steer); // usage errors before a model loads
      const engine = await openEngine(core, values);
      try {
        const prompt = steerPrompt(core.steer, engine, values);
        try {
          core.steer.checkPositions(plan.interventions, prompt.segments);
        } catch (e) {
          throw e instanceof AppError ? new CliError(e.message, 2) : e;
        }
        const job = { steer: core.steer, engine, prompt, interventions: plan.interventions, settings: plan.settings, signal: io.signal };
        return plan.grid ? await gridOutput(job, plan.grid) : await pairOutput(job);
      } finally {
        await engine.close();
      }
    });
  },
});
