import { defineCommand } from '../command.ts';
import { cliErrors, withCore } from '../core.ts';
import { featureOutput } from '../output.ts';
import { countOption, queryOptions } from './index-options.ts';
import { queryIndex } from './workspace-index.ts';

/** `feature`: one feature's dashboard from an activation index (`core.index.feature`, as `feature.get`). */
export const featureCommand = defineCommand({
  name: 'feature',
  summary: "Show a feature's statistics, top examples and interval samples from an index",
  usage: '[--db FILE | --data DIR] --id F [--context 8] [--json]',
  description: [
    'count, density (count / tokens), max, mean, a 50-bin histogram of its nonzero values, the 20',
    'strongest examples and 10 equal-width intervals over (0, max] with a seeded uniform sample each.',
    'Each example: {window, position, value, start, tokens, values}; tokens[position - start] activates.',
    'Without --db: the index of the model, SAE and corpus the app has open in its data folder (--data).',
  ].join('\n'),
  options: queryOptions,
  json: true,
  async run({ values }) {
    const id = countOption('id', values.id);
    const context = countOption('context', values.context, 8);
    return withCore(values.data, async (core) => {
      const db = await queryIndex(core, values.db);
      return featureOutput(await cliErrors(() => core.index.feature(db, id, context)));
    });
  },
});
