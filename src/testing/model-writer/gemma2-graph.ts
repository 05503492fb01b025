import { attr } from '../../core/model/onnx/builder.ts';
import type { Emitter } from './emitter.ts';
import { attention, causalMask, finishLogits, geluTanh, logitsNode, splitHeads } from './graph-parts.ts';
import type { HookRef } from './hook-sites.ts';
import { llamaEmbedding } from './llama-embedding.ts';
import { applyRope, rotary } from './rope.ts';
import type { ResolvedSpec } from './spec.ts';
import { WeightOps } from './weight-ops.ts';
import { weight, type ModelWeights } from './weights.ts';

/** A Gemma-2 RMSNorm's output and the float32 Cast of its input that it starts with. */
interface Norm {
  readonly y: string;
  readonly cast: string;
}

/**
 * Emits HF Gemma2ForCausalLM as torch.onnx exports it (`/model/layers.L/...`): embeddings × √d
 * (`/model/Mul_1`); every RMSNorm `Cast`s its input to float32 first (emitted even on float32
 * models, where the residual Adds then read that Cast's output) and multiplies by a folded
 * float32 (1 + w), float16 models casting back; sandwich norms (post_attention_layernorm on
 * o_proj before the residual Add, pre_/post_feedforward_layernorm around the MLP); attention
 * scores × query_pre_attn_scalar^-0.5, soft-capped tanh(s / c) · c; final logits soft-capped.
 * Returns where each hook lives.
 */
export function emitGemma2(e: Emitter, s: ResolvedSpec, w: ModelWeights): Map<string, HookRef> {
  const hooks = new Map<string, HookRef>();
  const ops = new WeightOps(e, s, w);
  const f32 = s.dtype === 'float32';
  let folded = 0;
  const foldedName = (): string => `onnx::MatMul_${9000 + folded++}`;
  const linear = (scope: string, x: string, hfName: string): string => ops.linear(scope, x, foldedName(), hfName);
  let normCount = 0;
  const rms = (scope: string, x: string, wName: string): Norm => {
    const t = weight(w, wName);
    const g = e.init(
      `onnx::Mul_${9500 + normCount++}`,
      t.data.map((v) => 1 + v),
      t.dims,
      'float32',
    );
    const cast = e.cast(scope, x, 'float32');
    const sq = e.one(scope, 'Pow', [cast, e.constF(scope, 2, [], 'float32')]);
    const v = e.one(scope, 'ReduceMean', [sq], { axes: attr.ints([-1]), keepdims: attr.int(1) });
    const sd = e.one(scope, 'Sqrt', [e.one(scope, 'Add', [v, e.constF(scope, s.eps, [], 'float32')])]);
    const inv = e.one(scope, 'Div', [e.constF(scope, 1, [], 'float32'), sd]);
    const y = e.one(scope, 'Mul', [e.one(scope, 'Mul', [cast, inv]), g]);
    return { y: f32 ? y : e.cast(scope, y, s.dtype), cast };
  };
  // a residual tensor: on float32 the next norm's Cast holds the same value, and the Add reads that
  const stream = (t: string, next: Norm): HookRef => (f32 ? { tensor: t, aliases: [next.cast] } : t);
  const residual = (t: string, next: Norm): string => (f32 ? next.cast : t);

  const mask = causalMask(e, '', s);
  const [cos, sin] = rotary(e, s, '/model');
  const emb = llamaEmbedding(e, ops, s, w, foldedName);
  let x = e.one('/model', 'Mul', [emb.embeds, e.constF('/model', Math.sqrt(s.d))]);
  let n1 = rms('/model/layers.0/input_layernorm', x, 'model.layers.0.input_layernorm.weight');
  hooks.set('blocks.0.hook_resid_pre', stream(x, n1));
  const scale = { op: 'Mul' as const, value: Math.pow(s.queryPreAttnScalar, -0.5) };

  for (let L = 0; L < s.layers; L++) {
    const sc = `/model/layers.${L}`;
    const p = `model.layers.${L}`;
    const as = `${sc}/self_attn`;
    const proj = (which: string, heads: number): string =>
      splitHeads(e, as, linear(`${as}/${which}_proj`, n1.y, `${p}.self_attn.${which}_proj.weight`), heads, s.headDim);
    const q = applyRope(e, as, proj('q', s.heads), cos, sin, s.headDim);
    const k = applyRope(e, as, proj('k', s.kvHeads), cos, sin, s.headDim);
    const v = proj('v', s.kvHeads);
    const y = attention(e, as, L, s, q, k, v, mask, { scale, softcap: s.attnSoftcap });
    const o = linear(`${as}/o_proj`, y, `${p}.self_attn.o_proj.weight`);
    hooks.set(`blocks.${L}.attn.hook_z`, { tensor: y, projection: ops.lastNode });
    const attnOut = rms(`${sc}/post_attention_layernorm`, o, `${p}.post_attention_layernorm.weight`).y;
    hooks.set(`blocks.${L}.hook_attn_out`, attnOut);
    const mid = e.one(sc, 'Add', [residual(x, n1), attnOut]);
    const n2 = rms(`${sc}/pre_feedforward_layernorm`, mid, `${p}.pre_feedforward_layernorm.weight`);
    hooks.set(`blocks.${L}.hook_resid_mid`, stream(mid, n2));
    const gate = linear(`${sc}/mlp/gate_proj`, n2.y, `${p}.mlp.gate_proj.weight`);
    const act = geluTanh(e, `${sc}/mlp`, gate);
    const up = linear(`${sc}/mlp/up_proj`, n2.y, `${p}.mlp.up_proj.weight`);
    const down = linear(`${sc}/mlp/down_proj`, e.one(`${sc}/mlp`, 'Mul', [act, up]), `${p}.mlp.down_proj.weight`);
    const mlpOut = rms(`${sc}/post_feedforward_layernorm`, down, `${p}.post_feedforward_layernorm.weight`).y;
    hooks.set(`blocks.${L}.hook_mlp_out`, mlpOut);
    x = e.one(sc, 'Add', [residual(mid, n2), mlpOut]);
    const last = L === s.layers - 1;
    n1 = last
      ? rms('/model/norm', x, 'model.norm.weight')
      : rms(`/model/layers.${L + 1}/input_layernorm`, x, `model.layers.${L + 1}.input_layernorm.weight`);
    hooks.set(`blocks.${L}.hook_resid_post`, stream(x, n1));
    if (!last) hooks.set(`blocks.${L + 1}.hook_resid_pre`, stream(x, n1));
  }

  // tied lm_head, then final-logit soft-capping at the top scope: /Div, /Tanh, /Mul
  const raw = emb.lmHead(n1.y);
  const th = e.one('', 'Tanh', [e.one('', 'Div', [raw, e.constF('', s.finalSoftcap)])]);
  finishLogits(e, s, e.one('', 'Mul', [th, e.constF('', s.finalSoftcap)], {}, logitsNode(s)));
  return hooks;
}
