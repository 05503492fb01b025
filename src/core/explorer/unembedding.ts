/**
 * Finds a model's unembedding W_U in its ONNX graph and projects directions through it.
 *
 * From the `logits` output, walk back through value-preserving or elementwise ops (Cast,
 * Identity, Reshape, soft-capping Div/Tanh/Mul, a bias Add, ...) to the MatMul or Gemm
 * that makes the logits; its weight input is W_U: an initializer, possibly behind
 * Transpose / Cast / Identity, or Gemm with transB. When the walk fails and the model's
 * embeddings are tied (config `tie_word_embeddings` not false, HF's default), the
 * token-embedding table feeding the first Gather is used transposed.
 *
 * As TransformerLens does by default (and so SAELens and Neuronpedia dashboards), the final
 * norm's scale γ is folded in, W_U'[d, v] = γ[d] · W_U[d, v], when the norm feeding the
 * logits MatMul can be found structurally: a LayerNormalization / SimplifiedLayerNormalization
 * (or fused Skip*) node, or a decomposed norm's `Mul` by a constant weight of the
 * normalized stream (x / σ or x · 1/σ). Its bias only shifts every direction's logits alike.
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
  /** The final norm's scale γ [d_model], folded in by `project`; absent when none was found. */
  readonly norm?: FinalNormScale;
}

