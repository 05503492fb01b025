/**
 * The weight matrix of a linear layer read out of an ONNX graph, dequantized where the
 * export quantized it: a float initializer (behind Cast / Identity / Transpose), a
 * DequantizeLinear'd integer initializer (per tensor, per axis or block-wise), a
 * com.microsoft MatMulNBits weight (2/4/8-bit blocks along K, optional zero points), or a
 * MatMulInteger weight with its zero point and the scale applied after it
 * (Mul(Cast(MatMulInteger), Mul(input scale, weight scale)), as onnxruntime's dynamic
 * quantizer writes it).
 */
import { constantTensor, dimsOf, intAttr, intsAttr, type GraphIndex } from '../model/graph-index.ts';
import { DataType, readFloatTensor, type NodeProto, type TensorProto } from '../model/onnx/proto.ts';
import { FloatMatrix, INT_TYPES, QuantMatrix, TensorBytes, unpackInts, type StoredMatrix } from './stored-matrix.ts';

/** A matrix-valued graph tensor: the stored matrix, and whether the graph uses it transposed. */
export interface MatrixRef {
  readonly matrix: StoredMatrix;
  /** True when the value the graph computes is the stored matrix transposed. */
  readonly transposed: boolean;
  /** The stored tensor and its dequantization, in words. */
  readonly how: string;
}

/** The weight W of a linear node y = x · W, W [inFeatures, outFeatures] (the stored matrix or its transpose). */
export interface LinearWeight extends MatrixRef {
  readonly inFeatures: number;
  readonly outFeatures: number;
}

const FLOATS = new Set<number>([DataType.FLOAT, DataType.FLOAT16, DataType.BFLOAT16]);
const label = (n: NodeProto): string => `${n.opType} ${n.name ?? ''}`.trim();
const described = (t: TensorProto): string => `${t.name} [${dimsOf(t).join(', ')}]`;

/** The float values of a constant (behind Cast / Identity), or undefined. */
export function floatValues(g: GraphIndex, name: string, dir: string, depth = 0): Float32Array | undefined {
  const t = constantTensor(g, name);
  if (t) return FLOATS.has(t.dataType ?? 0) ? readFloatTensor(t, dir) : undefined;
  const n = g.producer.get(name);
  if (!n || depth > 8 || (n.opType !== 'Cast' && n.opType !== 'Identity')) return undefined;
  return floatValues(g, n.input?.[0] ?? '', dir, depth + 1);
}

/** `count` zero points from an integer constant (packed like its data), or `fallback` each when there is none. */
function zeroPoints(g: GraphIndex, name: string | undefined, dir: string, count: number, fallback: number): Float32Array | string {
  if (!name) return new Float32Array(count).fill(fallback);
  const t = constantTensor(g, name);
  if (!t) return `its zero point ${name} is not a constant`;
  if (FLOATS.has(t.dataType ?? 0)) return readFloatTensor(t, dir);
  const type = INT_TYPES[t.dataType ?? 0];
  if (!type) return `its zero point ${name} has an unsupported type ${t.dataType}`;
  return Float32Array.from(unpackInts(new TensorBytes(t, dir).all(), type.bits, type.signed, 0, count));
}

/** A DequantizeLinear of a 2-D integer initializer: per tensor, per axis (1-D scale) or block-wise (`block_size`). */
function dequantizeLinear(g: GraphIndex, n: NodeProto, dir: string): MatrixRef | string {
  const [xName, sName, zName] = n.input ?? [];
  const x = constantTensor(g, xName ?? '');
  const type = x && INT_TYPES[x.dataType ?? 0];
  if (!x || !type) return `${label(n)} dequantizes ${xName}, which is not an integer constant`;
  const dims = dimsOf(x);
  if (dims.length !== 2) return `${label(n)} dequantizes ${described(x)}, not a matrix`;
  const [rows, cols] = dims as [number, number];
  const scales = floatValues(g, sName ?? '', dir);
  if (!scales) return `${label(n)} has no constant scale`;
  const axis = (intAttr(n, 'axis', 1) + 2) % 2;
  const block = intAttr(n, 'block_size', 0);
  let blockRows: number;
  let blockCols: number;
  if (scales.length === 1) [blockRows, blockCols] = [rows, cols];
  else if (block > 0) [blockRows, blockCols] = axis === 1 ? [1, block] : [block, 1];
  else [blockRows, blockCols] = axis === 1 ? [rows, 1] : [1, cols];
  const zp = zeroPoints(g, zName, dir, scales.length, 0);
  if (typeof zp === 'string') return `${label(n)}: ${zp}`;
  const how = `${described(x)} dequantized by ${label(n)} (${scales.length === 1 ? 'per tensor' : block > 0 ? `blocks of ${block} along axis ${axis}` : `per axis ${axis}`})`;
  const matrix = new QuantMatrix(new TensorBytes(x, dir), {
    rows,
    cols,
    bits: type.bits,
    signed: type.signed,
    rowStride: cols,
    blockRows,
    blockCols,
    scales,
    zeroPoints: zp,
  });
  return { matrix, transposed: false, how };
}

