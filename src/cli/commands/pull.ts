import { CliError, defineCommand } from '../command.ts';

/** `pull`: Download an SAE or ONNX model from the HuggingFace Hub into the HF cache. */
export const pullCommand = defineCommand({
  name: 'pull',
  summary: 'Download an SAE or ONNX model from the HuggingFace Hub into the HF cache',
  options: {},
  json: true,
  async run() {
    throw new CliError('pull is not implemented yet');
  },
});
