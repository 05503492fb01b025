/**
 * The attention output projection W_O [H·D, d_model] of one block, read from the node that
 * projects the concatenated heads z (the `projection` of an `attn.hook_z` hook site): the
 * weight of a MatMul, a Gemm (transB), a MatMulNBits or a MatMulInteger, dequantized. A
 * hook_z decoder row w (length H·D, head-major as SAELens flattens z) writes w · W_O into
 * the residual stream, which is what its logit effects are taken of.
 */
import { indexGraph, type GraphIndex } from '../model/graph-index.ts';
import type { GraphProto, NodeProto } from '../model/onnx/proto.ts';
import { linearWeight } from './linear-weight.ts';
import { readAll } from './stored-matrix.ts';

/** W_O as a dense row-major [inFeatures = H·D, outFeatures = d_model] matrix. */
export interface OutputProjection {
  readonly data: Float32Array;
  readonly inFeatures: number;
  readonly outFeatures: number;
  /** Where it was read, in words. */
  readonly how: string;
}

/** Reads W_O from the projection node; a string says why it cannot be read. */
export function outputProjection(graph: GraphProto | GraphIndex, node: NodeProto, dir: string): OutputProjection | string {
  const g = 'producer' in graph ? graph : indexGraph(graph);
  const w = linearWeight(g, node, dir);
  if (typeof w === 'string') return `the attention output projection ${node.opType} ${node.name ?? ''}: ${w}`;
  const stored = readAll(w.matrix);
  const { rows, cols } = w.matrix;
  let data = stored;
  if (w.transposed) {
    data = new Float32Array(rows * cols);
    for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) data[c * rows + r] = stored[r * cols + c]!;
  }
  return {
    data,
    inFeatures: w.inFeatures,
    outFeatures: w.outFeatures,
    how: `${w.how}, the weight of ${node.opType} ${node.name ?? ''}`.trim(),
  };
}

/** The residual-stream direction w · W_O of a hook_z direction `w` (length H·D). */
export function throughProjection(w: Float32Array, wo: OutputProjection): Float32Array {
  if (w.length !== wo.inFeatures)
    throw new Error(`a direction of length ${w.length} cannot go through W_O [${wo.inFeatures}, ${wo.outFeatures}]`);
  const out = new Float32Array(wo.outFeatures);
  for (let k = 0; k < wo.inFeatures; k++) {
    const c = w[k]!;
    if (c === 0) continue;
    const o = k * wo.outFeatures;
    for (let j = 0; j < wo.outFeatures; j++) out[j]! += c * wo.data[o + j]!;
  }
  return out;
}
