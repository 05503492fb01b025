/**
 * Test support for quantized weights: quantizers that return the integer codes, scales and
 * zero points they chose (so a test dequantizes from those, independently of the reader
 * under test), bit packing in the low-bits-first order ONNX and com.microsoft ops use,
 * typed initializers, and a small graph writer.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { GraphBuilder } from '../../core/model/onnx/builder.ts';
import { encodeModel, type GraphProto, type TensorProto, type ValueInfoProto } from '../../core/model/onnx/proto.ts';
import { seededRandom } from '../../core/util/random.ts';

/** Uniform values in [-scale, scale), seeded. */
export function randomValues(n: number, seed: number, scale = 1): Float32Array {
  const r = seededRandom(seed);
  return Float32Array.from({ length: n }, () => (r() * 2 - 1) * scale);
}

/** One quantized block: its integer codes, scale and zero point. */
export interface QuantBlock {
  readonly codes: number[];
  readonly scale: number;
  readonly zeroPoint: number;
}

/**
 * Quantizes `values` to `bits`-bit codes: unsigned asymmetric (min/max with a zero point),
 * unsigned symmetric around 2^(bits−1) (the zero point MatMulNBits and uint8
 * GatherBlockQuantized assume when given none), or signed symmetric (zero point 0).
 */
export function quantize(values: ArrayLike<number>, bits: number, mode: 'asymmetric' | 'symmetric-unsigned' | 'signed'): QuantBlock {
  const xs = Array.from(values);
  const qmax = 2 ** bits - 1;
  if (mode === 'asymmetric') {
    const lo = Math.min(0, ...xs);
    const hi = Math.max(0, ...xs);
    const scale = Math.fround((hi - lo) / qmax || 1);
    const zeroPoint = Math.min(qmax, Math.max(0, Math.round(-lo / scale)));
    return { codes: xs.map((x) => Math.min(qmax, Math.max(0, Math.round(x / scale) + zeroPoint))), scale, zeroPoint };
  }
  const half = 2 ** (bits - 1);
  const scale = Math.fround(Math.max(...xs.map(Math.abs)) / (half - 1) || 1);
  const codes = xs.map((x) => Math.min(half - 1, Math.max(-half, Math.round(x / scale))));
  return mode === 'signed' ? { codes, scale, zeroPoint: 0 } : { codes: codes.map((c) => c + half), scale, zeroPoint: half };
}

/** (code − zero point) · scale of every code of a block, in float64. */
export const dequantize = (b: QuantBlock): number[] => b.codes.map((c) => (c - b.zeroPoint) * b.scale);

/** Packs `bits`-bit codes (two's complement for negative ones) low bits first into bytes. */
export function packLowFirst(codes: readonly number[], bits: number): Uint8Array {
  const out = new Uint8Array(Math.ceil((codes.length * bits) / 8));
  const mask = 2 ** bits - 1;
  codes.forEach((c, i) => {
    const bit = i * bits;
    out[bit >> 3]! |= (c & mask) << (bit & 7);
  });
  return out;
}

/** An initializer of any element type from raw little-endian bytes. */
export function rawTensor(name: string, dataType: number, dims: readonly number[], bytes: Uint8Array): TensorProto {
  return { name, dataType, dims: [...dims], rawData: bytes };
}

/** Writes a one-graph model (opset 21 + com.microsoft) into `dir`/model.onnx; returns the file. */
export function writeGraph(
  dir: string,
  b: GraphBuilder,
  io: { input: ValueInfoProto[]; output: ValueInfoProto[] },
  extra: TensorProto[] = [],
): string {
  fs.mkdirSync(dir, { recursive: true });
  const graph: GraphProto = { name: 'quant-test', input: io.input, output: io.output, initializer: extra };
  b.commit(graph);
  const file = path.join(dir, 'model.onnx');
  fs.writeFileSync(
    file,
    encodeModel({
      irVersion: 10,
      producerName: 'quant-fixtures',
      opsetImport: [
        { domain: '', version: 21 },
        { domain: 'com.microsoft', version: 1 },
      ],
      graph,
    }),
  );
  return file;
}
