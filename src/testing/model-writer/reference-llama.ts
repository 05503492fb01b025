import { add, causalAttention, geluTanh, rmsNorm, rope, silu, type Vec } from './reference-math.ts';
import type { HookRecorder } from './reference-math.ts';
import type { RefWeights } from './reference-weights.ts';
import type { ResolvedSpec } from './spec.ts';

/**
 * Llama, Gemma and Gemma-2 (HF modules): RMSNorm (Gemma: × (1 + w)), RoPE, grouped-query
 * attention, gated MLP (SwiGLU / GeGLU); Gemma scales embeddings by √d and ties the unembedding;
 * Gemma-2 adds sandwich norms (after attention and around the MLP), scores ×
 * query_pre_attn_scalar^-0.5 with soft-capping, and soft-capped final logits.
 */
export function llamaForward(w: RefWeights, s: ResolvedSpec, ids: readonly number[], rec: HookRecorder): Vec[] {
  const { d, headDim: hd, heads, kvHeads } = s;
  const gemma2 = s.family === 'gemma2';
  const plusOne = s.family !== 'llama';
  const emb = w.table('model.embed_tokens.weight');
  const scale = plusOne ? Math.sqrt(d) : 1;
  let x: Vec[] = ids.map((id) => Float64Array.from({ length: d }, (_, i) => emb[id * d + i]! * scale));
  const norm = (rows: readonly Vec[], name: string): Vec[] => rows.map((r) => rmsNorm(r, w.get(name), s.eps, plusOne));
  const rule = gemma2 ? { scale: Math.pow(s.queryPreAttnScalar, -0.5), softcap: s.attnSoftcap } : { scale: 1 / Math.sqrt(hd) };
  for (let L = 0; L < s.layers; L++) {
    const p = `model.layers.${L}`;
    const lin = (rows: readonly Vec[], name: string): Vec[] => w.linear(rows, `${p}.${name}.weight`, 'linear');
    rec(`blocks.${L}.hook_resid_pre`, x);
    const n1 = norm(x, `${p}.input_layernorm.weight`);
    const q = lin(n1, 'self_attn.q_proj').map((r, t) => rope(r, t, heads, hd, s.rotaryDim, s.theta));
    const k = lin(n1, 'self_attn.k_proj').map((r, t) => rope(r, t, kvHeads, hd, s.rotaryDim, s.theta));
    const v = lin(n1, 'self_attn.v_proj');
    const z = causalAttention(q, k, v, heads, kvHeads, hd, rule);
    rec(`blocks.${L}.attn.hook_z`, z);
    let attn = lin(z, 'self_attn.o_proj');
    if (gemma2) attn = norm(attn, `${p}.post_attention_layernorm.weight`);
    rec(`blocks.${L}.hook_attn_out`, attn);
    x = x.map((r, t) => add(r, attn[t]!));
    rec(`blocks.${L}.hook_resid_mid`, x);
    const n2 = norm(x, `${p}.${gemma2 ? 'pre_feedforward' : 'post_attention'}_layernorm.weight`);
    const g = lin(n2, 'mlp.gate_proj');
    const u = lin(n2, 'mlp.up_proj');
    const h = g.map((gr, t) => gr.map((gi, i) => (plusOne ? geluTanh(gi) : silu(gi)) * u[t]![i]!));
    let mlp = lin(h, 'mlp.down_proj');
    if (gemma2) mlp = norm(mlp, `${p}.post_feedforward_layernorm.weight`);
    rec(`blocks.${L}.hook_mlp_out`, mlp);
    x = x.map((r, t) => add(r, mlp[t]!));
    rec(`blocks.${L}.hook_resid_post`, x);
  }
  const logits = w.unembed(norm(x, 'model.norm.weight'));
  return gemma2 ? logits.map((r) => r.map((v) => Math.tanh(v / s.finalSoftcap) * s.finalSoftcap)) : logits;
}