/** The matrix a graph tensor holds: a constant, possibly behind Cast / Identity / Transpose / DequantizeLinear; a string says why not. */
export function matrixValue(g: GraphIndex, name: string, dir: string, depth = 0): MatrixRef | string {
  const t = constantTensor(g, name);
  if (t) {
    const dims = dimsOf(t);
    if (dims.length !== 2) return `${described(t)} is not a matrix`;
    if (!FLOATS.has(t.dataType ?? 0)) return `${described(t)} is an integer tensor used without a dequantization this app can follow`;
    return { matrix: new FloatMatrix(new TensorBytes(t, dir), dims[0]!, dims[1]!), transposed: false, how: described(t) };
  }
  const n = g.producer.get(name);
  if (!n) return `${name} is a graph input, not a constant weight`;
  if (depth > 8) return `${name} is too far from a constant`;
  const op = n.opType ?? '';
  if (op === 'Cast' || op === 'Identity') return matrixValue(g, n.input?.[0] ?? '', dir, depth + 1);
  if (op === 'Transpose') {
    const perm = intsAttr(n, 'perm');
    if (perm && !(perm.length === 2 && perm[0] === 1 && perm[1] === 0))
      return `${label(n)} permutes [${perm.join(', ')}], not a matrix transpose`;
    const m = matrixValue(g, n.input?.[0] ?? '', dir, depth + 1);
    return typeof m === 'string' ? m : { ...m, transposed: !m.transposed, how: `${m.how}, transposed` };
  }
  if (op === 'DequantizeLinear') return dequantizeLinear(g, n, dir);
  return `${name} is computed by ${label(n)}, not a constant weight`;
}

/** MatMulNBits: B [N, ⌈K / block⌉, block · bits / 8] packed low bits first, y = A · dequant(B)ᵀ. */
function matMulNBits(g: GraphIndex, n: NodeProto, dir: string): MatrixRef | string {
  const ins = n.input ?? [];
  const K = intAttr(n, 'K', 0);
  const N = intAttr(n, 'N', 0);
  const bits = intAttr(n, 'bits', 4);
  const block = intAttr(n, 'block_size', 0);
  if (intAttr(n, 'weight_prepacked', 0)) return `${label(n)} has a prepacked (execution-provider specific) weight`;
  if (ins[4]) return `${label(n)} has a g_idx (act-order) input, which is not supported`;
  const b = constantTensor(g, ins[1] ?? '');
  if (!b || b.dataType !== DataType.UINT8) return `${label(n)}: its weight ${ins[1]} is not a uint8 constant`;
  const kBlocks = Math.ceil(K / block);
  const dims = dimsOf(b);
  if (!(K > 0 && N > 0 && block > 0) || dims[0] !== N || dims.reduce((a, c) => a * c, 1) !== N * kBlocks * ((block * bits) / 8))
    return `${label(n)}: weight ${described(b)} does not fit K=${K}, N=${N}, bits=${bits}, block_size=${block}`;
  const scales = floatValues(g, ins[2] ?? '', dir);
  if (scales?.length !== N * kBlocks) return `${label(n)}: its scales ${ins[2]} are not ${N}×${kBlocks} constants`;
  let zp: Float32Array | string;
  const zt = ins[3] ? constantTensor(g, ins[3]) : undefined;
  if (ins[3] && !zt) zp = `its zero points ${ins[3]} are not constant`;
  else if (zt && zt.dataType === DataType.UINT8) {
    // packed like B: each row of N holds ⌈kBlocks · bits / 8⌉ bytes
    const perRow = (Math.ceil((kBlocks * bits) / 8) * 8) / bits;
    const bytes = new TensorBytes(zt, dir).all();
    zp = new Float32Array(N * kBlocks);
    for (let r = 0; r < N; r++) zp.set(unpackInts(bytes, bits, false, r * perRow, kBlocks) as Float32Array, r * kBlocks);
  } else if (zt) zp = readFloatTensor(zt, dir);
  else zp = new Float32Array(N * kBlocks).fill(2 ** (bits - 1));
  if (typeof zp === 'string') return `${label(n)}: ${zp}`;
  const matrix = new QuantMatrix(new TensorBytes(b, dir), {
    rows: N,
    cols: K,
    bits,
    signed: false,
    rowStride: kBlocks * block,
    blockRows: 1,
    blockCols: block,
    scales,
    zeroPoints: zp,
  });
  return { matrix, transposed: true, how: `${described(b)}, ${bits}-bit blocks of ${block} of ${label(n)}` };
}

