import type { Intervention, SteerMode } from '../../core/steer/spec.ts';
import { CliError, defineCommand } from '../command.ts';
import { engineOptions, openEngine, positiveInt, promptIds, promptOptions } from './engine-options.ts';

/** Parses `F=V` pairs of one mode. */
function interventions(mode: SteerMode, pairs: readonly string[] | undefined): Intervention[] {
  return (pairs ?? []).map((p) => {
    const m = /^(\d+)=(-?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?)$/i.exec(p.trim());
    if (!m) throw new CliError(`--${mode} takes FEATURE=VALUE (e.g. 123=8.5), got "${p}"`, 2);
    return { feature: Number(m[1]), mode, value: Number(m[2]) };
  });
}

function finite(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new CliError(`--${name} must be a number, got "${v}"`, 2);
  return n;
}

/** `steer`: default and steered continuations of a prompt. */
export const steerCommand = defineCommand({
  name: 'steer',
  summary: 'Generate with and without clamped / added / scaled latents',
  usage:
    '--model DIR --sae PATH [--hook NAME] (--text T | --ids ...) [--clamp F=V]... [--add F=S]... [--scale F=C]... ' +
    '--max-new-tokens N (--greedy | --temperature T --seed S [--top-k K] [--top-p P]) [--positions all|prompt|generated|A:B] [--json]',
  description: [
    'clamp sets latent F to V keeping the SAE error term (x + decode(a′) − decode(a)); add adds S·W_dec[F];',
    'scale multiplies latent F by C. Interventions apply at every position unless --positions says otherwise.',
    'logprobs[i] is the log-probability of the i-th generated id under the model that generated it.',
  ].join('\n'),
  options: {
    ...engineOptions,
    ...promptOptions,
    clamp: { type: 'string', multiple: true, valueName: 'F=V', description: 'Clamp latent F to V.' },
    add: { type: 'string', multiple: true, valueName: 'F=S', description: 'Add S × decoder direction of F.' },
    scale: { type: 'string', multiple: true, valueName: 'F=C', description: 'Multiply latent F by C.' },
    positions: { type: 'string', valueName: 'WHERE', description: 'all (default), prompt, generated, or a token range A:B.' },
    'max-new-tokens': { type: 'string', valueName: 'N', description: 'Tokens to generate (default 20).' },
    greedy: { type: 'boolean', description: 'Greedy decoding (the default).' },
    temperature: { type: 'string', valueName: 'T', description: 'Sample with this temperature.' },
    'top-k': { type: 'string', valueName: 'K', description: 'Sample among the K most likely tokens.' },
    'top-p': { type: 'string', valueName: 'P', description: 'Nucleus sampling mass.' },
    seed: { type: 'string', valueName: 'S', description: 'Sampling seed (default 0): the same seed gives the same output.' },
  },
  json: true,
  async run({ values, io }) {
    const maxNewTokens = positiveInt('max-new-tokens', values['max-new-tokens'], 20);
    const temperature = finite('temperature', values.temperature);
    if (values.greedy && temperature !== undefined) throw new CliError('--greedy and --temperature exclude each other', 2);
    const where = values.positions ?? 'all';
    const range = /^(\d+):(\d+)$/.exec(where);
    if (!range && !['all', 'prompt', 'generated'].includes(where)) {
      throw new CliError(`--positions must be all, prompt, generated or A:B, got "${where}"`, 2);
    }
    const positions = range ? { from: Number(range[1]), to: Number(range[2]) } : (where as 'all' | 'prompt' | 'generated');
    const ivs = [...interventions('clamp', values.clamp), ...interventions('add', values.add), ...interventions('scale', values.scale)].map(
      (iv) => ({ ...iv, positions }),
    );
    const topK = finite('top-k', values['top-k']);
    const topP = finite('top-p', values['top-p']);
    const seed = finite('seed', values.seed);
    const sampling = {
      ...(temperature !== undefined ? { temperature } : {}),
      ...(topK !== undefined ? { topK } : {}),
      ...(topP !== undefined ? { topP } : {}),
      ...(seed !== undefined ? { seed } : {}),
    };
    const engine = await openEngine(values);
    try {
      const ids = promptIds(engine, values);
      const { baseline, steered } = await engine.compare(ids, { maxNewTokens, sampling, interventions: ivs, signal: io.signal }).catch((e: Error) => {
        throw e instanceof RangeError ? new CliError(e.message, 2) : e;
      });
      const view = (c: typeof baseline): { ids: number[]; logprobs: number[]; text: string } => ({ ids: c.ids, logprobs: c.logprobs, text: c.text });
      return {
        data: { baseline: view(baseline), steered: view(steered) },
        text: `prompt   ${JSON.stringify(engine.tokenizer.decode(ids))}\ndefault  ${JSON.stringify(baseline.text)}\nsteered  ${JSON.stringify(steered.text)}`,
      };
    } finally {
      await engine.close();
    }
  },
});
