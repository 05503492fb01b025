import { listModelHooks } from '../../core/model/hook-list.ts';
import { CliError, defineCommand } from '../command.ts';

/** `hooks`: every point of a model an SAE can be spliced at. */
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
    if (!values.model) throw new CliError('--model DIR is required', 2);
    let r;
    try {
      r = listModelHooks(values.model);
    } catch (e) {
      throw new CliError((e as Error).message);
    }
    const text = [
      `${r.onnxFile}: ${r.blocks} blocks${r.parallel ? ' (parallel attention + MLP: no hook_resid_mid)' : ''}`,
      ...r.hooks.map((h) => `  ${h.name.padEnd(28)} ${h.tensor}`),
    ].join('\n');
    return Promise.resolve({ data: r, text });
  },
});
