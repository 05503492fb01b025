import { add, causalAttention, geluTanh, layerNorm, rowsToTensor, type HookRecorder, type Vec } from './reference-math.ts';
import { llamaForward } from './reference-llama.ts';
import { neoxForward } from './reference-neox.ts';
import { RefWeights } from './reference-weights.ts';
import { resolveSpec, type ModelSpec, type ResolvedSpec } from './spec.ts';
import type { ModelWeights } from './weights.ts';

/** What `referenceForward` computes for one sequence. */
export interface ReferenceResult {
  /**
   * Every hook of `hookNames(spec)` → its value, row-major: residual hooks, `hook_attn_out` and
   * `hook_mlp_out` [T, d]; `attn.hook_z` [T, heads·headDim], head-major (SAELens's flattening).
   */
  readonly hooks: Map<string, Float32Array>;
  /** [T, vocab] row-major. */
  readonly logits: Float32Array;
}

export type { HookRecorder } from './reference-math.ts';

/**
 * The model's forward pass in plain loops (float64), independent of any ONNX graph: one
 * sequence, positions 0..T-1, no padding. It follows the HF PyTorch modules (refgen.py for
 * GPT-2) and is the yardstick the written graphs are checked against; quantized and float16
 * models are computed with the weights they store (and, for `int8`, activations quantized the
 * way onnxruntime's DynamicQuantizeLinear does).
 */
export function referenceForward(weights: ModelWeights, spec: ModelSpec | ResolvedSpec, ids: readonly number[]): ReferenceResult {
  const s = 'rotaryDim' in spec ? spec : resolveSpec(spec);
  for (const id of ids) if (!Number.isInteger(id) || id < 0 || id >= s.vocab) throw new Error(`token id ${id} outside the vocabulary`);
  const hooks = new Map<string, Float32Array>();
  const rec: HookRecorder = (name, rows) => hooks.set(name, rowsToTensor(rows));
  const w = new RefWeights(weights, s);
  const forward = s.family === 'gpt2' ? gpt2Forward : s.family === 'neox' ? neoxForward : llamaForward;
  const logits = forward(w, s, ids, rec);
  return { hooks, logits: rowsToTensor(logits) };
}

function gpt2Forward(w: RefWeights, s: ResolvedSpec, ids: readonly number[], rec: HookRecorder): Vec[] {
  const { d } = s;
  const wte = w.table('transformer.wte.weight');
  const wpe = w.table('transformer.wpe.weight');
  let x: Vec[] = ids.map((id, t) => Float64Array.from({ length: d }, (_, i) => wte[id * d + i]! + wpe[t * d + i]!));
  const ln = (rows: readonly Vec[], p: string): Vec[] => rows.map((r) => layerNorm(r, w.get(`${p}.weight`), w.get(`${p}.bias`), s.eps));
  for (let L = 0; L < s.layers; L++) {
    const p = `transformer.h.${L}`;
    rec(`blocks.${L}.hook_resid_pre`, x);
    const qkv = w.linear(ln(x, `${p}.ln_1`), `${p}.attn.c_attn.weight`, 'conv1d', `${p}.attn.c_attn.bias`);
    const z = causalAttention(
      qkv.map((r) => r.subarray(0, d)),
      qkv.map((r) => r.subarray(d, 2 * d)),
      qkv.map((r) => r.subarray(2 * d)),
      s.heads,
      s.heads,
      s.headDim,
      { scale: 1 / Math.sqrt(s.headDim) },
    );
    rec(`blocks.${L}.attn.hook_z`, z);
    const attn = w.linear(z, `${p}.attn.c_proj.weight`, 'conv1d', `${p}.attn.c_proj.bias`);
    rec(`blocks.${L}.hook_attn_out`, attn);
    x = x.map((r, t) => add(r, attn[t]!));
    rec(`blocks.${L}.hook_resid_mid`, x);
    const h = w.linear(ln(x, `${p}.ln_2`), `${p}.mlp.c_fc.weight`, 'conv1d', `${p}.mlp.c_fc.bias`);
    const mlp = w.linear(
      h.map((r) => r.map(geluTanh)),
      `${p}.mlp.c_proj.weight`,
      'conv1d',
      `${p}.mlp.c_proj.bias`,
    );
    rec(`blocks.${L}.hook_mlp_out`, mlp);
    x = x.map((r, t) => add(r, mlp[t]!));
    rec(`blocks.${L}.hook_resid_post`, x);
  }
  return w.unembed(ln(x, 'transformer.ln_f'));
}
