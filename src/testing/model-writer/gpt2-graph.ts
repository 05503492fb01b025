import { attr } from '../../core/model/onnx/builder.ts';
import type { Emitter } from './emitter.ts';
import { attention, causalMask, finishLogits, geluTanh, layerNormDecomposed, logitsNode, splitHeads } from './graph-parts.ts';
import type { HookRef } from './hook-sites.ts';
import type { ResolvedSpec } from './spec.ts';
import { transpose2d } from '../../core/util/matrix.ts';
import { WeightOps } from './weight-ops.ts';
import { weight, type ModelWeights } from './weights.ts';

const MS = 'com.microsoft';

/**
 * Emits a GPT-2 graph named like a torch/optimum export (`/transformer/h.L/...`, residual adds
 * `/transformer/h.L/Add` and `/transformer/h.L/Add_1`, tied `/lm_head/MatMul`). With fused norms
 * it looks like ORT's transformer optimizer output: `SkipLayerNormalization` (bias folded in as
 * input 4, the residual sum keeping the Add's tensor name on output 3) and `FastGelu`.
 * Returns where each hook lives.
 */
export function emitGpt2(e: Emitter, s: ResolvedSpec, w: ModelWeights): Map<string, HookRef> {
  const ops = new WeightOps(e, s, w);
  const P = (name: string): string => ops.param(name);
  const hooks = new Map<string, HookRef>();
  const root = '/transformer';
  const fused = s.norm === 'fused';
  const eps = { epsilon: attr.float(s.eps) };
  let skipCount = 0;
  const skipName = (bias: boolean): string => `SkipLayerNorm${bias ? '_AddBias' : ''}_${skipCount++}`;
  const ln = (scope: string, x: string, p: string): string =>
    s.norm === 'op'
      ? e.one(scope, 'LayerNormalization', [x, P(`${p}.weight`), P(`${p}.bias`)], { axis: attr.int(-1), ...eps })
      : layerNormDecomposed(e, scope, x, P(`${p}.weight`), P(`${p}.bias`), s.eps);
  // the norm after block L's MLP: the next block's ln_1, or ln_f after the last block
  const nextNorm = (L: number): { scope: string; p: string } =>
    L + 1 < s.layers
      ? { scope: `${root}/h.${L + 1}/ln_1`, p: `transformer.h.${L + 1}.ln_1` }
      : { scope: `${root}/ln_f`, p: 'transformer.ln_f' };
  // Conv1D weights are [in, out] already: the MatMul reads them under their HF names
  const conv = (scope: string, x: string, name: string): string => {
    const t = weight(w, name);
    return ops.matmul(scope, x, name, t.data, t.dims[0]!, t.dims[1]!);
  };

  const tok = ops.gather(`${root}/wte`, 'transformer.wte.weight', 'input_ids');
  const pos = ops.gather(`${root}/wpe`, 'transformer.wpe.weight', 'position_ids');
  const mask = causalMask(e, '', s); // torch puts the mask ops at the top scope: /Shape, /Range, ...

  let x: string; // the residual stream
  let normed: string; // the current block's ln_1 output
  if (fused) {
    const outs = e.op('', 'SkipLayerNormalization', [tok, pos, P('transformer.h.0.ln_1.weight'), P('transformer.h.0.ln_1.bias')], eps, {
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
    const qkv = e.one(`${sc}/attn/c_attn`, 'Add', [
      conv(`${sc}/attn/c_attn`, normed, `${p}.attn.c_attn.weight`),
      P(`${p}.attn.c_attn.bias`),
    ]);
    const [q, k, v] = e.op(`${sc}/attn`, 'Split', [qkv, e.constI(`${sc}/attn`, [s.d, s.d, s.d])], { axis: attr.int(2) }, { outputs: 3 });
    const heads = (t: string): string => splitHeads(e, `${sc}/attn`, t, s.heads, s.headDim);
    const y = attention(e, `${sc}/attn`, L, s, heads(q!), heads(k!), heads(v!), mask);
    const proj = conv(`${sc}/attn/c_proj`, y, `${p}.attn.c_proj.weight`);
    hooks.set(`blocks.${L}.attn.hook_z`, { tensor: y, projection: ops.lastNode });
    let mid: string;
    let normed2: string;
    if (fused) {
      const name = skipName(true);
      const outs = e.op(
        '',
        'SkipLayerNormalization',
        [x, proj, P(`${p}.ln_2.weight`), P(`${p}.ln_2.bias`), P(`${p}.attn.c_proj.bias`)],
        eps,
        {
          domain: MS,
          name,
          outputs: [`${sc}/ln_2/Add_1_output_0`, '', '', `${sc}/Add_output_0`],
        },
      );
      [normed2, mid] = [outs[0]!, outs[3]!];
      hooks.set(`blocks.${L}.hook_attn_out`, { tensor: proj, foldedBias: { node: name, input: 4 } });
    } else {
      const a = e.one(`${sc}/attn/c_proj`, 'Add', [proj, P(`${p}.attn.c_proj.bias`)]);
      hooks.set(`blocks.${L}.hook_attn_out`, a);
      mid = e.one(sc, 'Add', [x, a]);
      normed2 = ln(`${sc}/ln_2`, mid, `${p}.ln_2`);
    }
    hooks.set(`blocks.${L}.hook_resid_mid`, mid);
    // MLP
    const next = nextNorm(L);
    if (fused) {
      const h = conv(`${sc}/mlp/c_fc`, normed2, `${p}.mlp.c_fc.weight`);
      const g = e.one('', 'FastGelu', [h, P(`${p}.mlp.c_fc.bias`)], {}, { domain: MS, name: `FastGelu_AddBias_${L}` });
      const m = conv(`${sc}/mlp/c_proj`, g, `${p}.mlp.c_proj.weight`);
      const trim = s.trimFinalSkipSum && L === s.layers - 1;
      const name = skipName(true);
      const outs = e.op(
        '',
        'SkipLayerNormalization',
        [mid, m, P(`${next.p}.weight`), P(`${next.p}.bias`), P(`${p}.mlp.c_proj.bias`)],
        eps,
        {
          domain: MS,
          name,
          outputs: trim ? [`${next.scope}/Add_1_output_0`] : [`${next.scope}/Add_1_output_0`, '', '', `${sc}/Add_1_output_0`],
        },
      );
      hooks.set(`blocks.${L}.hook_mlp_out`, { tensor: m, foldedBias: { node: name, input: 4 } });
      normed = outs[0]!;
      x = trim ? '' : outs[3]!;
      hooks.set(`blocks.${L}.hook_resid_post`, trim ? { node: name, output: 3 } : x);
    } else {
      const h = e.one(`${sc}/mlp/c_fc`, 'Add', [conv(`${sc}/mlp/c_fc`, normed2, `${p}.mlp.c_fc.weight`), P(`${p}.mlp.c_fc.bias`)]);
      const g = geluTanh(e, `${sc}/mlp`, h);
      const m = e.one(`${sc}/mlp/c_proj`, 'Add', [conv(`${sc}/mlp/c_proj`, g, `${p}.mlp.c_proj.weight`), P(`${p}.mlp.c_proj.bias`)]);
      hooks.set(`blocks.${L}.hook_mlp_out`, m);
      x = e.one(sc, 'Add', [mid, m]);
      hooks.set(`blocks.${L}.hook_resid_post`, x);
      normed = ln(next.scope, x, next.p);
    }
  }

  // tied unembedding: real exports either transpose wte in-graph or fold a transposed copy
  const wte = weight(w, 'transformer.wte.weight');
  let logits: string;
  if (s.unembed === 'transpose-node') {
    const wt = e.one('/lm_head', 'Transpose', [P('transformer.wte.weight')], { perm: attr.ints([1, 0]) });
    logits = e.one('/lm_head', 'MatMul', [normed, wt], {}, logitsNode(s));
  } else {
    const name = `onnx::MatMul_${e.b.nodes.length}`;
    logits = ops.matmul('/lm_head', normed, name, transpose2d(wte.data, s.vocab, s.d), s.d, s.vocab, logitsNode(s).outputs?.[0]);
  }
  finishLogits(e, s, logits);
  return hooks;
}
