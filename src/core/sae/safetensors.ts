/**
 * safetensors reader and writer.
 *
 * Layout: u64 little-endian header length N, N bytes of JSON
 * `{name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__"?: {...}}`, then the data
 * block; offsets are relative to the start of the data block.
 *
 * The file is read into memory once; F32 tensors are returned as views into that buffer when
 * aligned (no copy), other dtypes are converted per tensor when asked for.
 */
import fs from 'node:fs';

import { SaeFileError, formatShape } from './errors.ts';
import { decodeBf16, decodeF16, encodeHalf } from '../util/halffloat.ts';
import type { Tensor } from './types.ts';

/** Bytes per element of every dtype in the safetensors spec. */
const DTYPE_SIZES = {
  BOOL: 1,
  U8: 1,
  I8: 1,
  F8_E5M2: 1,
  F8_E4M3: 1,
  F8_E8M0: 1,
  I16: 2,
  U16: 2,
  F16: 2,
  BF16: 2,
  I32: 4,
  U32: 4,
  F32: 4,
  F64: 8,
  I64: 8,
  U64: 8,
} as const satisfies Record<string, number>;

/** A dtype named by the safetensors spec. */
export type SafetensorsDtype = keyof typeof DTYPE_SIZES;

/** The dtypes this reader converts to float32. */
export const FLOAT_DTYPES: readonly SafetensorsDtype[] = ['F32', 'F16', 'BF16', 'F64'];

/** One tensor's header entry, with its absolute position in the file. */
export interface SafetensorsEntry {
  readonly name: string;
  readonly dtype: SafetensorsDtype;
  readonly shape: readonly number[];
  /** Absolute byte offset of the tensor's data in the file. */
  readonly byteOffset: number;
  readonly byteLength: number;
}

/** A parsed safetensors file: its header, and float32 access to its tensors. */
export interface SafetensorsFile {
  readonly file: string;
  /** Tensor entries in header order. */
  readonly entries: ReadonlyMap<string, SafetensorsEntry>;
  /** The `__metadata__` string map, when present (otherwise ignored). */
  readonly metadata: Readonly<Record<string, unknown>> | undefined;
  has(name: string): boolean;
  /**
   * The tensor as float32. F32 data may be a view sharing the file's buffer (check
   * `data.byteOffset`); each call to a converting dtype makes a fresh array.
   * Throws SaeFileError when the tensor is missing or not a float dtype.
   */
  tensor(name: string): Tensor;
}

/** Read and validate a safetensors file (the whole file is read once into memory). */
export function readSafetensors(file: string): SafetensorsFile {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch (err) {
    throw new SaeFileError(file, `cannot read safetensors file (${(err as Error).message})`, { cause: err });
  }
  return parseSafetensors(bytes, file);
}

/**
 * Parse and validate safetensors bytes. Every entry is checked: known dtype, integer shape,
 * offsets inside the data block and equal to shape × dtype size.
 *
 * @param file used in error messages only.
 */
export function parseSafetensors(bytes: Uint8Array, file: string): SafetensorsFile {
  if (bytes.length < 8) {
    throw new SaeFileError(file, `not a safetensors file: ${bytes.length} bytes, shorter than the 8-byte header length`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen = view.getBigUint64(0, true);
  if (headerLen > BigInt(bytes.length - 8)) {
    throw new SaeFileError(
      file,
      `safetensors header length ${headerLen} goes beyond the end of the file (${bytes.length} bytes; truncated or not a safetensors file)`,
    );
  }
  const hLen = Number(headerLen);
  const dataStart = 8 + hLen;
  const dataLen = bytes.length - dataStart;

  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, dataStart)));
  } catch (err) {
    throw new SaeFileError(file, `safetensors header is not valid JSON (${(err as Error).message})`, { cause: err });
  }
  if (!isRecord(header)) throw new SaeFileError(file, 'safetensors header is not a JSON object');

  const entries = new Map<string, SafetensorsEntry>();
  let metadata: Record<string, unknown> | undefined;
  for (const [name, raw] of Object.entries(header)) {
    if (name === '__metadata__') {
      if (isRecord(raw)) metadata = raw;
      continue;
    }
    entries.set(name, parseEntry(file, name, raw, dataStart, dataLen));
  }

  return {
    file,
    entries,
    metadata,
    has: (name) => entries.has(name),
    tensor: (name) => {
      const e = entries.get(name);
      if (!e) throw new SaeFileError(file, `tensor ${name} is missing`, { tensor: name });
      return { data: toFloat32(file, bytes, e), shape: e.shape };
    },
  };
}

