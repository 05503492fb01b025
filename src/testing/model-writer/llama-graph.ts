import { attr } from '../../core/model/onnx/builder.ts';
import type { Emitter } from './emitter.ts';
import { attention, causalMask, finishLogits, geluTanh, logitsNode, rmsNormDecomposed, splitHeads } from './graph-parts.ts';
import type { HookRef } from './hook-sites.ts';
import { llamaEmbedding } from './llama-embedding.ts';
import { applyRope, rotary } from './rope.ts';
import type { ResolvedSpec } from './spec.ts';
import { WeightOps } from './weight-ops.ts';
import { weight, type ModelWeights } from './weights.ts';

const MS = 'com.microsoft';

/**
 * Emits a Llama-family graph (Llama, or Gemma: embeddings × √d, norm weight 1 + w, GeGLU, tied
 * unembedding). Decomposed and op-norm graphs are named like a torch/optimum export
 * (`/model/layers.L/...`, residual adds `/model/layers.L/Add` and `Add_1`); fused graphs like
 * onnxruntime-genai's builder: `SimplifiedLayerNormalization` for layer 0's input norm, then one
 * `SkipSimplifiedLayerNormalization` per "residual add + norm", the last feeding `lm_head`.
 * Returns where each hook lives.
 */
export function emitLlama(e: Emitter, s: ResolvedSpec, w: ModelWeights): Map<string, HookRef> {
  const hooks = new Map<string, HookRef>();
  const ops = new WeightOps(e, s, w);
  const gemma = s.family === 'gemma';
  const fused = s.norm === 'fused';
  const genai = e.naming === 'genai';
  const attnScope = genai ? 'attn' : 'self_attn';
  const eps = { epsilon: attr.float(s.eps) };

  // norms: decomposed graphs compute (1 + w) in-graph for Gemma; op and fused graphs carry it folded
  const norm = (name: string): string => {
    const t = weight(w, name);
    if (!gemma || s.norm === 'decomposed') return e.init(name, t.data, t.dims);
    return e.init(
      name,
      t.data.map((v) => 1 + v),
      t.dims,
    );
  };
  // Linear weights [out, in] are stored transposed for MatMul, as exporters fold them
  let folded = 0;
  const foldedName = (): string => `onnx::MatMul_${9000 + folded++}`;
  const linear = (scope: string, x: string, hfName: string): string =>
    ops.linear(scope, x, genai ? hfName.replace('.self_attn.', '.attn.').replace(/\.weight$/, '.MatMul.weight') : foldedName(), hfName);

  const rms = (scope: string, x: string, wName: string): string =>
    s.norm === 'decomposed'
      ? rmsNormDecomposed(e, scope, x, wName, s.eps, s.rsqrt, gemma)
      : e.one(scope, 'SimplifiedLayerNormalization', [x, wName], { axis: attr.int(-1), ...eps, stash_type: attr.int(1) });

  // embeddings (Gemma scales them by √d)
  const emb = llamaEmbedding(e, ops, s, w, foldedName);
  let x = emb.embeds;
  if (gemma) x = e.one(genai ? '/model/embed_tokens' : '/model', 'Mul', [x, e.constF('/model', Math.sqrt(s.d))]);
  const mask = causalMask(e, '', s);
  const [cos, sin] = rotary(e, s, '/model/rotary_emb');

  let normed: string;
  if (fused) {
    normed = e.one(
      '/model/layers.0/input_layernorm',
      'SimplifiedLayerNormalization',
      [x, norm('model.layers.0.input_layernorm.weight')],
      {
        axis: attr.int(-1),
        ...eps,
        stash_type: attr.int(1),
      },
      { name: '/model/layers.0/input_layernorm/LayerNorm', outputs: ['/model/layers.0/input_layernorm/output_0'] },
    );
  } else {
    normed = rms('/model/layers.0/input_layernorm', x, norm('model.layers.0.input_layernorm.weight'));
  }
  hooks.set('blocks.0.hook_resid_pre', x);

  for (let L = 0; L < s.layers; L++) {
    const sc = `/model/layers.${L}`;
    const p = `model.layers.${L}`;
    if (L > 0) hooks.set(`blocks.${L}.hook_resid_pre`, x);
    // attention with RoPE
    const as = `${sc}/${attnScope}`;
    const proj = (which: string, heads: number): string =>
      splitHeads(e, as, linear(`${as}/${which}_proj`, normed, `${p}.self_attn.${which}_proj.weight`), heads, s.headDim);
    const q = applyRope(e, as, proj('q', s.heads), cos, sin, s.headDim);
    const k = applyRope(e, as, proj('k', s.kvHeads), cos, sin, s.headDim);
    const v = proj('v', s.kvHeads);
    const y = attention(e, as, L, s, q, k, v, mask);
    const o = linear(`${as}/o_proj`, y, `${p}.self_attn.o_proj.weight`);
    hooks.set(`blocks.${L}.attn.hook_z`, { tensor: y, projection: ops.lastNode });
    hooks.set(`blocks.${L}.hook_attn_out`, o);
    let mid: string;
    let normed2: string;
    const post = `${sc}/post_attention_layernorm`;
    if (fused) {
      const outs = e.op(post, 'SkipSimplifiedLayerNormalization', [x, o, norm(`${p}.post_attention_layernorm.weight`)], eps, {
        domain: MS,
        name: `${post}/SkipLayerNorm`,
        outputs: [`${post}/output_0`, '', '', `${post}/output_3`],
      });
      [normed2, mid] = [outs[0]!, outs[3]!];
    } else {
      mid = e.one(sc, 'Add', [x, o]);
      normed2 = rms(post, mid, norm(`${p}.post_attention_layernorm.weight`));
    }
    hooks.set(`blocks.${L}.hook_resid_mid`, mid);
    // gated MLP: SwiGLU (Llama) or GeGLU with tanh GELU (Gemma)
    const gate = linear(`${sc}/mlp/gate_proj`, normed2, `${p}.mlp.gate_proj.weight`);
    const up = linear(`${sc}/mlp/up_proj`, normed2, `${p}.mlp.up_proj.weight`);
    const act = gemma
      ? geluTanh(e, `${sc}/mlp/act_fn`, gate)
      : e.one(`${sc}/mlp/act_fn`, 'Mul', [gate, e.one(`${sc}/mlp/act_fn`, 'Sigmoid', [gate])]);
    const h = e.one(`${sc}/mlp`, 'Mul', [act, up]);
    const m = linear(`${sc}/mlp/down_proj`, h, `${p}.mlp.down_proj.weight`);
    hooks.set(`blocks.${L}.hook_mlp_out`, m);
    const last = L === s.layers - 1;
    if (fused) {
      // genai names the final norm as a virtual layer n: /model/layers.{n}/final_norm_layernorm
      const ns = last ? `/model/layers.${s.layers}/final_norm_layernorm` : `/model/layers.${L + 1}/input_layernorm`;
      const nw = last ? 'model.norm.weight' : `model.layers.${L + 1}.input_layernorm.weight`;
      const trim = s.trimFinalSkipSum && last;
      const name = `${ns}/SkipLayerNorm`;
      const outs = e.op(ns, 'SkipSimplifiedLayerNormalization', [mid, m, norm(nw)], eps, {
        domain: MS,
        name,
        outputs: trim ? [`${ns}/output_0`] : [`${ns}/output_0`, '', '', `${ns}/output_3`],
      });
      normed = outs[0]!;
      x = trim ? '' : outs[3]!;
      hooks.set(`blocks.${L}.hook_resid_post`, trim ? { node: name, output: 3 } : x);
    } else {
      x = e.one(sc, 'Add', [mid, m]);
      hooks.set(`blocks.${L}.hook_resid_post`, x);
      normed = last
        ? rms('/model/norm', x, norm('model.norm.weight'))
        : rms(`/model/layers.${L + 1}/input_layernorm`, x, norm(`model.layers.${L + 1}.input_layernorm.weight`));
    }
  }

  // unembedding: untied lm_head (Llama) or the embedding matrix (Gemma)
  finishLogits(e, s, emb.lmHead(normed, logitsNode(s).outputs?.[0]));
  return hooks;
}
