import { defineCommand } from '../command.ts';
import { cliErrors, withCore } from '../core.ts';
import { sampleOutput } from '../output.ts';
import { countOption, numberOption, queryOptions } from './index-options.ts';
import { queryIndex } from './workspace-index.ts';

/** `sample`: uniformly random examples of a feature within an activation range (`core.index.sample`, as `feature.sample`). */
export const sampleCommand = defineCommand({
  name: 'sample',
  summary: 'Draw random examples of a feature whose activation lies in [lo, hi)',
  usage: '[--db FILE | --data DIR] --id F --lo A --hi B [--n 10] [--seed S] [--context 8] [--json]',
  description: [
    'The same seed gives the same examples. Output: {matching, examples: [...]}, strongest first.',
    'Without --db: the index of the model, SAE and corpus the app has open in its data folder (--data).',
  ].join('\n'),
  options: {
    ...queryOptions,
    lo: { type: 'string', valueName: 'A', description: 'Lowest activation (inclusive).' },
    hi: { type: 'string', valueName: 'B', description: 'Highest activation (exclusive).' },
    n: { type: 'string', valueName: 'N', description: 'Examples to draw (default 10).' },
    seed: { type: 'string', valueName: 'S', description: 'Random seed (default 0).' },
  },
  json: true,
  async run({ values }) {
    const id = countOption('id', values.id);
    const lo = numberOption('lo', values.lo);
    const hi = numberOption('hi', values.hi);
    const n = countOption('n', values.n, 10);
    const seed = countOption('seed', values.seed, 0);
    const context = countOption('context', values.context, 8);
    return withCore(values.data, async (core) => {
      const db = await queryIndex(core, values.db);
      const s = await cliErrors(() => core.index.sample({ db, id, lo, hi, n, seed, context }));
      return sampleOutput(s, { id, lo, hi });
    });
  },
});
