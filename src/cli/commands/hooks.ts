import { CliError, defineCommand } from '../command.ts';
import { withCore } from '../core.ts';
import { hooksOutput } from '../output.ts';

/** `hooks`: every point of a model an SAE can be spliced at (`core.model.hooks`). */
export const hooksCommand = defineCommand({
  name: 'hooks',
  summary: "List the hook points of a model's ONNX graph (TransformerLens names)",
  usage: '--model DIR [--json]',
  description:
    'Locates the residual stream (hook_resid_pre / mid / post), hook_attn_out, hook_mlp_out and attn.hook_z of every block ' +
    'structurally, and prints each with the graph tensor it reads. Parallel-residual models (GPT-NeoX, Pythia, GPT-J) have ' +
    'no hook_resid_mid.',
  options: {
    model: { type: 'string', valueName: 'DIR', description: 'Model folder (HF layout) or .onnx file.' },
  },
  json: true,
  run({ values }) {
    const model = values.model;
    if (!model) throw new CliError('--model DIR is required', 2);
    return withCore(undefined, (core) => {
      try {
        return hooksOutput(core.model.hooks(model));
      } catch (e) {
        throw new CliError((e as Error).message);
      }
    });
  },
});
