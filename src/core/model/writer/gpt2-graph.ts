import { attr } from '../onnx/builder.ts';
import type { Emitter } from './emitter.ts';
import { attention, causalMask, geluTanh, layerNormDecomposed, linear, splitHeads } from './graph-parts.ts';
import type { HookRef } from './hook-sites.ts';
import type { ResolvedSpec } from './spec.ts';
import { transpose2d } from '../../util/matrix.ts';
import { weight, type ModelWeights } from './weights.ts';

const MS = 'com.microsoft';

/**
 * Emits a GPT-2 graph named like a torch/optimum export (`/transformer/h.L/...`, residual adds
 * `/transformer/h.L/Add` and `/transformer/h.L/Add_1`, tied `/lm_head/MatMul`). With fused norms
 * it looks like ORT's transformer optimizer output: `SkipLayerNormalization` (bias folded in as
 * input 4, the residual sum keeping the Add's tensor name on output 3) and `FastGelu`.
 * Returns where each residual hook lives.
 */
export function emitGpt2(e: Emitter, s: ResolvedSpec, w: ModelWeights): Map<string, HookRef> {
  for (const [name, t] of w) e.init(name, t.data, t.dims);
  const hooks = new Map<string, HookRef>();
  const root = '/transformer';
  const fused = s.norm === 'fused';
  const eps = { epsilon: attr.float(s.eps) };
  let skipCount = 0;
  const skipName = (bias: boolean): string => `SkipLayerNorm${bias ? '_AddBias' : ''}_${skipCount++}`;
  const ln = (scope: string, x: string, p: string): string =>
    s.norm === 'op'
      ? e.one(scope, 'LayerNormalization', [x, `${p}.weight`, `${p}.bias`], { axis: attr.int(-1), ...eps })
      : layerNormDecomposed(e, scope, x, `${p}.weight`, `${p}.bias`, s.eps);
  // the norm after block L's MLP: the next block's ln_1, or ln_f after the last block
  const nextNorm = (L: number): { scope: string; p: string } =>
    L + 1 < s.layers ? { scope: `${root}/h.${L + 1}/ln_1`, p: `transformer.h.${L + 1}.ln_1` } : { scope: `${root}/ln_f`, p: 'transformer.ln_f' };

  const tok = e.one(`${root}/wte`, 'Gather', ['transformer.wte.weight', 'input_ids']);
  const pos = e.one(`${root}/wpe`, 'Gather', ['transformer.wpe.weight', 'position_ids']);
  const mask = causalMask(e, '', s); // torch puts the mask ops at the top scope: /Shape, /Range, ...

  let x: string; // the residual stream
  let normed: string; // the current block's ln_1 output
  if (fused) {
    const outs = e.op('', 'SkipLayerNormalization', [tok, pos, 'transformer.h.0.ln_1.weight', 'transformer.h.0.ln_1.bias'], eps, {
      domain: MS,
      name: skipName(false),
      outputs: [`${root}/h.0/ln_1/Add_1_output_0`, '', '', `${root}/Add_output_0`],
    });
    [normed, x] = [outs[0]!, outs[3]!];
  } else {
    x = e.one(root, 'Add', [tok, pos]);
    normed = ln(`${root}/h.0/ln_1`, x, 'transformer.h.0.ln_1');
  }
  hooks.set('blocks.0.hook_resid_pre', x);

  for (let L = 0; L < s.layers; L++) {
    const sc = `${root}/h.${L}`;
    const p = `transformer.h.${L}`;
    if (L > 0) hooks.set(`blocks.${L}.hook_resid_pre`, x);
    // attention
    const qkv = linear(e, `${sc}/attn/c_attn`, normed, `${p}.attn.c_attn.weight`, `${p}.attn.c_attn.bias`);
    const [q, k, v] = e.op(`${sc}/attn`, 'Split', [qkv, e.constI(`${sc}/attn`, [s.d, s.d, s.d])], { axis: attr.int(2) }, { outputs: 3 });
    const heads = (t: string): string => splitHeads(e, `${sc}/attn`, t, s.heads, s.headDim);
    const y = attention(e, `${sc}/attn`, L, s, heads(q!), heads(k!), heads(v!), mask);
    let mid: string;
    let normed2: string;
    if (fused) {
      const proj = e.one(`${sc}/attn/c_proj`, 'MatMul', [y, `${p}.attn.c_proj.weight`]);
      const outs = e.op('', 'SkipLayerNormalization', [x, proj, `${p}.ln_2.weight`, `${p}.ln_2.bias`, `${p}.attn.c_proj.bias`], eps, {
        domain: MS,
        name: skipName(true),
        outputs: [`${sc}/ln_2/Add_1_output_0`, '', '', `${sc}/Add_output_0`],
      });
      [normed2, mid] = [outs[0]!, outs[3]!];
    } else {
      const a = linear(e, `${sc}/attn/c_proj`, y, `${p}.attn.c_proj.weight`, `${p}.attn.c_proj.bias`);
      mid = e.one(sc, 'Add', [x, a]);
      normed2 = ln(`${sc}/ln_2`, mid, `${p}.ln_2`);
    }
    hooks.set(`blocks.${L}.hook_resid_mid`, mid);
    // MLP
    const next = nextNorm(L);
    if (fused) {
      const h = e.one(`${sc}/mlp/c_fc`, 'MatMul', [normed2, `${p}.mlp.c_fc.weight`]);
      const g = e.one('', 'FastGelu', [h, `${p}.mlp.c_fc.bias`], {}, { domain: MS, name: `FastGelu_AddBias_${L}` });
      const m = e.one(`${sc}/mlp/c_proj`, 'MatMul', [g, `${p}.mlp.c_proj.weight`]);
      const trim = s.trimFinalSkipSum && L === s.layers - 1;
      const name = skipName(true);
      const outs = e.op('', 'SkipLayerNormalization', [mid, m, `${next.p}.weight`, `${next.p}.bias`, `${p}.mlp.c_proj.bias`], eps, {
        domain: MS,
        name,
        outputs: trim ? [`${next.scope}/Add_1_output_0`] : [`${next.scope}/Add_1_output_0`, '', '', `${sc}/Add_1_output_0`],
      });
      normed = outs[0]!;
      x = trim ? '' : outs[3]!;
      hooks.set(`blocks.${L}.hook_resid_post`, trim ? { node: name, output: 3 } : x);
    } else {
      const h = linear(e, `${sc}/mlp/c_fc`, normed2, `${p}.mlp.c_fc.weight`, `${p}.mlp.c_fc.bias`);
      const g = geluTanh(e, `${sc}/mlp`, h);
      const m = linear(e, `${sc}/mlp/c_proj`, g, `${p}.mlp.c_proj.weight`, `${p}.mlp.c_proj.bias`);
      x = e.one(sc, 'Add', [mid, m]);
      hooks.set(`blocks.${L}.hook_resid_post`, x);
      normed = ln(next.scope, x, next.p);
    }
  }

  // tied unembedding: real exports either transpose wte in-graph or fold a transposed copy
  const wte = weight(w, 'transformer.wte.weight');
  const wt =
    s.unembed === 'transpose-node'
      ? e.one('/lm_head', 'Transpose', ['transformer.wte.weight'], { perm: attr.ints([1, 0]) })
      : e.init(`onnx::MatMul_${e.b.nodes.length}`, transpose2d(wte.data, s.vocab, s.d), [s.d, s.vocab]);
  e.one('/lm_head', 'MatMul', [normed, wt], {}, { outputs: ['logits'] });
  return hooks;
}
