/**
 * 2-D matrices stored in ONNX initializers, decoded a block of rows at a time: float tensors
 * (float32, float16, bfloat16) and integer-quantized ones, dequantized as
 * (q − zero_point) · scale with one scale per tensor, per row, per column or per block of a
 * row or column. DequantizeLinear, MatMulNBits, MatMulInteger and GatherBlockQuantized
 * weights all reduce to that. External data is read by byte range, so a matrix larger than
 * memory allows never has to be decoded whole.
 */
import fs from 'node:fs';
import path from 'node:path';
import { bf16ToFloat, halfToFloat } from '../util/halffloat.ts';
import { DataType, externalDataOf, type TensorProto } from '../model/onnx/proto.ts';

/** ONNX element types used by quantized weights, besides those `DataType` names. */
export const QuantType = { UINT16: 4, INT16: 5, UINT4: 21, INT4: 22 } as const;

/** Bits per element and signedness of the integer types a quantized weight may have. */
export const INT_TYPES: Readonly<Record<number, { bits: number; signed: boolean }>> = {
  [DataType.UINT8]: { bits: 8, signed: false },
  [DataType.INT8]: { bits: 8, signed: true },
  [QuantType.UINT16]: { bits: 16, signed: false },
  [QuantType.INT16]: { bits: 16, signed: true },
  [QuantType.UINT4]: { bits: 4, signed: false },
  [QuantType.INT4]: { bits: 4, signed: true },
};

const FLOAT_BYTES: Partial<Record<number, number>> = { [DataType.FLOAT]: 4, [DataType.FLOAT16]: 2, [DataType.BFLOAT16]: 2 };

/** Bytes per int32_data entry of an inline tensor (ONNX stores 8- and 16-bit values and packed 4-bit pairs one per entry). */
function int32EntryBytes(dataType: number): number | undefined {
  if (dataType === DataType.FLOAT16 || dataType === DataType.BFLOAT16) return 2;
  const t = INT_TYPES[dataType];
  return t ? (t.bits === 16 ? 2 : 1) : undefined;
}

/** The bytes of one initializer, inline or in its external-data file, read by range. */
export class TensorBytes {
  readonly #inline: Uint8Array | undefined;
  readonly #file: string | undefined;
  readonly #offset: number;
  readonly length: number;

