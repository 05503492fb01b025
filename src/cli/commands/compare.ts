import { CliError, defineCommand } from '../command.ts';
import { cliErrors, withCore } from '../core.ts';
import { compareOutput } from '../output.ts';
import { engineOptions, positiveInt, providerOption } from './engine-options.ts';

/** `compare`: Compare two SAE dictionaries by decoder cosine similarity (`core.health.compareFiles`). */
export const compareCommand = defineCommand({
  name: 'compare',
  summary: 'Compare two SAE dictionaries by decoder cosine similarity',
  usage: '--sae A --sae-b B [--top N] [--provider EP] [--json]',
  description: [
    "For each latent of A, the largest cosine similarity between its decoder row and any of B's, and which",
    "latent of B that is; the share of A's latents above 0.9 / 0.8 / 0.7 and a histogram of the similarities.",
    'Both SAEs must read the same hook. --json prints max_cosine[i] and argmax[i] for every latent i of A.',
  ].join('\n'),
  options: {
    sae: { type: 'string', valueName: 'A', description: 'SAE A (folder or file).' },
    'sae-b': { type: 'string', valueName: 'B', description: 'SAE B (folder or file).' },
    top: { type: 'string', valueName: 'N', description: 'Best-matched pairs to list in the text output (default 10).' },
    provider: engineOptions.provider,
  },
  json: true,
  async run({ values }) {
    const sae = values.sae;
    const saeB = values['sae-b'];
    if (!sae) throw new CliError('--sae A is required', 2);
    if (!saeB) throw new CliError('--sae-b B is required', 2);
    const top = positiveInt('top', values.top, 10);
    const forced = providerOption(values.provider);
    return withCore(undefined, async (core) => {
      // a file problem (SaeFileError) or no provider: exit 1 with its message; a mismatch (AppError) as cliErrors says
      const c = await cliErrors(() => core.health.compareFiles(sae, saeB, forced));
      return compareOutput(c, core.health.pairs(c, 0, top, 'desc').items);
    });
  },
});
