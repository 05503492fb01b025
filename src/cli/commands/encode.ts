import { defineCommand } from '../command.ts';
import { encodeOutput } from '../output.ts';
import { engineOptions, positiveInt, promptIds, promptOptions, withEngine } from './engine-options.ts';

/** `encode`: the strongest SAE latents at every token of a prompt (an engine of its own from `core.model`). */
export const encodeCommand = defineCommand({
  name: 'encode',
  summary: 'Show the strongest SAE latents at each token of a prompt',
  usage: '--model DIR --sae PATH [--hook NAME] (--text T | --ids 1,2,3) [--top N] [--json]',
  description: 'Runs the capture graph (the model up to the hook, with the SAE spliced in).',
  options: {
    ...engineOptions,
    ...promptOptions,
    top: { type: 'string', valueName: 'N', description: 'Latents per token, largest first (default 8).' },
  },
  json: true,
  async run({ values }) {
    const top = positiveInt('top', values.top, 8);
    return withEngine(values, async (engine) => {
      const tokens = await engine.encode(promptIds(engine, values), top);
      return encodeOutput(engine.hook, engine.activeProvider, tokens);
    });
  },
});
