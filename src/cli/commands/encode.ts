import { defineCommand } from '../command.ts';
import { engineOptions, openEngine, positiveInt, promptIds, promptOptions } from './engine-options.ts';

/** `encode`: the strongest SAE latents at every token of a prompt. */
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
    const engine = await openEngine(values);
    try {
      const ids = promptIds(engine, values);
      const tokens = await engine.encode(ids, top);
      const text = [
        `hook ${engine.hook} · ${engine.activeProvider}`,
        ...tokens.map(
          (t, i) => `${String(i).padStart(4)} ${JSON.stringify(t.text).padEnd(10)} ${t.latents.map(([f, v]) => `${f}:${v.toFixed(2)}`).join(' ')}`,
        ),
      ].join('\n');
      return { data: { hook: engine.hook, tokens }, text };
    } finally {
      await engine.close();
    }
  },
});
