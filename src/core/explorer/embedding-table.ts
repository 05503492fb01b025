/**
 * The token-embedding table E [vocab, d_model] of a model, for tied unembeddings (W_U = Eᵀ):
 * the table a Gather reads rows of by the input ids: a float initializer (also behind a
 * Transpose, as onnxruntime-genai ties `lm_head.MatMul.weight`), a DequantizeLinear'd one,
 * an integer table whose gathered rows are dequantized (Gather → DequantizeLinear), or a
 * com.microsoft GatherBlockQuantized table.
 */
import { constantTensor, dimsOf, intAttr, type GraphIndex } from '../model/graph-index.ts';
import { DataType, toNumber, type NodeProto, type TensorProto } from '../model/onnx/proto.ts';
import { floatValues, matrixValue, type MatrixRef } from './linear-weight.ts';
import { INT_TYPES, QuantMatrix, QuantType, TensorBytes, unpackInts } from './stored-matrix.ts';

/** An embedding table: its matrix reference (the value E [vocab, d], the stored matrix or its transpose) and vocabulary size. */
export interface EmbeddingTable {
  readonly ref: MatrixRef;
  readonly vocab: number;
}

const label = (n: NodeProto): string => `${n.opType} ${n.name ?? ''}`.trim();

/** Gather(int table) → DequantizeLinear(rows, scale, zero point): per-tensor or per-column (d_model) scales. */
function dequantizedAfterGather(g: GraphIndex, gather: NodeProto, dir: string): MatrixRef | undefined {
  const t = constantTensor(g, gather.input?.[0] ?? '');
  const type = t && INT_TYPES[t.dataType ?? 0];
  const dims = t ? dimsOf(t) : [];
  if (!t || !type || dims.length !== 2) return undefined;
  const dq = (g.consumers.get(gather.output?.[0] ?? '') ?? []).find(
    (c) => c.opType === 'DequantizeLinear' && c.input?.[0] === gather.output?.[0],
  );
  if (!dq || intAttr(dq, 'block_size', 0)) return undefined;
  const [rows, cols] = dims as [number, number];
  const scales = floatValues(g, dq.input?.[1] ?? '', dir);
  if (!scales || (scales.length !== 1 && scales.length !== cols)) return undefined;
  let zp = new Float32Array(scales.length);
  const zName = dq.input?.[2];
  if (zName) {
    const z = constantTensor(g, zName);
    const zType = z && INT_TYPES[z.dataType ?? 0];
    if (!z || !zType) return undefined;
    zp = Float32Array.from(unpackInts(new TensorBytes(z, dir).all(), zType.bits, zType.signed, 0, scales.length));
  }
  const matrix = new QuantMatrix(new TensorBytes(t, dir), {
    rows,
    cols,
    bits: type.bits,
    signed: type.signed,
    rowStride: cols,
    blockRows: rows,
    blockCols: scales.length === 1 ? cols : 1,
    scales,
    zeroPoints: zp,
  });
  return { matrix, transposed: false, how: `${t.name} [${rows}, ${cols}] gathered then dequantized by ${label(dq)}` };
}

/** The constant behind `name`, possibly through a Reshape by a constant shape (whose dims it then takes). */
function reshapedConstant(g: GraphIndex, name: string): { tensor: TensorProto; dims: number[] } | undefined {
  const t = constantTensor(g, name);
  if (t) return { tensor: t, dims: dimsOf(t) };
  const n = g.producer.get(name);
  if (n?.opType !== 'Reshape') return undefined;
  const inner = constantTensor(g, n.input?.[0] ?? '');
  const shape = constantTensor(g, n.input?.[1] ?? '');
  if (!inner || !shape) return undefined;
  const raw = shape.rawData;
  const values = raw?.length
    ? Array.from({ length: raw.byteLength / 8 }, (_, i) =>
        Number(new DataView(raw.buffer, raw.byteOffset, raw.byteLength).getBigInt64(i * 8, true)),
      )
    : (shape.int64Data ?? []).map(toNumber);
  const total = dimsOf(inner).reduce((a, c) => a * c, 1);
  const known = values.reduce((a, c) => (c > 0 ? a * c : a), 1);
  const dims = values.map((v, i) => (v === -1 ? total / known : v === 0 ? (dimsOf(inner)[i] ?? 0) : v));
  return { tensor: inner, dims };
}