function parseEntry(file: string, name: string, raw: unknown, dataStart: number, dataLen: number): SafetensorsEntry {
  const bad = (what: string): SaeFileError =>
    new SaeFileError(file, `safetensors header entry for tensor ${name}: ${what}`, { tensor: name });
  if (!isRecord(raw)) throw bad('not an object');
  const { dtype, shape, data_offsets: offsets } = raw;
  if (typeof dtype !== 'string' || !(dtype in DTYPE_SIZES)) {
    throw bad(`unknown dtype ${JSON.stringify(dtype)} (known: ${Object.keys(DTYPE_SIZES).join(', ')})`);
  }
  if (!Array.isArray(shape) || !shape.every((d): d is number => Number.isSafeInteger(d) && d >= 0)) {
    throw bad(`shape ${JSON.stringify(shape)} is not a list of non-negative integers`);
  }
  if (
    !Array.isArray(offsets) ||
    offsets.length !== 2 ||
    !offsets.every((o): o is number => Number.isSafeInteger(o) && o >= 0)
  ) {
    throw bad(`data_offsets ${JSON.stringify(offsets)} is not a pair of non-negative integers`);
  }
  const [begin, end] = offsets as [number, number];
  if (begin > end || end > dataLen) {
    throw bad(`data_offsets [${begin}, ${end}] out of range: the data block holds ${dataLen} bytes`);
  }
  const size = DTYPE_SIZES[dtype as SafetensorsDtype];
  const expected = shape.reduce((a, d) => a * d, 1) * size;
  if (end - begin !== expected) {
    throw bad(
      `data_offsets [${begin}, ${end}] span ${end - begin} bytes but shape ${formatShape(shape)} of ${dtype} needs ${expected}`,
    );
  }
  return { name, dtype: dtype as SafetensorsDtype, shape, byteOffset: dataStart + begin, byteLength: end - begin };
}

function toFloat32(file: string, bytes: Uint8Array, e: SafetensorsEntry): Float32Array {
  const count = e.byteLength / DTYPE_SIZES[e.dtype];
  const abs = bytes.byteOffset + e.byteOffset;
  switch (e.dtype) {
    case 'F32':
      if (abs % 4 === 0) return new Float32Array(bytes.buffer, abs, count);
      // Unaligned (odd header length): one copy of this tensor only.
      return new Float32Array(copyBytes(bytes, e.byteOffset, e.byteLength));
    case 'F64': {
      const f64 =
        abs % 8 === 0
          ? new Float64Array(bytes.buffer, abs, count)
          : new Float64Array(copyBytes(bytes, e.byteOffset, e.byteLength));
      return Float32Array.from(f64);
    }
    case 'F16':
      return decodeF16(bytes, e.byteOffset, count);
    case 'BF16':
      return decodeBf16(bytes, e.byteOffset, count);
    default:
      throw new SaeFileError(file, `tensor ${e.name} has dtype ${e.dtype}; only ${FLOAT_DTYPES.join(', ')} can be loaded`, {
        tensor: e.name,
      });
  }
}

/** A tensor to write: float32 data, row-major, with its shape. */
export interface TensorToWrite {
  readonly data: Float32Array;
  readonly shape: readonly number[];
}

/** Serialize tensors to safetensors bytes (header padded with spaces to 8 bytes, as the Rust writer does). */
export function encodeSafetensors(
  tensors: Readonly<Record<string, TensorToWrite>>,
  dtype: 'F32' | 'F16' | 'BF16' = 'F32',
  metadata: Readonly<Record<string, string>> = { format: 'pt' },
): Buffer {
  const header: Record<string, unknown> = { __metadata__: metadata };
  const blobs: Uint8Array[] = [];
  let offset = 0;
  for (const [name, t] of Object.entries(tensors)) {
    const numel = t.shape.reduce((a, d) => a * d, 1);
    if (numel !== t.data.length) {
      throw new Error(`writeSafetensors: tensor ${name} has ${t.data.length} values but shape ${formatShape(t.shape)}`);
    }
    const blob =
      dtype === 'F32'
        ? new Uint8Array(Float32Array.from(t.data).buffer) // fresh copy: t.data may be an unaligned view
        : encodeHalf(t.data, dtype);
    header[name] = { dtype, shape: [...t.shape], data_offsets: [offset, offset + blob.length] };
    blobs.push(blob);
    offset += blob.length;
  }
  let json = Buffer.from(JSON.stringify(header), 'utf8');
  const pad = (8 - (json.length % 8)) % 8;
  if (pad) json = Buffer.concat([json, Buffer.alloc(pad, 0x20)]);
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  return Buffer.concat([len, json, ...blobs]);
}

/** Write tensors to a safetensors file (used by tests and tools). */
export function writeSafetensors(
  file: string,
  tensors: Readonly<Record<string, TensorToWrite>>,
  dtype: 'F32' | 'F16' | 'BF16' = 'F32',
): void {
  fs.writeFileSync(file, encodeSafetensors(tensors, dtype));
}

/** A fresh, aligned copy of a byte range (Buffer#slice would return a view, not a copy). */
function copyBytes(bytes: Uint8Array, offset: number, length: number): ArrayBuffer {
  const out = new Uint8Array(length);
  out.set(bytes.subarray(offset, offset + length));
  return out.buffer;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
