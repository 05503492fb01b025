/**
 * Finds a model's unembedding W_U in its ONNX graph and projects directions through it.
 *
 * From the `logits` output, walk back through value-preserving or elementwise ops (Cast,
 * Identity, Reshape, soft-capping Div/Tanh/Mul, a bias Add, ...) to the MatMul or Gemm
 * that makes the logits; its weight input is W_U: an initializer, possibly behind
 * Transpose / Cast / Identity, or Gemm with transB. When the walk fails and the model's
 * embeddings are tied (config `tie_word_embeddings` not false, HF's default), the
 * token-embedding table feeding the first Gather is used transposed.
 */
import fs from 'node:fs';
import path from 'node:path';
import { bf16ToFloat, halfToFloat } from '../util/halffloat.ts';
import {
  DataType,
  externalDataOf,
  readFloatTensor,
  readModel,
  toNumber,
  type GraphProto,
  type NodeProto,
  type TensorProto,
} from '../model/onnx/proto.ts';

/** Elements held in memory as float32 at most (1 GiB); larger external tensors are streamed from disk per request. */
export const MAX_IN_MEMORY = 1 << 28;

/** Where W_U lives and how it is laid out. */
export interface UnembeddingInfo {
  readonly tensor: TensorProto;
  /** `dV`: stored [d_model, vocab] (x · W); `Vd`: stored [vocab, d_model] (x · Wᵀ). */
  readonly layout: 'dV' | 'Vd';
  readonly vocab: number;
  /** How it was found, in words (e.g. "onnx::MatMul_939 [192, 4096], the weight of MatMul /MatMul → logits"). */
  readonly how: string;
}

/** Ops the walk from `logits` back to its MatMul passes through, following their data input (input 0). */
const DATA_OPS = new Set(['Cast', 'Identity', 'Reshape', 'Squeeze', 'Unsqueeze', 'Flatten', 'Tanh', 'Slice', 'Softcap']);
/** Elementwise ops passed through when exactly one input is computed (a bias, a soft-capping constant). */
const ELEMENTWISE = new Set(['Add', 'Sub', 'Mul', 'Div']);

const dimsOf = (t: TensorProto): number[] => (t.dims ?? []).map(toNumber);

interface Graph {
  readonly inits: Map<string, TensorProto>;
  readonly producer: Map<string, NodeProto>;
}

function index(graph: GraphProto): Graph {
  const inits = new Map((graph.initializer ?? []).map((t) => [t.name ?? '', t]));
  const producer = new Map<string, NodeProto>();
  for (const n of graph.node ?? []) for (const o of n.output ?? []) if (o) producer.set(o, n);
  return { inits, producer };
}

/** A constant tensor: an initializer or a Constant node's value. */
function constant(g: Graph, name: string): TensorProto | undefined {
  const t = g.inits.get(name);
  if (t) return t;
  const n = g.producer.get(name);
  if (n?.opType === 'Constant') return (n.attribute ?? []).find((a) => a.name === 'value')?.t ?? undefined;
  return undefined;
}

/** A 2-D weight behind Transpose / Cast / Identity; `transposed` says whether it is used transposed. */
function weight(g: Graph, name: string, depth = 0): { tensor: TensorProto; transposed: boolean } | undefined {
  const t = constant(g, name);
  if (t) return dimsOf(t).length === 2 ? { tensor: t, transposed: false } : undefined;
  const n = g.producer.get(name);
  if (!n || depth > 8) return undefined;
  if (n.opType === 'Cast' || n.opType === 'Identity') return weight(g, n.input?.[0] ?? '', depth + 1);
  if (n.opType === 'Transpose') {
    const perm = (n.attribute ?? []).find((a) => a.name === 'perm')?.ints?.map(toNumber);
    if (perm && !(perm.length === 2 && perm[0] === 1 && perm[1] === 0)) return undefined;
    const w = weight(g, n.input?.[0] ?? '', depth + 1);
    return w && { ...w, transposed: !w.transposed };
  }
  return undefined;
}