/** The consumers of `t`, past Casts. */
function consumersPastCasts(g: GraphIndex, t: string): NodeProto[] {
  return (g.consumers.get(t) ?? []).flatMap((c) => (c.opType === 'Cast' ? consumersPastCasts(g, c.output?.[0] ?? '') : [c]));
}

/** MatMulInteger's weight: (B − b_zero_point) · weight scale, the scale found in the Mul after it. */
function matMulInteger(g: GraphIndex, n: NodeProto, dir: string): MatrixRef | string {
  const ins = n.input ?? [];
  const b = constantTensor(g, ins[1] ?? '');
  const type = b && INT_TYPES[b.dataType ?? 0];
  if (!b || !type || type.bits !== 8 || dimsOf(b).length !== 2)
    return `${label(n)}: its weight ${ins[1]} is not an 8-bit integer matrix constant`;
  const [rows, cols] = dimsOf(b) as [number, number];
  // y = Cast(MatMulInteger(...)) · (input scale · weight scale): the weight scale is the constant factor
  let scales: Float32Array | undefined;
  for (const mul of consumersPastCasts(g, n.output?.[0] ?? '')) {
    if (mul.opType !== 'Mul') continue;
    for (const other of mul.input ?? []) {
      if (!other || other === n.output?.[0] || g.producer.get(other)?.opType === 'Cast') continue;
      scales = floatValues(g, other, dir);
      const p = g.producer.get(other);
      if (!scales && p?.opType === 'Mul') for (const f of p.input ?? []) scales ??= floatValues(g, f, dir);
    }
  }
  if (!scales || (scales.length !== 1 && scales.length !== cols))
    return `${label(n)}: the weight scale is not found (expected Mul(Cast(${n.output?.[0]}), Mul(input scale, weight scale)) with a constant weight scale)`;
  const zp = zeroPoints(g, ins[3], dir, scales.length, 0);
  if (typeof zp === 'string') return `${label(n)}: ${zp}`;
  const perColumn = scales.length === cols;
  const matrix = new QuantMatrix(new TensorBytes(b, dir), {
    rows,
    cols,
    bits: 8,
    signed: type.signed,
    rowStride: cols,
    blockRows: rows,
    blockCols: perColumn ? 1 : cols,
    scales,
    zeroPoints: zp.length === scales.length ? zp : new Float32Array(scales.length).fill(zp[0] ?? 0),
  });
  return { matrix, transposed: false, how: `${described(b)} of ${label(n)}, scaled ${perColumn ? 'per column' : 'per tensor'}` };
}

/** The weight of a linear node (MatMul, Gemm, MatMulNBits, MatMulInteger); a string says why it cannot be read. */
export function linearWeight(g: GraphIndex, node: NodeProto, dir: string): LinearWeight | string {
  const op = node.opType ?? '';
  const ins = node.input ?? [];
  let ref: MatrixRef | string;
  if (op === 'MatMul') ref = matrixValue(g, ins[1] ?? '', dir);
  else if (op === 'Gemm') {
    if (intAttr(node, 'transA', 0)) return `${label(node)} transposes its input (transA), which is not supported`;
    const m = matrixValue(g, ins[1] ?? '', dir);
    ref = typeof m === 'string' || !intAttr(node, 'transB', 0) ? m : { ...m, transposed: !m.transposed, how: `${m.how} (transB)` };
  } else if (op === 'MatMulNBits') ref = matMulNBits(g, node, dir);
  else if (op === 'MatMulInteger') ref = matMulInteger(g, node, dir);
  else return `${label(node)} is not a MatMul, Gemm, MatMulNBits or MatMulInteger`;
  if (typeof ref === 'string') return ref;
  const { rows, cols } = ref.matrix;
  return { ...ref, inFeatures: ref.transposed ? cols : rows, outFeatures: ref.transposed ? rows : cols };
}
