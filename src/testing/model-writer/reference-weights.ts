import { transpose2d } from '../../core/util/matrix.ts';
import { matIn, matOut, type Vec } from './reference-math.ts';
import {
  Q4_BLOCK,
  dequantizeQ4Blocks,
  dequantizeU8,
  dynamicQuantize,
  dynamicQuantParams,
  quantizeI8Columns,
  quantizeQ4Blocks,
  quantizeU8,
} from './quant.ts';
import { isTied, type ResolvedSpec } from './spec.ts';
import { weight, type ModelWeights } from './weights.ts';

/**
 * The weights as the written model computes with them: embedding tables dequantized from their
 * stored codes, weight MatMuls applied with onnxruntime's dynamic quantization of activations
 * (quant `int8`), 4-bit shared embeddings dequantized. Knows the quantization rules (what the
 * stored weights are), nothing of the graphs.
 */
export class RefWeights {
  constructor(
    readonly w: ModelWeights,
    readonly s: ResolvedSpec,
  ) {}

  /** A raw weight's values. */
  get(name: string): Float32Array {
    return weight(this.w, name).data;
  }

  /** An embedding table [rows, cols] as the graph reads it. */
  table(name: string): Float32Array {
    const data = this.get(name);
    if (this.s.quant !== 'none') return dequantizeU8(quantizeU8(data));
    if (this.s.tiedEmbedding === 'gather-block-quantized') return this.q4(name);
    return data;
  }

  /**
   * `x · W (+ b)` for every row, W an HF weight: `Linear` [out, in] or GPT-2 `Conv1D` [in, out].
   * With quant `int8` the rows are quantized together as one tensor, as DynamicQuantizeLinear does.
   */
  linear(rows: readonly Vec[], name: string, layout: 'linear' | 'conv1d', bias?: string): Vec[] {
    const t = weight(this.w, name);
    const [a, b] = t.dims as [number, number];
    const bv = bias ? this.get(bias) : undefined;
    if (this.s.quant !== 'int8') {
      return rows.map((r) => (layout === 'linear' ? matOut(r, t.data, b, a, bv) : matIn(r, t.data, a, b, bv)));
    }
    const [inp, out] = layout === 'linear' ? [b, a] : [a, b];
    return quantizedMatMul(rows, layout === 'linear' ? transpose2d(t.data, a, b) : t.data, inp, out, bv);
  }

  /** Logits rows: the final normed rows times the unembedding (tied or own, as the graph stores it). */
  unembed(rows: readonly Vec[]): Vec[] {
    const { s } = this;
    const tied = isTied(s.family);
    const name =
      s.family === 'gpt2'
        ? 'transformer.wte.weight'
        : s.family === 'neox'
          ? 'embed_out.weight'
          : tied
            ? 'model.embed_tokens.weight'
            : 'lm_head.weight';
    if (tied && s.tiedEmbedding === 'gather-block-quantized') {
      const m = this.q4(name);
      return rows.map((r) => matOut(r, m, s.d, s.vocab));
    }
    return this.linear(rows, name, 'linear');
  }

  private q4(name: string): Float32Array {
    return dequantizeQ4Blocks(quantizeQ4Blocks(this.get(name), this.s.vocab, this.s.d, Q4_BLOCK));
  }
}

/**
 * DynamicQuantizeLinear → MatMulInteger → Cast → Mul(scale) for a float [inp, out] weight
 * quantized per column: integer products summed exactly, scaled by the float32 product of the
 * activation and column scales.
 */
function quantizedMatMul(rows: readonly Vec[], m: Float32Array, inp: number, out: number, bias?: Float32Array): Vec[] {
  const w = quantizeI8Columns(m, inp, out);
  const p = dynamicQuantParams(
    (function* () {
      for (const r of rows) yield* r;
    })(),
  );
  return rows.map((r) => {
    const xq = Float64Array.from(r, (v) => dynamicQuantize(v, p) - p.zeroPoint);
    const acc = matIn(xq, w.q, inp, out);
    return Float64Array.from(acc, (v, j) => Math.fround(v) * Math.fround(p.scale * w.scales[j]!) + (bias ? bias[j]! : 0));
  });
}
