import fs from 'node:fs';
import path from 'node:path';
import ort from 'onnxruntime-node';
import { encodeModel, readModel, type ModelProto } from '../../core/model/onnx/proto.ts';
import { halfToFloat } from '../../core/util/halffloat.ts';
import type { HookSite } from './hook-sites.ts';
import type { ResolvedSpec } from './spec.ts';

/** Test support: runs written models in onnxruntime-node (CPU) with optimum-style feeds. */

/** A CPU session; the graph optimizer is off unless asked, so the graph runs as written. */
export function cpuSession(file: string, optimize = false): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(file, {
    executionProviders: ['cpu'],
    graphOptimizationLevel: optimize ? 'all' : 'disabled',
    intraOpNumThreads: 1,
  });
}

/** One run's inputs: token rows (equal lengths), and optionally mask, positions and past. */
export interface RunInput {
  readonly ids: readonly (readonly number[])[];
  /** [batch, past + seq]; default all ones. */
  readonly attentionMask?: readonly (readonly number[])[];
  /** [batch, seq]; default past..past+seq-1. */
  readonly positions?: readonly (readonly number[])[];
  /** present.* of an earlier run, fed as past_key_values.*; default empty past. */
  readonly past?: Readonly<Record<string, ort.Tensor>>;
}

/** A run's logits [batch, seq, vocab], its present.* tensors and any other outputs. */
export interface RunOutput {
  readonly logits: Float32Array;
  readonly present: Record<string, ort.Tensor>;
  readonly outputs: Record<string, ort.Tensor>;
}

const i64 = (rows: readonly (readonly number[])[]): ort.Tensor =>
  new ort.Tensor(
    'int64',
    BigInt64Array.from(rows.flat(), (v) => BigInt(v)),
    [rows.length, rows[0]?.length ?? 0],
  );

/** Runs the model once with optimum-style inputs. */
export async function runModel(sess: ort.InferenceSession, s: ResolvedSpec, inp: RunInput): Promise<RunOutput> {
  const b = inp.ids.length;
  const t = inp.ids[0]?.length ?? 0;
  const pastLen = inp.past ? (inp.past['present.0.key']?.dims[2] ?? 0) : 0;
  const feeds: Record<string, ort.Tensor> = {
    input_ids: i64(inp.ids),
    attention_mask: i64(inp.attentionMask ?? inp.ids.map(() => new Array<number>(pastLen + t).fill(1))),
    position_ids: i64(inp.positions ?? inp.ids.map(() => Array.from({ length: t }, (_, i) => pastLen + i))),
  };
  if (s.withPast) {
    for (let L = 0; L < s.layers; L++) {
      for (const kv of ['key', 'value']) {
        feeds[`past_key_values.${L}.${kv}`] =
          inp.past?.[`present.${L}.${kv}`] ??
          (s.dtype === 'float16'
            ? new ort.Tensor('float16', new Uint16Array(0), [b, s.kvHeads, 0, s.headDim])
            : new ort.Tensor('float32', new Float32Array(0), [b, s.kvHeads, 0, s.headDim]));
      }
    }
  }
  const out = await sess.run(feeds);
  const present: Record<string, ort.Tensor> = {};
  for (const [k, v] of Object.entries(out)) if (k.startsWith('present.')) present[k] = v;
  return { logits: floats(out['logits']!), present, outputs: out };
}

/** A float32 or float16 tensor's values as float32. */
export function floats(t: ort.Tensor): Float32Array {
  if (t.type === 'float32') return t.data as Float32Array;
  if (t.type === 'float16') return Float32Array.from(t.data as Uint16Array, (h) => halfToFloat(h));
  throw new Error(`expected a float tensor, got ${t.type}`);
}

/** Largest |a[i] - b[i]| (lengths must match). */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length mismatch: ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

/**
 * Writes a copy of a model beside it (so external data still resolves) that also outputs every
 * hook's tensor; unnamed fused outputs get the name `<hook>` first. Returns the copy's path
 * and hook → output name.
 */
export function withHookOutputs(
  modelFile: string,
  sites: Readonly<Record<string, HookSite>>,
): { file: string; outputs: Map<string, string> } {
  const { model } = readModel(modelFile);
  const graph = model.graph!;
  const outputs = new Map<string, string>();
  for (const [hook, site] of Object.entries(sites)) {
    let tensor = site.tensor;
    if (!tensor) {
      const node = (graph.node ?? []).find((n) => n.name === site.node);
      if (!node) throw new Error(`no node ${site.node}`);
      const outs = [...(node.output ?? [])];
      while (outs.length <= site.output) outs.push('');
      outs[site.output] = tensor = hook;
      node.output = outs;
    }
    outputs.set(hook, tensor);
  }
  return { file: writeWithOutputs(model, path.join(path.dirname(modelFile), 'model.hooks.onnx'), [...outputs.values()]), outputs };
}

/**
 * Writes `model` to `file` with `tensors` added as graph outputs (untyped: onnxruntime infers
 * their type and shape). Returns `file`.
 */
export function writeWithOutputs(model: ModelProto, file: string, tensors: readonly string[]): string {
  const graph = model.graph!;
  for (const t of new Set(tensors))
    if (!(graph.output ?? []).some((o) => o.name === t)) graph.output = [...(graph.output ?? []), { name: t }];
  fs.writeFileSync(file, encodeModel(model));
  return file;
}
