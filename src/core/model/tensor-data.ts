import type ort from 'onnxruntime-node';
import { halfToFloat } from '../util/halffloat.ts';

/**
 * A float tensor's values as float32. float16 tensors are decoded from their bits, whatever
 * typed array onnxruntime hands back (Uint16Array, or Float16Array where the runtime has
 * one, as newer Electron builds do), so the same code reads fp16 logits everywhere.
 */
export function floatData(t: ort.Tensor): Float32Array {
  if (t.type === 'float32') return t.data as Float32Array;
  if (t.type === 'float16') {
    const d = t.data as ArrayBufferView & { readonly length: number };
    const bits = new Uint16Array(d.buffer, d.byteOffset, d.length);
    const out = new Float32Array(bits.length);
    for (let i = 0; i < bits.length; i++) out[i] = halfToFloat(bits[i]!);
    return out;
  }
  if (t.type === 'float64') return Float32Array.from(t.data as Float64Array);
  throw new Error(`expected a float tensor, got ${t.type} [${t.dims.join(', ')}]`);
}

/** Row `row` of the last axis of a [..., V] float tensor, as float32 (float16 decoded). */
export function lastAxisRow(t: ort.Tensor, row: number): Float32Array {
  const V = Number(t.dims[t.dims.length - 1]);
  if (t.type === 'float32') return (t.data as Float32Array).subarray(row * V, (row + 1) * V);
  if (t.type === 'float16') {
    const d = t.data as ArrayBufferView;
    const bits = new Uint16Array(d.buffer, d.byteOffset + row * V * 2, V);
    return Float32Array.from(bits, (h) => halfToFloat(h));
  }
  return floatData(t).subarray(row * V, (row + 1) * V);
}
