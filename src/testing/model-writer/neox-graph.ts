import { attr } from '../../core/model/onnx/builder.ts';
import type { Emitter } from './emitter.ts';
import { attention, causalMask, finishLogits, geluErf, layerNormDecomposed, logitsNode } from './graph-parts.ts';
import type { HookRef } from './hook-sites.ts';
import { applyRope, rotary } from './rope.ts';
import type { ResolvedSpec } from './spec.ts';
import { WeightOps } from './weight-ops.ts';
import type { ModelWeights } from './weights.ts';

/**
 * Emits HF GPTNeoXForCausalLM (Pythia) as torch.onnx exports it (`/gpt_neox/layers.L/...`):
 * parallel residual, fused qkv reshaped to [b, t, heads, 3·hd] and sliced per head into q, k, v,
 * partial rotary (the first rotaryDim dims of each head, the rest concatenated back), exact GELU,
 * bias Adds as `Add(bias, MatMul)`, untied `/embed_out/MatMul`. The two residual Adds follow
 * `parallelAdd` (HF: `/gpt_neox/layers.L/Add` = mlp + attn, `Add_1` = that + x).
 * Returns where each hook lives.
 */
export function emitNeox(e: Emitter, s: ResolvedSpec, w: ModelWeights): Map<string, HookRef> {
  const hooks = new Map<string, HookRef>();
  const ops = new WeightOps(e, s, w);
  const P = (name: string): string => ops.param(name);
  const root = '/gpt_neox';
  const hd = s.headDim;
  let folded = 0;
  const linear = (scope: string, x: string, hf: string): string =>
    e.one(scope, 'Add', [P(`${hf}.bias`), ops.linear(scope, x, `onnx::MatMul_${9000 + folded++}`, `${hf}.weight`)]);
  const ln = (scope: string, x: string, p: string): string =>
    s.norm === 'op'
      ? e.one(scope, 'LayerNormalization', [x, P(`${p}.weight`), P(`${p}.bias`)], { axis: attr.int(-1), epsilon: attr.float(s.eps) })
      : layerNormDecomposed(e, scope, x, P(`${p}.weight`), P(`${p}.bias`), s.eps);

  const mask = causalMask(e, '', s);
  const [cos, sin] = rotary(e, s, root);
  let x = ops.gather(`${root}/embed_in`, 'gpt_neox.embed_in.weight', 'input_ids');

  for (let L = 0; L < s.layers; L++) {
    const sc = `${root}/layers.${L}`;
    const p = `gpt_neox.layers.${L}`;
    const as = `${sc}/attention`;
    hooks.set(`blocks.${L}.hook_resid_pre`, x);
    // attention on ln1(x): qkv [b, t, 3d] → [b, t, heads, 3·hd], q/k/v sliced from each head's block
    const qkv = linear(`${as}/query_key_value`, ln(`${sc}/input_layernorm`, x, `${p}.input_layernorm`), `${p}.attention.query_key_value`);
    const r = e.one(as, 'Reshape', [qkv, e.constI(as, [0, 0, s.heads, 3 * hd])]);
    const part = (i: number): string => {
      const sl = e.one(as, 'Slice', [r, e.constI(as, [i * hd]), e.constI(as, [(i + 1) * hd]), e.constI(as, [3]), e.constI(as, [1])]);
      return e.one(as, 'Transpose', [sl], { perm: attr.ints([0, 2, 1, 3]) });
    };
    const [q, k, v] = [part(0), part(1), part(2)];
    const y = attention(
      e,
      as,
      L,
      s,
      applyRope(e, as, q, cos, sin, hd, s.rotaryDim),
      applyRope(e, as, k, cos, sin, hd, s.rotaryDim),
      v,
      mask,
    );
    const attn = linear(`${as}/dense`, y, `${p}.attention.dense`);
    hooks.set(`blocks.${L}.attn.hook_z`, { tensor: y, projection: ops.lastNode });
    hooks.set(`blocks.${L}.hook_attn_out`, attn);
    // MLP on ln2(x): the block's input, not x + attn
    const h = linear(
      `${sc}/mlp/dense_h_to_4h`,
      ln(`${sc}/post_attention_layernorm`, x, `${p}.post_attention_layernorm`),
      `${p}.mlp.dense_h_to_4h`,
    );
    const mlp = linear(`${sc}/mlp/dense_4h_to_h`, geluErf(e, `${sc}/mlp`, h), `${p}.mlp.dense_4h_to_h`);
    hooks.set(`blocks.${L}.hook_mlp_out`, mlp);
    const [a, b, c] = s.parallelAdd === 'mlp-attn-x' ? [mlp, attn, x] : s.parallelAdd === 'attn-mlp-x' ? [attn, mlp, x] : [x, attn, mlp];
    x = e.one(sc, 'Add', [e.one(sc, 'Add', [a, b]), c]);
    hooks.set(`blocks.${L}.hook_resid_post`, x);
  }

  const out = ln(`${root}/final_layer_norm`, x, 'gpt_neox.final_layer_norm');
  finishLogits(e, s, ops.linear('/embed_out', out, `onnx::MatMul_${9000 + folded++}`, 'embed_out.weight', logitsNode(s).outputs?.[0]));
  return hooks;
}
