import path from 'node:path';
import { mergeShards, type MergeResult } from '../../core/index/merge.ts';
import { CliError, defineCommand } from '../command.ts';
import { cliErrors } from './index-options.ts';

/** `merge`: shards indexed on several machines into the one index a single run would make. */
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
    if (!values.out) throw new CliError('--out INDEX is required', 2);
    let cancelled = false;
    const stop = (): void => {
      cancelled = true;
    };
    io.signal.addEventListener('abort', stop);
    let r: MergeResult;
    try {
      r = await cliErrors(() =>
        mergeShards(path.resolve(values.out!), positionals, {
          progress: (phase, done, total) => values.progress && io.stderr(`${phase} ${done} / ${total}\n`),
          shouldStop: () => cancelled,
        }),
      );
    } finally {
      io.signal.removeEventListener('abort', stop);
    }
    const data = {
      out: r.out,
      shards: r.shards,
      tokens: r.tokens,
      documents: r.documents,
      windows: r.windows,
      activations: r.activations,
      copy_seconds: r.copy_seconds,
      finalize_seconds: r.finalize_seconds,
      seconds: r.seconds,
      db_bytes: r.db_bytes,
      ...(r.complete ? {} : { complete: false }),
    };
    const text = [
      r.complete ? `merged ${r.shards} shards into ${r.out}` : `stopped; run the same command again to finish ${r.out}`,
      `${r.tokens} tokens · ${r.documents} documents · ${r.windows} windows · ${r.activations} activations`,
      `${r.seconds}s (copy ${r.copy_seconds}s, statistics ${r.finalize_seconds}s) · ${r.db_bytes} bytes`,
    ].join('\n');
    return { data, text };
  },
});
