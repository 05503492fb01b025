/**
 * Weight quantization as the exporters the writer imitates store it. Pure arithmetic: the graph
 * writer stores the integer codes, the reference forward pass computes with the dequantized
 * values, so both see the same weights.
 */

/** Round half to even (numpy.round, ONNX QuantizeLinear). */
export function roundEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

const clamp = (x: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, x));

/** A per-tensor uint8 table (onnxruntime's Gather quantization: asymmetric, range includes 0). */
export interface U8Tensor {
  readonly q: Uint8Array;
  /** float32 scale. */
  readonly scale: number;
  readonly zeroPoint: number;
}

/** uint8 asymmetric per-tensor quantization (onnxruntime quantize_data, QUInt8). */
export function quantizeU8(data: Float32Array): U8Tensor {
  let lo = 0;
  let hi = 0;
  for (const v of data) {
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  const scale = Math.fround(hi > lo ? (hi - lo) / 255 : 1);
  const zeroPoint = clamp(roundEven(-lo / scale), 0, 255);
  const q = Uint8Array.from(data, (v) => clamp(roundEven(v / scale) + zeroPoint, 0, 255));
  return { q, scale, zeroPoint };
}

/** DequantizeLinear of a uint8 tensor: (q - zero point) · scale in float32. */
export function dequantizeU8(t: U8Tensor): Float32Array {
  return Float32Array.from(t.q, (q) => (q - t.zeroPoint) * t.scale);
}

/** An int8 [in, out] MatMul weight, symmetric per output column (zero points 0). */
export interface I8Columns {
  readonly q: Int8Array;
  /** float32 scale per output column. */
  readonly scales: Float32Array;
  readonly inp: number;
  readonly out: number;
}

/** Largest int8 code with onnxruntime's reduce_range (7 bits), which keeps u8 × s8 products from saturating. */
export const I8_REDUCED_MAX = 64;

/** int8 symmetric per-column quantization of a MatMul-layout [in, out] weight, reduced range [-64, 64]. */
export function quantizeI8Columns(w: Float32Array, inp: number, out: number): I8Columns {
  const scales = new Float32Array(out);
  for (let j = 0; j < out; j++) {
    let m = 0;
    for (let i = 0; i < inp; i++) m = Math.max(m, Math.abs(w[i * out + j]!));
    scales[j] = m > 0 ? m / I8_REDUCED_MAX : 1;
  }
  const q = Int8Array.from(w, (v, k) => clamp(roundEven(v / scales[k % out]!), -I8_REDUCED_MAX, I8_REDUCED_MAX));
  return { q, scales, inp, out };
}

/** The weight values a quantized MatMul multiplies by: code · column scale. */
export function dequantizeI8Columns(t: I8Columns): Float32Array {
  return Float32Array.from(t.q, (q, k) => q * t.scales[k % t.out]!);
}

/**
 * DynamicQuantizeLinear's parameters for a whole activation tensor (ONNX spec, onnxruntime CPU):
 * range widened to include 0, scale = range / 255 in float32, zero point rounded half away from zero.
 */
export function dynamicQuantParams(values: Iterable<number>): { scale: number; zeroPoint: number } {
  let lo = 0;
  let hi = 0;
  for (const v of values) {
    const f = Math.fround(v);
    lo = Math.min(lo, f);
    hi = Math.max(hi, f);
  }
  const scale = hi === lo ? 1 : Math.fround((hi - lo) / 255);
  const zeroPoint = Math.round(clamp(Math.fround(-lo / scale), 0, 255));
  return { scale, zeroPoint };
}

/** One activation's uint8 code under `dynamicQuantParams` (round half to even, saturate). */
export function dynamicQuantize(v: number, p: { scale: number; zeroPoint: number }): number {
  return clamp(roundEven(Math.fround(Math.fround(v) / p.scale)) + p.zeroPoint, 0, 255);
}

/** A [rows, cols] matrix in 4-bit blocks along each row (onnxruntime-genai / MatMulNBits layout). */
export interface Q4Blocks {
  /** [rows, cols / 2] bytes, two codes per byte, the even column in the low nibble. */
  readonly packed: Uint8Array;
  /** [rows, cols / block] float32 scales. */
  readonly scales: Float32Array;
  /** [rows, ceil(blocks / 2)] packed 4-bit zero points. */
  readonly zeroPoints: Uint8Array;
  readonly rows: number;
  readonly cols: number;
  readonly block: number;
}

/** Round-to-nearest asymmetric 4-bit block quantization of each row of a [rows, cols] matrix. */
export function quantizeQ4Blocks(m: Float32Array, rows: number, cols: number, block: number): Q4Blocks {
  if (cols % block !== 0 || block % 2 !== 0) throw new Error(`cols ${cols} must be a multiple of the (even) block ${block}`);
  const nb = cols / block;
  const zpCols = Math.ceil(nb / 2);
  const packed = new Uint8Array((rows * cols) / 2);
  const scales = new Float32Array(rows * nb);
  const zeroPoints = new Uint8Array(rows * zpCols);
  for (let r = 0; r < rows; r++) {
    for (let b = 0; b < nb; b++) {
      let lo = 0;
      let hi = 0;
      for (let c = b * block; c < (b + 1) * block; c++) {
        lo = Math.min(lo, m[r * cols + c]!);
        hi = Math.max(hi, m[r * cols + c]!);
      }
      const scale = Math.fround(hi > lo ? (hi - lo) / 15 : 1);
      const zp = clamp(roundEven(-lo / scale), 0, 15);
      scales[r * nb + b] = scale;
      zeroPoints[r * zpCols + (b >> 1)]! |= zp << ((b & 1) * 4);
      for (let c = b * block; c < (b + 1) * block; c++) {
        const q = clamp(roundEven(m[r * cols + c]! / scale) + zp, 0, 15);
        packed[(r * cols + c) >> 1]! |= q << ((c & 1) * 4);
      }
    }
  }
  return { packed, scales, zeroPoints, rows, cols, block };
}

/** The values a 4-bit block matrix stands for: (code - zero point) · block scale, float32. */
export function dequantizeQ4Blocks(t: Q4Blocks): Float32Array {
  const nb = t.cols / t.block;
  const zpCols = Math.ceil(nb / 2);
  const out = new Float32Array(t.rows * t.cols);
  for (let r = 0; r < t.rows; r++) {
    for (let c = 0; c < t.cols; c++) {
      const b = Math.floor(c / t.block);
      const q = (t.packed[(r * t.cols + c) >> 1]! >> ((c & 1) * 4)) & 15;
      const zp = (t.zeroPoints[r * zpCols + (b >> 1)]! >> ((b & 1) * 4)) & 15;
      out[r * t.cols + c] = (q - zp) * t.scales[r * nb + b]!;
    }
  }
  return out;
}

/** Block size of the writer's 4-bit tied embeddings (GatherBlockQuantized needs ≥ 16, a power of 2). */
export const Q4_BLOCK = 16;
