import { openModelFolder } from './model-folder.ts';
import { locateHook, locateHooks, type HookKind } from './onnx/hooks.ts';
import { readModel } from './onnx/proto.ts';

/** One hook point of a model, as the app lists it. */
export interface ModelHook {
  readonly name: string;
  readonly kind: HookKind;
  readonly layer: number;
  /** The graph tensor the SAE would read. */
  readonly tensor: string;
}

/** Every hook point a model's graph offers, in stream order, and the ONNX file read. */
export interface ModelHooks {
  readonly onnxFile: string;
  readonly blocks: number;
  /** True when the blocks add attention and MLP in parallel (no hook_resid_mid). */
  readonly parallel: boolean;
  readonly hooks: readonly ModelHook[];
}

/**
 * Lists the hooks of a model folder or ONNX file. A graph with none throws the locator's
 * error, which says what was found and what is missing.
 */
export function listModelHooks(model: string): ModelHooks {
  const { onnxFile } = openModelFolder(model);
  const graph = readModel(onnxFile).model.graph!;
  const sites = locateHooks(graph);
  if (!sites.length) locateHook(graph, 'blocks.0.hook_resid_pre'); // throws, naming what is missing
  const blocks = new Set(sites.map((s) => s.layer)).size;
  return {
    onnxFile,
    blocks,
    parallel: blocks > 0 && !sites.some((s) => s.kind === 'hook_resid_mid'),
    hooks: sites.map((s) => ({ name: s.name, kind: s.kind, layer: s.layer, tensor: s.tensor })),
  };
}
