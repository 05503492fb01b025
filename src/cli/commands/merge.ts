import { CliError, defineCommand } from '../command.ts';
import { cliErrors, withCore } from '../core.ts';
import { mergeOutput } from '../output.ts';

/** `merge`: shards indexed on several machines into the one index a single run would make (`core.index.merge`). */
export const mergeCommand = defineCommand({
  name: 'merge',
  summary: 'Merge index shards (index --shard I/N) into one index, exactly as one run would build it',
  usage: '--out INDEX SHARD... [--progress] [--json]',
  description: [
    'Every shard of one split must be given once and be finished; shards of another model, SAE, hook,',
    'corpus, context, seed or other setting are refused naming the difference. Documents and windows',
    'are put back in corpus order, then statistics, histograms, top examples, interval samples and',
    'density figures are computed over all activations: `feature --json` answers as for a single run.',
    'A killed merge is run again with the same command.',
  ].join('\n'),
  positionals: { min: 1, max: 100_000 },
  options: {
    out: { type: 'string', valueName: 'INDEX', description: 'The merged index database to write.' },
    progress: { type: 'boolean', description: 'Print progress to stderr.' },
  },
  json: true,
  async run({ values, positionals, io }) {
    const out = values.out;
    if (!out) throw new CliError('--out INDEX is required', 2);
    let cancelled = false;
    const stop = (): void => {
      cancelled = true;
    };
    io.signal.addEventListener('abort', stop);
    try {
      const r = await withCore(undefined, (core) =>
        cliErrors(() =>
          core.index.merge(out, positionals, {
            progress: (phase, done, total) => values.progress && io.stderr(`${phase} ${done} / ${total}\n`),
            shouldStop: () => cancelled,
          }),
        ),
      );
      return mergeOutput(r);
    } finally {
      io.signal.removeEventListener('abort', stop);
    }
  },
});
