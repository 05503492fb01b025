import fs from 'node:fs';
import path from 'node:path';
import { toposort, valueInfo } from '../../core/model/onnx/builder.ts';
import { DataType, encodeModel, type GraphProto, type ValueInfoProto } from '../../core/model/onnx/proto.ts';
import type { onnx as OnnxNs } from 'onnx-proto';
import { Emitter, onnxFloat } from './emitter.ts';
import { moveToExternalData } from './external-data.ts';
import { emitGemma2 } from './gemma2-graph.ts';
import { emitGpt2 } from './gpt2-graph.ts';
import { hfConfig } from './hf-config.ts';
import { resolveHookSites, type HookSite } from './hook-sites.ts';
import { emitLlama } from './llama-graph.ts';
import { emitNeox } from './neox-graph.ts';
import { hookNames, resolveSpec, type ModelSpec, type ResolvedSpec } from './spec.ts';
import { writeByteTokenizer } from './tokenizer.ts';
import { makeWeights, type ModelWeights } from './weights.ts';

/** Above this many bytes of weights, `externalData: 'auto'` moves them out (protobuf stops at 2 GiB). */
export const AUTO_EXTERNAL_BYTES = 1.5e9;

/** An ONNX model built in memory, with its weights and hook ground truth. */
export interface BuiltModel {
  readonly spec: ResolvedSpec;
  readonly model: OnnxNs.IModelProto;
  readonly weights: ModelWeights;
  /** Every hook of `hookNames(spec)` → where it lives (see `HookSite`). */
  readonly hookSites: Record<string, HookSite>;
}

/** A model folder written by `writeModelFolder`. */
export interface WrittenModel {
  readonly spec: ResolvedSpec;
  /** Absolute path of model.onnx (or onnx/model.onnx). */
  readonly modelFile: string;
  /** The external-data file, when weights were moved out. */
  readonly externalDataFile?: string;
  readonly weights: ModelWeights;
  /**
   * Hook name (`hookNames(spec)`: residual hooks, `hook_attn_out`, `hook_mlp_out`, `attn.hook_z`)
   * → the graph tensor that holds it: a residual Add's output, the embedding output, output 3 of
   * a fused skip norm, a sub-block's output, the output projection's data input. A hook whose
   * tensor is unnamed (`trimFinalSkipSum`) is absent here; `hookSites` still gives its node
   * output. A hook whose value no tensor holds (a bias folded into a fused norm) maps to the
   * tensor before the bias; `hookSites[h].foldedBias` says so.
   */
  readonly hookTensors: Record<string, string>;
  readonly hookSites: Record<string, HookSite>;
}

/** The optimum-style graph inputs and outputs: ids, mask, positions (+ past → present). */
function graphIo(s: ResolvedSpec): { input: ValueInfoProto[]; output: ValueInfoProto[] } {
  const input = [
    valueInfo('input_ids', DataType.INT64, ['batch_size', 'sequence_length']),
    valueInfo('attention_mask', DataType.INT64, ['batch_size', 'total_sequence_length']),
    valueInfo('position_ids', DataType.INT64, ['batch_size', 'sequence_length']),
  ];
  const output = [valueInfo('logits', onnxFloat(s.logitsDtype), ['batch_size', 'sequence_length', s.vocab])];
  const kvType = onnxFloat(s.dtype);
  if (s.withPast) {
    for (let L = 0; L < s.layers; L++) {
      for (const kv of ['key', 'value']) {
        input.push(valueInfo(`past_key_values.${L}.${kv}`, kvType, ['batch_size', s.kvHeads, 'past_sequence_length', s.headDim]));
        output.push(valueInfo(`present.${L}.${kv}`, kvType, ['batch_size', s.kvHeads, 'total_sequence_length', s.headDim]));
      }
    }
  }
  return { input, output };
}

/** Builds the model for a spec in memory (weights inline). */
export function buildModel(spec: ModelSpec, weights?: ModelWeights): BuiltModel {
  const s = resolveSpec(spec);
  const w = weights ?? makeWeights(s);
  // fused Llama-family graphs imitate onnxruntime-genai, whose tensor names differ from torch's
  const e = new Emitter(s.family !== 'gpt2' && s.norm === 'fused' ? 'genai' : 'torch', s.dtype);
  const emit = { gpt2: emitGpt2, llama: emitLlama, gemma: emitLlama, gemma2: emitGemma2, neox: emitNeox }[s.family];
  const refs = emit(e, s, w);
  const missing = hookNames(s).filter((h) => !refs.has(h));
  if (missing.length) throw new Error(`writer bug: no ground truth for ${missing.join(', ')}`);
  const graph: GraphProto = { name: `${s.family}-${s.norm}`, node: e.b.nodes, initializer: e.b.initializers, ...graphIo(s) };
  toposort(graph);
  assertSingleAssignment(graph);
  const sites = resolveHookSites(graph.node ?? [], refs);
  const model: OnnxNs.IModelProto = {
    irVersion: 8,
    producerName: 'sae-explorer-writer',
    opsetImport: [{ domain: '', version: 17 }, ...[...e.domains].map((domain) => ({ domain, version: 1 }))],
    graph,
  };
  return { spec: s, model, weights: w, hookSites: Object.fromEntries(sites) };
}

/** Every tensor name must be produced once (ORT refuses duplicates with a vaguer message). */
function assertSingleAssignment(graph: GraphProto): void {
  const seen = new Set<string>((graph.initializer ?? []).map((t) => t.name ?? ''));
  for (const v of graph.input ?? []) seen.add(v.name ?? '');
  for (const n of graph.node ?? []) {
    for (const o of n.output ?? []) {
      if (!o) continue;
      if (seen.has(o)) throw new Error(`writer bug: tensor ${o} is defined twice`);
      seen.add(o);
    }
  }
}

/**
 * Writes a model folder: `model.onnx` (or `onnx/model.onnx`), optional `model.onnx_data`,
 * `config.json` (HF style) and a byte-level `tokenizer.json` + `tokenizer_config.json`.
 */
export function writeModelFolder(dir: string, spec: ModelSpec): WrittenModel {
  const built = buildModel(spec);
  const s = built.spec;
  const modelDir = s.onnxSubfolder ? path.join(dir, 'onnx') : dir;
  fs.mkdirSync(modelDir, { recursive: true });
  const modelFile = path.resolve(modelDir, 'model.onnx');
  const inits = built.model.graph?.initializer ?? [];
  const bytes = inits.reduce((a, t) => a + (t.rawData?.byteLength ?? 0), 0);
  const external = s.externalData === 'auto' ? bytes > AUTO_EXTERNAL_BYTES : s.externalData;
  let externalDataFile: string | undefined;
  if (external) {
    moveToExternalData(inits, modelDir, 'model.onnx_data');
    externalDataFile = path.resolve(modelDir, 'model.onnx_data');
  }
  fs.writeFileSync(modelFile, encodeModel(built.model));
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(hfConfig(s), null, 2) + '\n');
  writeByteTokenizer(dir, s.ctx);
  const hookTensors: Record<string, string> = {};
  for (const [h, site] of Object.entries(built.hookSites)) if (site.tensor) hookTensors[h] = site.tensor;
  return {
    spec: s,
    modelFile,
    ...(externalDataFile ? { externalDataFile } : {}),
    weights: built.weights,
    hookTensors,
    hookSites: built.hookSites,
  };
}
