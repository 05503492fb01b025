import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';
import type { onnx as OnnxNs } from 'onnx-proto';
import { bf16ToFloat, halfToFloat } from '../../util/halffloat.ts';

// onnx-proto is CommonJS; load it through require so both tsx and the bundler agree.
const require = createRequire(import.meta.url);
export const onnx: typeof OnnxNs = (require('onnx-proto') as { onnx: typeof OnnxNs }).onnx;

export type ModelProto = OnnxNs.ModelProto;
export type GraphProto = OnnxNs.IGraphProto;
export type NodeProto = OnnxNs.INodeProto;
export type TensorProto = OnnxNs.ITensorProto;
export type ValueInfoProto = OnnxNs.IValueInfoProto;
export type AttributeProto = OnnxNs.IAttributeProto;

/** ONNX TensorProto.DataType values used here. */
export const DataType = {
  FLOAT: 1,
  UINT8: 2,
  INT8: 3,
  INT32: 6,
  INT64: 7,
  BOOL: 9,
  FLOAT16: 10,
  DOUBLE: 11,
  BFLOAT16: 16,
} as const;

/** Error raised for a model file that cannot be used; always names the file. */
export class ModelFileError extends Error {
  constructor(
    readonly file: string,
    message: string,
  ) {
    super(`${file}: ${message}`);
    this.name = 'ModelFileError';
  }
}

/** Reads and decodes an ONNX model file. External-data tensors stay external (their paths are kept relative to `dir`). */
export function readModel(file: string): { model: ModelProto; dir: string } {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch (e) {
    throw new ModelFileError(file, `cannot read the model file (${(e as Error).message})`);
  }
  let model: ModelProto;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (e) {
    throw new ModelFileError(file, `not a valid ONNX protobuf (${(e as Error).message})`);
  }
  if (!model.graph) throw new ModelFileError(file, 'the ONNX model has no graph');
  return { model, dir: path.dirname(file) };
}

/** Encodes a model to bytes. */
export function encodeModel(model: OnnxNs.IModelProto): Uint8Array {
  return onnx.ModelProto.encode(onnx.ModelProto.fromObject(model as Record<string, unknown>)).finish();
}

/** The external-data entries of a tensor as a map (location, offset, length). */
export function externalDataOf(t: TensorProto): Map<string, string> | undefined {
  if (t.dataLocation !== onnx.TensorProto.DataLocation.EXTERNAL) return undefined;
  return new Map((t.externalData ?? []).map((e) => [e.key ?? '', e.value ?? '']));
}

/** Every distinct external-data file a model refers to (relative to its folder). */
export function externalFiles(model: ModelProto): string[] {
  const out = new Set<string>();
  for (const t of model.graph?.initializer ?? []) {
    const loc = externalDataOf(t)?.get('location');
    if (loc) out.add(loc);
  }
  return [...out];
}

/** Converts an int64 field that protobufjs may give as a Long, number or string. */
export function toNumber(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string') return Number(v);
  if (typeof v === 'bigint') return Number(v);
  if (v && typeof v === 'object' && 'toNumber' in v) return (v as { toNumber(): number }).toNumber();
  return Number(v);
}

/**
 * Reads a float tensor's values (FLOAT, FLOAT16, BFLOAT16; raw, typed-field or external data).
 * Used to read the unembedding and norm weights out of a model.
 */
export function readFloatTensor(t: TensorProto, modelDir: string): Float32Array {
  const n = (t.dims ?? []).reduce<number>((a, d) => a * toNumber(d), 1);
  let raw: Uint8Array | undefined;
  const ext = externalDataOf(t);
  if (ext) {
    const file = path.join(modelDir, ext.get('location') ?? '');
    const offset = Number(ext.get('offset') ?? 0);
    const length = ext.has('length') ? Number(ext.get('length')) : undefined;
    const fd = fs.openSync(file, 'r');
    try {
      const size = length ?? fs.fstatSync(fd).size - offset;
      raw = Buffer.alloc(size);
      fs.readSync(fd, raw, 0, size, offset);
    } finally {
      fs.closeSync(fd);
    }
  } else if (t.rawData && t.rawData.length > 0) {
    raw = t.rawData;
  }
  const dt = t.dataType ?? 0;
  if (raw) {
    const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    const out = new Float32Array(n);
    if (dt === DataType.FLOAT) for (let i = 0; i < n; i++) out[i] = view.getFloat32(i * 4, true);
    else if (dt === DataType.FLOAT16) for (let i = 0; i < n; i++) out[i] = halfToFloat(view.getUint16(i * 2, true));
    else if (dt === DataType.BFLOAT16) for (let i = 0; i < n; i++) out[i] = bf16ToFloat(view.getUint16(i * 2, true));
    else throw new Error(`tensor ${t.name}: unsupported data type ${dt}`);
    return out;
  }
  if (dt === DataType.FLOAT) return Float32Array.from(t.floatData ?? []);
  if (dt === DataType.FLOAT16) return Float32Array.from(t.int32Data ?? [], (v) => halfToFloat(v));
  if (dt === DataType.BFLOAT16) return Float32Array.from(t.int32Data ?? [], (v) => bf16ToFloat(v));
  throw new Error(`tensor ${t.name}: unsupported data type ${dt}`);
}
