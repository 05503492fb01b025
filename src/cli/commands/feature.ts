import { IndexReader } from '../../core/index/reader.ts';
import { defineCommand } from '../command.ts';
import { cliErrors, countOption, formatExample, queryOptions } from './index-options.ts';
import { queryIndex } from './workspace-index.ts';

/** `feature`: one feature's dashboard from an activation index. */
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
    const db = await queryIndex(values.db, values.data);
    return cliErrors(() => {
      const reader = new IndexReader(db);
      try {
        const f = reader.feature(id, context);
        const text = [
          `feature ${f.id}: count ${f.count} · density ${f.density.toExponential(3)} · max ${f.max.toFixed(4)} · mean ${f.mean.toFixed(4)}`,
          '',
          'top examples',
          ...f.top.map(formatExample),
          ...f.intervals.flatMap((iv) => [
            '',
            `(${iv.lo.toFixed(3)}, ${iv.hi.toFixed(3)}]  count ${iv.count}  share ${(iv.share * 100).toFixed(1)}%`,
            ...iv.examples.map(formatExample),
          ]),
        ].join('\n');
        return { data: f, text };
      } finally {
        reader.close();
      }
    });
  },
});
