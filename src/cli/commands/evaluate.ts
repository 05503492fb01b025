import { CliError, defineCommand } from '../command.ts';

/** `evaluate`: Compute SAE health metrics (L0, variance explained, CE loss recovered, ...) on a corpus. */
export const evaluateCommand = defineCommand({
  name: 'evaluate',
  summary: 'Compute SAE health metrics (L0, variance explained, CE loss recovered, ...) on a corpus',
  options: {},
  json: true,
  async run() {
    throw new CliError('evaluate is not implemented yet');
  },
});