/** The scale of the norm right before the unembedding. */
export interface FinalNormScale {
  readonly scale: Float32Array;
  /** Where it was found, in words. */
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

/** Walks from the logits output back to the node that makes it (past casts, reshapes, soft-capping, a bias); a string says why it failed. */
function logitsProducer(graph: GraphProto, g: Graph): { node: NodeProto; out: string } | string {
  const outputs = (graph.output ?? []).map((o) => o.name ?? '');
  const out = outputs.find((o) => o === 'logits') ?? outputs[0];
  if (!out) return 'the graph has no outputs';
  let cur = out;
  for (let step = 0; step < 64; step++) {
    const n = g.producer.get(cur);
    if (!n) return `nothing in the graph produces "${cur}" (walking back from ${out})`;
    const ins = n.input ?? [];
    const op = n.opType ?? '';
    if (DATA_OPS.has(op)) {
      cur = ins[0] ?? '';
      continue;
    }
    if (!ELEMENTWISE.has(op)) return { node: n, out };
    const next = ins.filter((i) => i && !constant(g, i));
    if (next.length !== 1)
      return `${out} comes from ${op} ${n.name ?? ''} with ${next.length} computed inputs; cannot tell which leads to the unembedding`;
    cur = next[0]!;
  }
  return `no MatMul within 64 steps of ${out}`;
}

/** The unembedding as the weight of the node making the logits; a string says why it is not one. */
function fromProducer(node: NodeProto, out: string, g: Graph, dModel: number): UnembeddingInfo | string {
  const ins = node.input ?? [];
  const op = node.opType ?? '';
  if (op === 'MatMul') {
    const w = weight(g, ins[1] ?? '');
    if (!w)
      return `the MatMul ${node.name ?? ''} making ${out} has no constant weight input (${ins[1]}); quantized or computed weights are not supported`;
    return place(w.tensor, w.transposed, dModel, `the weight of MatMul ${node.name ?? ''} → ${out}`);
  }
  if (op === 'Gemm') {
    const w = weight(g, ins[1] ?? '');
    if (!w) return `the Gemm ${node.name ?? ''} making ${out} has no constant weight input (${ins[1]})`;
    const transB = toNumber((node.attribute ?? []).find((a) => a.name === 'transB')?.i ?? 0) === 1;
    return place(w.tensor, w.transposed !== transB, dModel, `input B of Gemm ${node.name ?? ''}${transB ? ' (transB)' : ''} → ${out}`);
  }
  return `${out} comes from a ${op} node (${node.name ?? 'unnamed'}), not a MatMul or Gemm this app can follow`;
}

/** Norm ops whose scale is input 1, and fused ones (residual add + norm) whose scale is input 2. */
const NORM_SCALE_INPUT: Readonly<Record<string, number>> = {
  LayerNormalization: 1,
  SimplifiedLayerNormalization: 1,
  RMSNormalization: 1,
  SkipLayerNormalization: 2,
  SkipSimplifiedLayerNormalization: 2,
};
/** Ops passed through between the final norm and the logits MatMul. */
const SHAPE_OPS = new Set(['Cast', 'Identity', 'Reshape', 'Squeeze', 'Unsqueeze', 'Flatten']);

/** The node making `name`, past casts and identities. */
function producerPastCasts(g: Graph, name: string): NodeProto | undefined {
  let n = g.producer.get(name);
  for (let i = 0; i < 8 && n && (n.opType === 'Cast' || n.opType === 'Identity'); i++) n = g.producer.get(n.input?.[0] ?? '');
  return n;
}

/** The values of a constant computed from constants only (Cast, Identity, Add/Sub/Mul/Div with scalar broadcasting), or undefined. */
function constantValues(g: Graph, name: string, dir: string, depth = 0): Float32Array | undefined {
  const t = constant(g, name);
  if (t) {
    try {
      return readFloatTensor(t, dir);
    } catch {
      return undefined;
    }
  }
  const n = g.producer.get(name);
  if (!n || depth > 8) return undefined;
  const ins = n.input ?? [];
  if (n.opType === 'Cast' || n.opType === 'Identity') return constantValues(g, ins[0] ?? '', dir, depth + 1);
  if (!ELEMENTWISE.has(n.opType ?? '') || ins.length !== 2) return undefined;
  const a = constantValues(g, ins[0]!, dir, depth + 1);
  const b = constantValues(g, ins[1]!, dir, depth + 1);
  if (!a || !b || (a.length !== b.length && a.length !== 1 && b.length !== 1)) return undefined;
  const f = {
    Add: (x: number, y: number) => x + y,
    Sub: (x: number, y: number) => x - y,
    Mul: (x: number, y: number) => x * y,
    Div: (x: number, y: number) => x / y,
  }[n.opType as 'Add' | 'Sub' | 'Mul' | 'Div'];
  return Float32Array.from({ length: Math.max(a.length, b.length) }, (_, i) => f(a[a.length === 1 ? 0 : i]!, b[b.length === 1 ? 0 : i]!));
}

/** True when `name` is a decomposed norm's normalized stream: x / sqrt(…) or x · reciprocal(sqrt(…)). */
function normalized(g: Graph, name: string): boolean {
  const n = producerPastCasts(g, name);
  const ins = n?.input ?? [];
  const op = (t: string): string => producerPastCasts(g, t)?.opType ?? '';
  if (n?.opType === 'Div') return op(ins[1] ?? '') === 'Sqrt';
  if (n?.opType === 'Mul') {
    return ins.some((t) => {
      const p = producerPastCasts(g, t);
      return p?.opType === 'Reciprocal' || (p?.opType === 'Div' && op(p.input?.[1] ?? '') === 'Sqrt' && !!constant(g, p.input?.[0] ?? ''));
    });
  }
  return false;
}

/** The scale of the norm whose output `input` (the logits MatMul's data input) is, when one is found structurally. */
function finalNorm(g: Graph, input: string, dir: string, dModel: number): FinalNormScale | undefined {
  let cur = input;
  let biasSkipped = false;
  for (let step = 0; step < 16; step++) {
    const n = g.producer.get(cur);
    if (!n) return undefined;
    const op = n.opType ?? '';
    const ins = n.input ?? [];
    const at = NORM_SCALE_INPUT[op];
    if (at !== undefined) {
      if (n.output?.[0] !== cur) return undefined;
      const scale = constantValues(g, ins[at] ?? '', dir);
      return scale?.length === dModel ? { scale, how: `${ins[at]} [${dModel}], the scale of ${op} ${n.name ?? ''}` } : undefined;
    }
    if (SHAPE_OPS.has(op)) {
      cur = ins[0] ?? '';
      continue;
    }
    if (op !== 'Add' && op !== 'Mul') return undefined;
    const consts = ins.filter((i) => i && constantValues(g, i, dir) !== undefined);
    const computed = ins.filter((i) => i && !consts.includes(i));
    if (consts.length !== 1 || computed.length !== 1) return undefined;
    if (op === 'Add') {
      // a decomposed LayerNorm's bias β, once, right after its scale
      if (biasSkipped) return undefined;
      biasSkipped = true;
      cur = computed[0]!;
      continue;
    }
    if (!normalized(g, computed[0]!)) return undefined;
    const scale = constantValues(g, consts[0]!, dir);
    return scale?.length === dModel
      ? { scale, how: `${consts[0]} [${dModel}], the scale of the decomposed norm's Mul ${n.name ?? ''}` }
      : undefined;
  }
  return undefined;
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

/** Finds W_U in a model, with the final norm's scale to fold in when found; a string says why it cannot be found (naming the file). */
export function findUnembedding(onnxFile: string, dModel: number, config: Record<string, unknown>): UnembeddingInfo | string {
  const { model, dir } = readModel(onnxFile);
  const graph = model.graph!;
  const g = index(graph);
  const producer = logitsProducer(graph, g);
  // the final norm feeds the node making the logits, whether or not its weight can be read (quantized MatMuls)
  const op = typeof producer === 'string' ? '' : (producer.node.opType ?? '');
  const transA = typeof producer !== 'string' && toNumber((producer.node.attribute ?? []).find((a) => a.name === 'transA')?.i ?? 0) === 1;
  const norm =
    typeof producer !== 'string' && /MatMul|Gemm/.test(op) && !transA
      ? finalNorm(g, producer.node.input?.[0] ?? '', dir, dModel)
      : undefined;
  const withNorm = (u: UnembeddingInfo): UnembeddingInfo => (norm ? { ...u, norm } : u);
  const walked = typeof producer === 'string' ? producer : fromProducer(producer.node, producer.out, g, dModel);
  if (typeof walked !== 'string') return withNorm(walked);
  if (config['tie_word_embeddings'] === false) {
    return `${onnxFile}: cannot find the unembedding: ${walked}; the embeddings are not tied (tie_word_embeddings: false), so the embedding table cannot stand in`;
  }
  const emb = embedding(g, graph, dModel);
  if (!emb)
    return `${onnxFile}: cannot find the unembedding: ${walked}; and no token-embedding Gather of width ${dModel} was found to use as tied weights`;
  const [vocab] = dimsOf(emb) as [number];
  return withNorm({
    tensor: emb,
    layout: 'Vd',
    vocab,
    how: `${emb.name} [${dimsOf(emb).join(', ')}], the token embedding used transposed (tied; ${walked})`,
  });
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

  /** `w · W_U` (W_U with the final norm's scale folded in when found): the logit effect of direction `w` (length d_model) on every vocabulary entry. */
  project(direction: Float32Array): Float32Array {
    // (γ ⊙ w) · W_U = w · (diag(γ) W_U)
    const g = this.info.norm?.scale;
    const w = g ? direction.map((x, j) => x * g[j]!) : direction;
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
