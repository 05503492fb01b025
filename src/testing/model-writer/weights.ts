import { floatToHalf, halfToFloat } from '../../core/util/halffloat.ts';
import { Rng } from './prng.ts';
import type { ResolvedSpec } from './spec.ts';

/** One weight tensor: row-major float32 data and its dims. */
export interface WeightTensor {
  readonly data: Float32Array;
  readonly dims: readonly number[];
}

/**
 * Weights keyed by their HuggingFace state-dict names, in HF layouts: GPT-2 `Conv1D` weights
 * are [in, out] (y = x W + b), Llama/Gemma/GPT-NeoX `Linear` weights [out, in] (y = x Wᵀ).
 * Gemma norm weights are stored as HF does: the graph multiplies by (1 + w). float16 models
 * hold float16-representable values (the weights are float16).
 */
export type ModelWeights = Map<string, WeightTensor>;

/** Reads a weight, failing loudly on a missing name. */
export function weight(w: ModelWeights, name: string): WeightTensor {
  const t = w.get(name);
  if (!t) throw new Error(`missing weight ${name}`);
  return t;
}

/**
 * Seeded random weights with refgen.py's scales (its d = 64 models use 0.25 = 2/√64 for GPT-2
 * projections; here 2/√d so larger models keep activations O(1)); norms near 1.
 */
export function makeWeights(spec: ResolvedSpec): ModelWeights {
  const w = spec.family === 'gpt2' ? gpt2Weights(spec) : spec.family === 'neox' ? neoxWeights(spec) : llamaWeights(spec);
  if (spec.dtype === 'float16') for (const t of w.values()) t.data.set(t.data.map((v) => halfToFloat(floatToHalf(v))));
  return w;
}

/** An empty weight map and a `put` that fills it with seeded normals (the families draw in a fixed order). */
function weightPutter(seed: number): { w: ModelWeights; put: (name: string, dims: number[], scale: number, mean?: number) => void } {
  const rng = new Rng(seed);
  const w: ModelWeights = new Map();
  const put = (name: string, dims: number[], scale: number, mean = 0): void => {
    w.set(name, {
      data: rng.normals(
        dims.reduce((a, b) => a * b, 1),
        scale,
        mean,
      ),
      dims,
    });
  };
  return { w, put };
}

function gpt2Weights(s: ResolvedSpec): ModelWeights {
  const { w, put } = weightPutter(s.seed);
  const { d, ffn } = s;
  const proj = 2 / Math.sqrt(d);
  put('transformer.wte.weight', [s.vocab, d], 0.5);
  put('transformer.wpe.weight', [s.ctx, d], 0.1);
  for (let L = 0; L < s.layers; L++) {
    const p = `transformer.h.${L}`;
    put(`${p}.ln_1.weight`, [d], 0.1, 1);
    put(`${p}.ln_1.bias`, [d], 0.05);
    put(`${p}.attn.c_attn.weight`, [d, 3 * d], proj);
    put(`${p}.attn.c_attn.bias`, [3 * d], 0.02);
    put(`${p}.attn.c_proj.weight`, [d, d], proj);
    put(`${p}.attn.c_proj.bias`, [d], 0.02);
    put(`${p}.ln_2.weight`, [d], 0.1, 1);
    put(`${p}.ln_2.bias`, [d], 0.05);
    put(`${p}.mlp.c_fc.weight`, [d, ffn], proj);
    put(`${p}.mlp.c_fc.bias`, [ffn], 0.02);
    put(`${p}.mlp.c_proj.weight`, [ffn, d], proj);
    put(`${p}.mlp.c_proj.bias`, [d], 0.02);
  }
  put('transformer.ln_f.weight', [d], 0.1, 1);
  put('transformer.ln_f.bias', [d], 0.05);
  return w;
}

function llamaWeights(s: ResolvedSpec): ModelWeights {
  const { w, put } = weightPutter(s.seed);
  const { d, ffn, headDim: hd } = s;
  const gemma2 = s.family === 'gemma2';
  // Gemma stores w with the norm computing x̂ (1 + w): keep (1 + w) near 1 either way
  const normMean = s.family === 'gemma' || gemma2 ? 0 : 1;
  const lin = (out: number, inp: number): [number[], number] => [[out, inp], 1 / Math.sqrt(inp)];
  put('model.embed_tokens.weight', [s.vocab, d], 0.5);
  for (let L = 0; L < s.layers; L++) {
    const p = `model.layers.${L}`;
    put(`${p}.input_layernorm.weight`, [d], 0.1, normMean);
    put(`${p}.self_attn.q_proj.weight`, ...lin(s.heads * hd, d));
    put(`${p}.self_attn.k_proj.weight`, ...lin(s.kvHeads * hd, d));
    put(`${p}.self_attn.v_proj.weight`, ...lin(s.kvHeads * hd, d));
    put(`${p}.self_attn.o_proj.weight`, ...lin(d, s.heads * hd));
    put(`${p}.post_attention_layernorm.weight`, [d], 0.1, normMean);
    if (gemma2) {
      put(`${p}.pre_feedforward_layernorm.weight`, [d], 0.1, normMean);
      put(`${p}.post_feedforward_layernorm.weight`, [d], 0.1, normMean);
    }
    put(`${p}.mlp.gate_proj.weight`, ...lin(ffn, d));
    put(`${p}.mlp.up_proj.weight`, ...lin(ffn, d));
    put(`${p}.mlp.down_proj.weight`, ...lin(d, ffn));
  }
  put('model.norm.weight', [d], 0.1, normMean);
  // Gemma ties the unembedding to embed_tokens
  // twice the default scale: logits with some spread, not a near-uniform distribution
  if (s.family === 'llama') put('lm_head.weight', [s.vocab, d], 2 / Math.sqrt(d));
  return w;
}

/** GPT-NeoX (Pythia) weights: LayerNorms with bias, fused qkv [3d, d] in per-head [q k v] order, untied embed_out. */
function neoxWeights(s: ResolvedSpec): ModelWeights {
  const { w, put } = weightPutter(s.seed);
  const { d, ffn } = s;
  put('gpt_neox.embed_in.weight', [s.vocab, d], 0.5);
  for (let L = 0; L < s.layers; L++) {
    const p = `gpt_neox.layers.${L}`;
    put(`${p}.input_layernorm.weight`, [d], 0.1, 1);
    put(`${p}.input_layernorm.bias`, [d], 0.05);
    put(`${p}.post_attention_layernorm.weight`, [d], 0.1, 1);
    put(`${p}.post_attention_layernorm.bias`, [d], 0.05);
    put(`${p}.attention.query_key_value.weight`, [3 * d, d], 1 / Math.sqrt(d));
    put(`${p}.attention.query_key_value.bias`, [3 * d], 0.02);
    put(`${p}.attention.dense.weight`, [d, d], 1 / Math.sqrt(d));
    put(`${p}.attention.dense.bias`, [d], 0.02);
    put(`${p}.mlp.dense_h_to_4h.weight`, [ffn, d], 1 / Math.sqrt(d));
    put(`${p}.mlp.dense_h_to_4h.bias`, [ffn], 0.02);
    put(`${p}.mlp.dense_4h_to_h.weight`, [d, ffn], 1 / Math.sqrt(ffn));
    put(`${p}.mlp.dense_4h_to_h.bias`, [d], 0.02);
  }
  put('gpt_neox.final_layer_norm.weight', [d], 0.1, 1);
  put('gpt_neox.final_layer_norm.bias', [d], 0.05);
  put('embed_out.weight', [s.vocab, d], 2 / Math.sqrt(d));
  return w;
}