  constructor(
    readonly tensor: TensorProto,
    modelDir: string,
  ) {
    const ext = externalDataOf(tensor);
    const dt = tensor.dataType ?? 0;
    if (ext) {
      this.#file = path.join(modelDir, ext.get('location') ?? '');
      this.#offset = Number(ext.get('offset') ?? 0);
      this.length = ext.has('length') ? Number(ext.get('length')) : fs.statSync(this.#file).size - this.#offset;
      return;
    }
    this.#offset = 0;
    if (tensor.rawData && tensor.rawData.length > 0) this.#inline = tensor.rawData;
    else if (dt === DataType.FLOAT) this.#inline = new Uint8Array(Float32Array.from(tensor.floatData ?? []).buffer);
    else {
      const size = int32EntryBytes(dt);
      if (size === undefined) throw new Error(`tensor ${tensor.name}: unsupported data type ${dt}`);
      const ints = tensor.int32Data ?? [];
      const out = new Uint8Array(ints.length * size);
      ints.forEach((v, i) => {
        out[i * size] = v & 0xff;
        if (size === 2) out[i * size + 1] = (v >> 8) & 0xff;
      });
      this.#inline = out;
    }
    this.length = this.#inline.byteLength;
  }

  /** Bytes [start, end) (clamped to the tensor). */
  read(start: number, end: number): Uint8Array {
    const e = Math.min(end, this.length);
    if (this.#inline) return this.#inline.subarray(start, e);
    const buf = Buffer.alloc(Math.max(0, e - start));
    const fd = fs.openSync(this.#file!, 'r');
    try {
      const got = fs.readSync(fd, buf, 0, buf.length, this.#offset + start);
      if (got !== buf.length)
        throw new Error(`${this.#file}: short read of ${this.tensor.name} (${got} of ${buf.length} bytes at ${start})`);
    } finally {
      fs.closeSync(fd);
    }
    return buf;
  }

  /** Every byte. */
  all(): Uint8Array {
    return this.read(0, this.length);
  }
}

/** A row-major matrix as stored, decoded a block of rows at a time. */
export interface StoredMatrix {
  readonly rows: number;
  readonly cols: number;
  /** Writes rows [r0, r0 + n) as float32 into `out` (n · cols values). */
  read(r0: number, n: number, out: Float32Array): void;
}

/** A float32 / float16 / bfloat16 initializer of `rows × cols` elements. */
export class FloatMatrix implements StoredMatrix {
  readonly #size: number;

  constructor(
    private readonly bytes: TensorBytes,
    readonly rows: number,
    readonly cols: number,
  ) {
    const size = FLOAT_BYTES[bytes.tensor.dataType ?? 0];
    if (size === undefined) throw new Error(`tensor ${bytes.tensor.name}: data type ${bytes.tensor.dataType} is not a float type`);
    this.#size = size;
  }

  read(r0: number, n: number, out: Float32Array): void {
    const count = n * this.cols;
    const raw = this.bytes.read(r0 * this.cols * this.#size, (r0 + n) * this.cols * this.#size);
    if (raw.byteLength < count * this.#size)
      throw new Error(`tensor ${this.bytes.tensor.name}: holds fewer than ${this.rows}×${this.cols} values`);
    const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    const dt = this.bytes.tensor.dataType;
    if (dt === DataType.FLOAT) for (let i = 0; i < count; i++) out[i] = view.getFloat32(i * 4, true);
    else if (dt === DataType.FLOAT16) for (let i = 0; i < count; i++) out[i] = halfToFloat(view.getUint16(i * 2, true));
    else for (let i = 0; i < count; i++) out[i] = bf16ToFloat(view.getUint16(i * 2, true));
  }
}

/** How a quantized matrix is laid out and dequantized. */
export interface QuantLayout {
  readonly rows: number;
  readonly cols: number;
  readonly bits: number;
  readonly signed: boolean;
  /** Elements from the start of one stored row to the next (≥ cols: MatMulNBits pads rows to whole blocks). */
  readonly rowStride: number;
  /**
   * Element (r, c) uses block (⌊r / blockRows⌋, ⌊c / blockCols⌋) of `scales` and `zeroPoints`,
   * stored row-major with ⌈cols / blockCols⌉ blocks a row.
   */
  readonly blockRows: number;
  readonly blockCols: number;
  readonly scales: Float32Array;
  /** One zero point per scale. */
  readonly zeroPoints: Float32Array;
}

/**
 * Unpacks `count` integers of `bits` bits (low bits first within a byte, as ONNX and the
 * com.microsoft quantized ops pack them) starting at element `first` of `bytes`.
 */
export function unpackInts(
  bytes: Uint8Array,
  bits: number,
  signed: boolean,
  first: number,
  count: number,
  out: Float32Array | number[] = new Float32Array(count),
): Float32Array | number[] {
  const half = 2 ** (bits - 1);
  const mask = (1 << Math.min(bits, 8)) - 1;
  for (let i = 0; i < count; i++) {
    const bit = (first + i) * bits;
    const at = bit >> 3;
    let v = bits === 16 ? bytes[at]! | (bytes[at + 1]! << 8) : (bytes[at]! >> (bit & 7)) & mask;
    if (signed && v >= half) v -= 2 * half;
    out[i] = v;
  }
  return out;
}

/** An integer-quantized matrix, dequantized on read. */
export class QuantMatrix implements StoredMatrix {
  readonly rows: number;
  readonly cols: number;
  readonly #scaleCols: number;

  constructor(
    private readonly bytes: TensorBytes,
    private readonly q: QuantLayout,
  ) {
    this.rows = q.rows;
    this.cols = q.cols;
    this.#scaleCols = Math.ceil(q.cols / q.blockCols);
    const blocks = Math.ceil(q.rows / q.blockRows) * this.#scaleCols;
    if (q.scales.length !== blocks || q.zeroPoints.length !== blocks)
      throw new Error(
        `tensor ${bytes.tensor.name}: ${q.scales.length} scales / ${q.zeroPoints.length} zero points for ${blocks} blocks of ${q.blockRows}×${q.blockCols}`,
      );
    const need = Math.ceil(((q.rows - 1) * q.rowStride + q.cols) * (q.bits / 8));
    if (bytes.length < need)
      throw new Error(`tensor ${bytes.tensor.name}: ${bytes.length} bytes, ${need} needed for ${q.rows}×${q.cols} at ${q.bits} bits`);
  }

  read(r0: number, n: number, out: Float32Array): void {
    const { bits, signed, rowStride, blockRows, blockCols, scales, zeroPoints, cols } = this.q;
    const firstBit = r0 * rowStride * bits;
    const startByte = Math.floor(firstBit / 8);
    const raw = this.bytes.read(startByte, Math.ceil((((r0 + n - 1) * rowStride + cols) * bits) / 8));
    const base = (firstBit - startByte * 8) / bits; // element offset of (r0, 0) within `raw` (0 unless sub-byte)
    const row = new Float32Array(cols);
    for (let r = 0; r < n; r++) {
      unpackInts(raw, bits, signed, base + r * rowStride, cols, row);
      const sRow = Math.floor((r0 + r) / blockRows) * this.#scaleCols;
      const o = r * cols;
      for (let c0 = 0; c0 < cols; c0 += blockCols) {
        const b = sRow + c0 / blockCols;
        const s = scales[b]!;
        const z = zeroPoints[b]!;
        const end = Math.min(cols, c0 + blockCols);
        for (let c = c0; c < end; c++) out[o + c] = (row[c]! - z) * s;
      }
    }
  }
}

/** Reads every value of a matrix into one array. */
export function readAll(m: StoredMatrix): Float32Array {
  const out = new Float32Array(m.rows * m.cols);
  m.read(0, m.rows, out);
  return out;
}
