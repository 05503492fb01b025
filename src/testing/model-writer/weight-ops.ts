import { attr } from '../../core/model/onnx/builder.ts';
import { DataType, type TensorProto } from '../../core/model/onnx/proto.ts';
import type { Emitter } from './emitter.ts';
import { quantizeI8Columns, quantizeU8 } from './quant.ts';
import type { ResolvedSpec } from './spec.ts';
import { weight, type ModelWeights } from './weights.ts';

const bytes = (a: Uint8Array | Int8Array): Uint8Array => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

/** An integer initializer (uint8 / int8 codes or zero points). */
function intTensor(name: string, dataType: number, data: Uint8Array | Int8Array, dims: readonly number[]): TensorProto {
  return { name, dataType, dims: [...dims], rawData: bytes(data) };
}

/**
 * Emits the nodes that read weights: weight MatMuls and embedding lookups, plain or quantized
 * the way onnxruntime's dynamic quantization (transformers.js `model_quantized.onnx`) rewrites
 * them, with its tensor and node names.
 */
export class WeightOps {
  /** DynamicQuantizeLinear outputs per activation: onnxruntime quantizes a tensor once for all its MatMuls. */
  private readonly quantized = new Map<string, readonly string[]>();
  private readonly params = new Set<string>();
  /** The node that read the weight in the last `matmul`/`linear`: the MatMul, or the MatMulInteger of a quantized one. */
  lastNode = '';

  constructor(
    private readonly e: Emitter,
    private readonly s: ResolvedSpec,
    private readonly w: ModelWeights,
  ) {}

  /** A weight from the model's weights as an initializer under its HF name (added once). */
  param(name: string): string {
    if (!this.params.has(name)) {
      const t = weight(this.w, name);
      this.e.init(name, t.data, t.dims);
      this.params.add(name);
    }
    return name;
  }

  /**
   * `x · W` for a MatMul-layout weight `data` [inp, out] stored as initializer `name`: one
   * `MatMul` node in `scope` (output `output` if given), or with `quant: 'int8'` its dynamic
   * quantization DynamicQuantizeLinear → MatMulInteger → Cast → Mul(scale), whose last Mul
   * keeps the MatMul's output name. Returns the product.
   */
  matmul(scope: string, x: string, name: string, data: Float32Array, inp: number, out: number, output?: string): string {
    const e = this.e;
    if (this.s.quant !== 'int8') {
      e.init(name, data, [inp, out]);
      const y = e.one(scope, 'MatMul', [x, name], {}, output ? { outputs: [output] } : {});
      this.lastNode = e.b.nodes[e.b.nodes.length - 1]?.name ?? '';
      return y;
    }
    const node = e.reserveName(scope, 'MatMul');
    const y = output ?? e.outputName(node);
    const [xq, xs, xz] = this.dynamicQuantize(x);
    const q = quantizeI8Columns(data, inp, out);
    const wq = e.tensor(intTensor(`${name}_quantized`, DataType.INT8, q.q, [inp, out]));
    const ws = e.init(`${name}_scale`, q.scales, [out]);
    const wz = e.tensor(intTensor(`${name}_zero_point`, DataType.INT8, new Int8Array(out), [out]));
    const mi = e.one('', 'MatMulInteger', [xq!, wq, xz!, wz], {}, { name: `${node}_quant`, outputs: [`${y}_output_quantized`] });
    this.lastNode = `${node}_quant`;
    const cast = e.one(
      '',
      'Cast',
      [mi],
      { to: attr.int(DataType.FLOAT) },
      { name: `${y}_output_quantized_cast`, outputs: [`${y}_output_quantized_cast_output`] },
    );
    const scales = e.one('', 'Mul', [xs!, ws], {}, { name: `${node}_quant_scales_mul`, outputs: [`${node}_quant_scales_mul:0`] });
    return e.one('', 'Mul', [cast, scales], {}, { name: `${node}_quant_output_scale_mul`, outputs: [y] });
  }

  /** Like `matmul` for an HF `Linear` weight [out, in] (exporters fold its transpose into the initializer). */
  linear(scope: string, x: string, name: string, hfName: string, output?: string): string {
    const t = weight(this.w, hfName);
    const [out, inp] = t.dims as [number, number];
    const m = new Float32Array(inp * out);
    for (let r = 0; r < out; r++) for (let c = 0; c < inp; c++) m[c * out + r] = t.data[r * inp + c]!;
    return this.matmul(scope, x, name, m, inp, out, output);
  }

  /**
   * Rows of embedding table `table` (an HF weight [rows, cols]) for `ids`: `Gather` in `scope`,
   * or with quantization `Gather` on the uint8 table then `DequantizeLinear`, which keeps the
   * Gather's output name. Returns the embeddings.
   */
  gather(scope: string, table: string, ids: string): string {
    const e = this.e;
    if (this.s.quant === 'none') return e.one(scope, 'Gather', [this.param(table), ids]);
    const t = weight(this.w, table);
    const q = quantizeU8(t.data);
    const data = e.tensor(intTensor(`${table}_quantized`, DataType.UINT8, q.q, t.dims));
    const scale = e.init(`${table}_scale`, Float32Array.of(q.scale), []);
    const zp = e.tensor(intTensor(`${table}_zero_point`, DataType.UINT8, Uint8Array.of(q.zeroPoint), []));
    const node = e.reserveName(scope, 'Gather');
    const y = e.outputName(node);
    const g = e.one('', 'Gather', [data, ids], {}, { name: node, outputs: [`${y}_quantized`] });
    return e.one('', 'DequantizeLinear', [g, scale, zp], {}, { name: `${node}_DequantizeLinear`, outputs: [y] });
  }

  private dynamicQuantize(x: string): readonly string[] {
    let outs = this.quantized.get(x);
    if (!outs) {
      outs = this.e.op(
        '',
        'DynamicQuantizeLinear',
        [x],
        {},
        { name: `${x}_QuantizeLinear`, outputs: [`${x}_quantized`, `${x}_scale`, `${x}_zero_point`] },
      );
      this.quantized.set(x, outs);
    }
    return outs;
  }
}
