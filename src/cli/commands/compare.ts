import path from 'node:path';
import { compareDecoders, pairsPage } from '../../core/health/compare.ts';
import { chooseProviders } from '../../core/model/providers.ts';
import { SaeFileError } from '../../core/sae/errors.ts';
import { releaseFactsForSaePath } from '../../core/hub/release-facts.ts';
import { loadSae } from '../../core/sae/load.ts';
import type { Sae } from '../../core/sae/types.ts';
import { formatShare } from '../../shared/format.ts';
import { CliError, defineCommand } from '../command.ts';
import { engineOptions, positiveInt, providerOption } from './engine-options.ts';
import { cliErrors } from './index-options.ts';

function load(p: string): Sae {
  try {
    return loadSae(path.resolve(p), { release: releaseFactsForSaePath(p) });
  } catch (e) {
    if (e instanceof SaeFileError) throw new CliError(e.message);
    throw e;
  }
}

/** `compare`: Compare two SAE dictionaries by decoder cosine similarity. */
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
    if (!values.sae) throw new CliError('--sae A is required', 2);
    if (!values['sae-b']) throw new CliError('--sae-b B is required', 2);
    const top = positiveInt('top', values.top, 10);
    const forced = providerOption(values.provider);
    const a = load(values.sae);
    const b = load(values['sae-b']);
    const providers = await chooseProviders(forced).catch((e: Error) => {
      throw new CliError(e.message);
    });
    const c = await cliErrors(() => compareDecoders(a, b, { providers }));
    const data = {
      a: c.a,
      b: c.b,
      shares: c.shares,
      mean_max_cosine: c.mean_max_cosine,
      median_max_cosine: c.median_max_cosine,
      histogram: c.histogram,
      max_cosine: Array.from(c.max),
      argmax: Array.from(c.argmax),
      seconds: c.seconds,
    };
    const best = pairsPage(c, 0, top, 'desc').items;
    const text = [
      `A ${c.a.sae} (${c.a.d_sae} latents) vs B ${c.b.sae} (${c.b.d_sae} latents)${c.a.hook ? ` at ${c.a.hook}` : ''}`,
      `best cosine > 0.9: ${formatShare(c.shares.above_0_9)} · > 0.8: ${formatShare(c.shares.above_0_8)} · > 0.7: ${formatShare(c.shares.above_0_7)} of A's latents`,
      `mean ${c.mean_max_cosine.toFixed(4)} · median ${c.median_max_cosine.toFixed(4)} · ${c.seconds}s`,
      'A latent → B latent  cosine',
      ...best.map((p) => `${String(p.a).padStart(8)} → ${String(p.b).padEnd(8)}  ${p.cosine.toFixed(4)}`),
    ].join('\n');
    return { data, text };
  },
});
