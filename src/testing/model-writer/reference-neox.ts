import { causalAttention, geluErf, layerNorm, rope, type Vec } from './reference-math.ts';
import type { HookRecorder } from './reference-math.ts';
import type { RefWeights } from './reference-weights.ts';
import type { ResolvedSpec } from './spec.ts';

/**
 * GPT-NeoX (HF GPTNeoXForCausalLM, use_parallel_residual): x + attn(ln1 x) + mlp(ln2 x); the
 * fused qkv output holds per head [q k v]; rotary on the first rotaryDim dims of each head;
 * exact GELU; untied embed_out. Parallel blocks have no hook_resid_mid.
 */
export function neoxForward(w: RefWeights, s: ResolvedSpec, ids: readonly number[], rec: HookRecorder): Vec[] {
  const { d, heads, headDim: hd } = s;
  const emb = w.table('gpt_neox.embed_in.weight');
  let x: Vec[] = ids.map((id) => Float64Array.from(emb.subarray(id * d, (id + 1) * d)));
  const ln = (rows: readonly Vec[], p: string): Vec[] => rows.map((r) => layerNorm(r, w.get(`${p}.weight`), w.get(`${p}.bias`), s.eps));
  // head h's q, k or v (which = 0, 1, 2) out of the fused [heads, 3·hd] row
  const part = (r: Vec, which: number): Vec => {
    const out = new Float64Array(d);
    for (let h = 0; h < heads; h++) out.set(r.subarray(h * 3 * hd + which * hd, h * 3 * hd + (which + 1) * hd), h * hd);
    return out;
  };
  for (let L = 0; L < s.layers; L++) {
    const p = `gpt_neox.layers.${L}`;
    rec(`blocks.${L}.hook_resid_pre`, x);
    const qkv = w.linear(
      ln(x, `${p}.input_layernorm`),
      `${p}.attention.query_key_value.weight`,
      'linear',
      `${p}.attention.query_key_value.bias`,
    );
    const q = qkv.map((r, t) => rope(part(r, 0), t, heads, hd, s.rotaryDim, s.theta));
    const k = qkv.map((r, t) => rope(part(r, 1), t, heads, hd, s.rotaryDim, s.theta));
    const z = causalAttention(
      q,
      k,
      qkv.map((r) => part(r, 2)),
      heads,
      heads,
      hd,
      { scale: 1 / Math.sqrt(hd) },
    );
    rec(`blocks.${L}.attn.hook_z`, z);
    const attn = w.linear(z, `${p}.attention.dense.weight`, 'linear', `${p}.attention.dense.bias`);
    rec(`blocks.${L}.hook_attn_out`, attn);
    const h = w.linear(ln(x, `${p}.post_attention_layernorm`), `${p}.mlp.dense_h_to_4h.weight`, 'linear', `${p}.mlp.dense_h_to_4h.bias`);
    const mlp = w.linear(
      h.map((r) => r.map(geluErf)),
      `${p}.mlp.dense_4h_to_h.weight`,
      'linear',
      `${p}.mlp.dense_4h_to_h.bias`,
    );
    rec(`blocks.${L}.hook_mlp_out`, mlp);
    x = x.map((r, t) => Float64Array.from(r, (v, i) => v + attn[t]![i]! + mlp[t]![i]!));
    rec(`blocks.${L}.hook_resid_post`, x);
  }
  return w.unembed(ln(x, 'gpt_neox.final_layer_norm'));
}