/** Layout of a weight used as `x · W` (effective [d, V]) given whether it is used transposed. */
function place(t: TensorProto, usedTransposed: boolean, dModel: number, how: string): UnembeddingInfo | string {
  const [a, b] = dimsOf(t) as [number, number];
  const layout = usedTransposed ? 'Vd' : 'dV';
  const [d, vocab] = usedTransposed ? [b, a] : [a, b];
  if (d !== dModel) return `${t.name} [${a}, ${b}] (${how}) does not have the model width ${dModel} where expected`;
  return { tensor: t, layout, vocab, how: `${t.name} [${a}, ${b}], ${how}` };
}

/** Walks from the logits output to the unembedding; a string says why it failed. */
function fromLogits(graph: GraphProto, g: Graph, dModel: number): UnembeddingInfo | string {
  const outputs = (graph.output ?? []).map((o) => o.name ?? '');
  const out = outputs.find((o) => o === 'logits') ?? outputs[0];
  if (!out) return 'the graph has no outputs';
  let cur = out;
  for (let step = 0; step < 64; step++) {
    const n = g.producer.get(cur);
    if (!n) return `nothing in the graph produces "${cur}" (walking back from ${out})`;
    const ins = n.input ?? [];
    const op = n.opType ?? '';
    if (op === 'MatMul') {
      const w = weight(g, ins[1] ?? '');
      if (!w)
        return `the MatMul ${n.name ?? ''} making ${out} has no constant weight input (${ins[1]}); quantized or computed weights are not supported`;
      return place(w.tensor, w.transposed, dModel, `the weight of MatMul ${n.name ?? ''} → ${out}`);
    }
    if (op === 'Gemm') {
      const w = weight(g, ins[1] ?? '');
      if (!w) return `the Gemm ${n.name ?? ''} making ${out} has no constant weight input (${ins[1]})`;
      const transB = toNumber((n.attribute ?? []).find((a) => a.name === 'transB')?.i ?? 0) === 1;
      return place(w.tensor, w.transposed !== transB, dModel, `input B of Gemm ${n.name ?? ''}${transB ? ' (transB)' : ''} → ${out}`);
    }
    if (DATA_OPS.has(op)) {
      cur = ins[0] ?? '';
      continue;
    }
    if (!ELEMENTWISE.has(op)) return `${out} comes from a ${op} node (${n.name ?? 'unnamed'}), not a MatMul or Gemm this app can follow`;
    const next = ins.filter((i) => i && !constant(g, i));
    if (next.length !== 1)
      return `${out} comes from ${op} ${n.name ?? ''} with ${next.length} computed inputs; cannot tell which leads to the unembedding`;
    cur = next[0]!;
  }
  return `no MatMul within 64 steps of ${out}`;
}

/** The token-embedding table: the 2-D initializer a Gather reads rows of by the input ids (or the largest such). */
function embedding(g: Graph, graph: GraphProto, dModel: number): TensorProto | undefined {
  const found: TensorProto[] = [];
  for (const n of graph.node ?? []) {
    if (n.opType !== 'Gather') continue;
    const w = weight(g, n.input?.[0] ?? '');
    if (!w || w.transposed) continue;
    const dims = dimsOf(w.tensor);
    if (dims[1] !== dModel) continue;
    if (n.input?.[1] === 'input_ids') return w.tensor;
    found.push(w.tensor);
  }
  return found.sort((a, b) => dimsOf(b)[0]! - dimsOf(a)[0]!)[0];
}

/** Finds W_U in a model; a string says why it cannot be found (naming the file). */
export function findUnembedding(onnxFile: string, dModel: number, config: Record<string, unknown>): UnembeddingInfo | string {
  const { model } = readModel(onnxFile);
  const graph = model.graph!;
  const g = index(graph);
  const walked = fromLogits(graph, g, dModel);
  if (typeof walked !== 'string') return walked;
  if (config['tie_word_embeddings'] === false) {
    return `${onnxFile}: cannot find the unembedding: ${walked}; the embeddings are not tied (tie_word_embeddings: false), so the embedding table cannot stand in`;
  }
  const emb = embedding(g, graph, dModel);
  if (!emb)
    return `${onnxFile}: cannot find the unembedding: ${walked}; and no token-embedding Gather of width ${dModel} was found to use as tied weights`;
  const [vocab] = dimsOf(emb) as [number];
  return {
    tensor: emb,
    layout: 'Vd',
    vocab,
    how: `${emb.name} [${dimsOf(emb).join(', ')}], the token embedding used transposed (tied; ${walked})`,
  };
}