/** com.microsoft GatherBlockQuantized: uint8 (2/4/8 bits packed along the last axis) or int4/uint4 data, block-wise scales along `quantize_axis`. */
function gatherBlockQuantized(g: GraphIndex, n: NodeProto, dir: string): MatrixRef | string {
  const ins = n.input ?? [];
  const data = reshapedConstant(g, ins[0] ?? '');
  if (!data || data.dims.length !== 2) return `${label(n)}: its data ${ins[0]} is not a constant matrix`;
  const dt = data.tensor.dataType ?? 0;
  if (intAttr(n, 'gather_axis', 0) !== 0) return `${label(n)} gathers along axis ${intAttr(n, 'gather_axis', 0)}, not 0`;
  const packed = dt === DataType.UINT8;
  if (!packed && dt !== QuantType.INT4 && dt !== QuantType.UINT4) return `${label(n)}: data type ${dt} is not supported`;
  const bits = packed ? intAttr(n, 'bits', 4) : 4;
  const signed = dt === QuantType.INT4;
  const rows = data.dims[0]!;
  const cols = packed ? (data.dims[1]! * 8) / bits : data.dims[1]!;
  const block = intAttr(n, 'block_size', 128);
  const axis = (intAttr(n, 'quantize_axis', 1) + 2) % 2;
  const [blockRows, blockCols] = axis === 1 ? [1, block] : [block, 1];
  const scaleRows = Math.ceil(rows / blockRows);
  const scaleCols = Math.ceil(cols / blockCols);
  const scales = floatValues(g, ins[2] ?? '', dir);
  if (scales?.length !== scaleRows * scaleCols) return `${label(n)}: its scales ${ins[2]} are not ${scaleRows}×${scaleCols} constants`;
  let zp: Float32Array;
  if (!ins[3]) zp = new Float32Array(scales.length).fill(packed ? 2 ** (bits - 1) : 0);
  else {
    const z = reshapedConstant(g, ins[3]);
    if (!z) return `${label(n)}: its zero points ${ins[3]} are not constant`;
    const bytes = new TensorBytes(z.tensor, dir).all();
    // uint8 zero points are packed per row like the data; int4/uint4 tensors are packed flat
    const perRow = packed ? (Math.ceil((scaleCols * bits) / 8) * 8) / bits : scaleCols;
    zp = new Float32Array(scales.length);
    for (let r = 0; r < scaleRows; r++) zp.set(unpackInts(bytes, bits, signed, r * perRow, scaleCols) as Float32Array, r * scaleCols);
  }
  const matrix = new QuantMatrix(new TensorBytes(data.tensor, dir), {
    rows,
    cols,
    bits,
    signed,
    rowStride: cols,
    blockRows,
    blockCols,
    scales,
    zeroPoints: zp,
  });
  return { matrix, transposed: false, how: `${data.tensor.name} [${rows}, ${cols}], ${bits}-bit blocks of ${block} of ${label(n)}` };
}

/** True when `t` is the `input_ids` graph input, possibly behind Cast / Identity. */
function fromInputIds(g: GraphIndex, t: string): boolean {
  for (let i = 0; i < 8; i++) {
    if (t === 'input_ids') return true;
    const p = g.producer.get(t);
    if (!p || (p.opType !== 'Cast' && p.opType !== 'Identity')) return false;
    t = p.input?.[0] ?? '';
  }
  return false;
}

/** The table a Gather or GatherBlockQuantized node reads, or undefined when it is not one this app can read. */
function tableOf(g: GraphIndex, n: NodeProto, dir: string): MatrixRef | undefined {
  if (n.opType === 'GatherBlockQuantized') {
    const r = gatherBlockQuantized(g, n, dir);
    return typeof r === 'string' ? undefined : r;
  }
  if (n.opType !== 'Gather' || intAttr(n, 'axis', 0) !== 0) return undefined;
  const r = matrixValue(g, n.input?.[0] ?? '', dir);
  return typeof r === 'string' ? dequantizedAfterGather(g, n, dir) : r;
}

/** The token-embedding table of width `dModel`: the one gathered by `input_ids`, else the largest. */
export function embeddingTable(g: GraphIndex, dModel: number, dir: string): EmbeddingTable | undefined {
  const found: (EmbeddingTable & { byIds: boolean })[] = [];
  for (const n of g.graph.node ?? []) {
    if (n.opType !== 'Gather' && n.opType !== 'GatherBlockQuantized') continue;
    let ref: MatrixRef | undefined;
    try {
      ref = tableOf(g, n, dir);
    } catch {
      ref = undefined; // a malformed table is skipped like any other non-embedding Gather
    }
    if (!ref) continue;
    const { rows, cols } = ref.matrix;
    const [vocab, width] = ref.transposed ? [cols, rows] : [rows, cols];
    if (width !== dModel) continue;
    found.push({ ref, vocab, byIds: fromInputIds(g, n.input?.[1] ?? '') });
  }
  return found.sort((a, b) => Number(b.byIds) - Number(a.byIds) || b.vocab - a.vocab)[0];
}
