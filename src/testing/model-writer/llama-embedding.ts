import { attr } from '../../core/model/onnx/builder.ts';
import { DataType } from '../../core/model/onnx/proto.ts';
import { transpose2d } from '../../core/util/matrix.ts';
import type { Emitter } from './emitter.ts';
import { Q4_BLOCK, quantizeQ4Blocks } from './quant.ts';
import { isTied, type ResolvedSpec } from './spec.ts';
import type { WeightOps } from './weight-ops.ts';
import { weight, type ModelWeights } from './weights.ts';

const MS = 'com.microsoft';
const EMBED = 'model.embed_tokens.weight';

/** A Llama-like model's token embeddings and the lm_head that reads the (tied or own) unembedding. */
export interface LlamaEmbedding {
  /** The looked-up embeddings [b, t, d] (before any scaling). */
  readonly embeds: string;
  /** Emits `x · W_U` in `/lm_head`; `output` names its result. */
  readonly lmHead: (x: string, output?: string) => string;
}

/**
 * Emits the token lookup and prepares the lm_head, as the exporters lay them out: untied
 * `lm_head.weight` (Llama); tied, the embedding `Gather` plus a transposed copy or `Transpose`
 * node for the lm_head (torch / optimum); or onnxruntime-genai's shared embeddings:
 * `Transpose(lm_head.MatMul.weight) → Gather`, or 4-bit `GatherBlockQuantized` sharing the
 * `MatMulNBits` lm_head's codes. `foldedName` names folded MatMul weights in torch style.
 */
export function llamaEmbedding(e: Emitter, ops: WeightOps, s: ResolvedSpec, w: ModelWeights, foldedName: () => string): LlamaEmbedding {
  const genai = e.naming === 'genai';
  const scope = '/model/embed_tokens';
  if (!isTied(s.family)) {
    return {
      embeds: ops.gather(scope, EMBED, 'input_ids'),
      lmHead: (x, output) => ops.linear('/lm_head', x, genai ? 'lm_head.MatMul.weight' : foldedName(), 'lm_head.weight', output),
    };
  }
  const emb = weight(w, EMBED);
  const embT = (): Float32Array => transpose2d(emb.data, s.vocab, s.d);
  switch (s.tiedEmbedding) {
    case 'transpose-gather': {
      const wt = e.init('lm_head.MatMul.weight', embT(), [s.d, s.vocab]);
      const table = e.one(scope, 'Transpose', [wt], { perm: attr.ints([1, 0]) });
      return {
        embeds: e.one(scope, 'Gather', [table, 'input_ids']),
        lmHead: (x, output) => e.one('/lm_head', 'MatMul', [x, wt], {}, output ? { outputs: [output] } : {}),
      };
    }
    case 'gather-block-quantized': {
      const q = quantizeQ4Blocks(emb.data, s.vocab, s.d, Q4_BLOCK);
      const nb = s.d / Q4_BLOCK;
      const codes = e.tensor({
        name: `lm_head.MatMul.weight_Q4G${Q4_BLOCK}`,
        dataType: DataType.UINT8,
        dims: [s.vocab, nb, Q4_BLOCK / 2],
        rawData: q.packed,
      });
      const scales = e.init('lm_head.MatMul.weight_scale', q.scales, [s.vocab, nb]);
      const zp = e.tensor({
        name: 'lm_head.MatMul.weight_zp',
        dataType: DataType.UINT8,
        dims: [s.vocab, Math.ceil(nb / 2)],
        rawData: q.zeroPoints,
      });
      const flat = e.one(scope, 'Reshape', [codes, e.constI(scope, [s.vocab, s.d / 2])]);
      const gbq = { bits: attr.int(4), block_size: attr.int(Q4_BLOCK) };
      return {
        embeds: e.one(
          scope,
          'GatherBlockQuantized',
          [flat, 'input_ids', scales, zp],
          { ...gbq, gather_axis: attr.int(0), quantize_axis: attr.int(1) },
          { domain: MS },
        ),
        lmHead: (x, output) =>
          e.one(
            '/lm_head',
            'MatMulNBits',
            [x, codes, scales, zp],
            { ...gbq, K: attr.int(s.d), N: attr.int(s.vocab) },
            { domain: MS, name: '/lm_head/MatMul_Q4', ...(output ? { outputs: [output] } : {}) },
          ),
      };
    }
    case 'gather': {
      const embeds = ops.gather(scope, EMBED, 'input_ids');
      if (s.unembed === 'transpose-node') {
        return {
          embeds,
          lmHead: (x, output) =>
            e.one(
              '/lm_head',
              'MatMul',
              [x, e.one('/lm_head', 'Transpose', [ops.param(EMBED)], { perm: attr.ints([1, 0]) })],
              {},
              output ? { outputs: [output] } : {},
            ),
        };
      }
      return {
        embeds,
        lmHead: (x, output) => ops.matmul('/lm_head', x, genai ? 'lm_head.MatMul.weight' : foldedName(), embT(), s.d, s.vocab, output),
      };
    }
  }
}