const BYTES: Partial<Record<number, number>> = { [DataType.FLOAT]: 4, [DataType.FLOAT16]: 2, [DataType.BFLOAT16]: 2 };

/** Decodes `count` little-endian elements of a float type from `raw` into `out`. */
function decodeInto(raw: Uint8Array, dataType: number, count: number, out: Float32Array): void {
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  if (dataType === DataType.FLOAT) for (let i = 0; i < count; i++) out[i] = view.getFloat32(i * 4, true);
  else if (dataType === DataType.FLOAT16) for (let i = 0; i < count; i++) out[i] = halfToFloat(view.getUint16(i * 2, true));
  else for (let i = 0; i < count; i++) out[i] = bf16ToFloat(view.getUint16(i * 2, true));
}

/** Adds the projection of a block of rows [r0, r0 + rows) of W_U (row-major, `cols` wide) into `out`. */
function accumulate(
  info: UnembeddingInfo,
  block: Float32Array,
  r0: number,
  rows: number,
  cols: number,
  w: Float32Array,
  out: Float32Array,
): void {
  if (info.layout === 'dV') {
    // rows are model dims j: out[v] += w[j] · W[j, v]
    for (let r = 0; r < rows; r++) {
      const c = w[r0 + r]!;
      if (c === 0) continue;
      const o = r * cols;
      for (let v = 0; v < cols; v++) out[v]! += c * block[o + v]!;
    }
  } else {
    // rows are tokens v: out[v] = W[v, :] · w
    for (let r = 0; r < rows; r++) {
      const o = r * cols;
      let s = 0;
      for (let j = 0; j < cols; j++) s += block[o + j]! * w[j]!;
      out[r0 + r] = s;
    }
  }
}

/** W_U of one model, ready to project directions: in memory, or streamed from its external-data file. */
export class Unembedding {
  readonly #data: Float32Array | undefined;
  readonly #rows: number;
  readonly #cols: number;

  constructor(
    readonly info: UnembeddingInfo,
    private readonly modelDir: string,
    maxInMemory = MAX_IN_MEMORY,
  ) {
    const [rows, cols] = dimsOf(info.tensor) as [number, number];
    this.#rows = rows;
    this.#cols = cols;
    const ext = externalDataOf(info.tensor);
    if (rows * cols <= maxInMemory || !ext) {
      if (rows * cols > 2 ** 31) throw new Error(`${info.tensor.name}: ${rows}×${cols} is too large to hold in memory`);
      this.#data = readFloatTensor(info.tensor, modelDir);
    } else if (BYTES[info.tensor.dataType ?? 0] === undefined) {
      throw new Error(`${info.tensor.name}: unsupported data type ${info.tensor.dataType}`);
    }
  }

  /** `w · W_U`: the logit effect of direction `w` (length d_model) on every vocabulary entry. */
  project(w: Float32Array): Float32Array {
    const out = new Float32Array(this.info.vocab);
    if (this.#data) {
      accumulate(this.info, this.#data, 0, this.#rows, this.#cols, w, out);
      return out;
    }
    // streamed: blocks of rows read from the external-data file
    const ext = externalDataOf(this.info.tensor)!;
    const dt = this.info.tensor.dataType ?? 0;
    const size = BYTES[dt]!;
    const file = path.join(this.modelDir, ext.get('location') ?? '');
    const base = Number(ext.get('offset') ?? 0);
    const rowBytes = this.#cols * size;
    const perBlock = Math.max(1, Math.floor((32 << 20) / rowBytes));
    const raw = Buffer.alloc(perBlock * rowBytes);
    const block = new Float32Array(perBlock * this.#cols);
    const fd = fs.openSync(file, 'r');
    try {
      for (let r0 = 0; r0 < this.#rows; r0 += perBlock) {
        const rows = Math.min(perBlock, this.#rows - r0);
        const bytes = rows * rowBytes;
        const got = fs.readSync(fd, raw, 0, bytes, base + r0 * rowBytes);
        if (got !== bytes) throw new Error(`${file}: short read of ${this.info.tensor.name} (${got} of ${bytes} bytes at row ${r0})`);
        decodeInto(raw, dt, rows * this.#cols, block);
        accumulate(this.info, block, r0, rows, this.#cols, w, out);
      }
    } finally {
      fs.closeSync(fd);
    }
    return out;
  }
}
