import { CliError, defineCommand } from '../command.ts';

/** `compare`: Compare two SAE dictionaries by decoder cosine similarity. */
export const compareCommand = defineCommand({
  name: 'compare',
  summary: 'Compare two SAE dictionaries by decoder cosine similarity',
  options: {},
  json: true,
  async run() {
    throw new CliError('compare is not implemented yet');
  },
});
