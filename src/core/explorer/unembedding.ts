/**
 * Finds a model's unembedding W_U in its ONNX graph and projects directions through it.
 *
 * From the `logits` output, walk back through value-preserving or elementwise ops (Cast,
 * Identity, Reshape, soft-capping Div/Tanh/Mul, a bias Add, ...) to the linear node that
 * makes the logits; its weight is W_U (see linear-weight.ts: a float initializer behind
 * Transpose / Cast / Identity, Gemm with transB, or a quantized weight: DequantizeLinear,
 * MatMulNBits, MatMulInteger, all dequantized). When the walk fails and the model's
 * embeddings are tied (config `tie_word_embeddings` not false, HF's default), the
 * token-embedding table is used transposed (see embedding-table.ts, quantized tables too).
 *
 * As TransformerLens does by default (and so SAELens and Neuronpedia dashboards), the final
 * norm's scale γ is folded in, W_U'[d, v] = γ[d] · W_U[d, v], when the norm feeding the
 * logits MatMul can be found structurally: a LayerNormalization / SimplifiedLayerNormalization
 * (or fused Skip*) node, or a decomposed norm's `Mul` by a constant weight of the
 * normalized stream (x / σ or x · 1/σ). Its bias only shifts every direction's logits alike.
 */
import { constantTensor, indexGraph, intAttr, type GraphIndex } from '../model/graph-index.ts';
import { readFloatTensor, readModel, type GraphProto, type ModelProto, type NodeProto } from '../model/onnx/proto.ts';
import { embeddingTable } from './embedding-table.ts';
import { linearWeight } from './linear-weight.ts';
import type { StoredMatrix } from './stored-matrix.ts';

/** Elements held in memory as float32 at most (1 GiB); larger matrices are decoded from their stored bytes per request. */
export const MAX_IN_MEMORY = 1 << 28;

/** Where W_U lives and how it is laid out. */
export interface UnembeddingInfo {
  /** The stored matrix (float, or dequantized on read). */
  readonly matrix: StoredMatrix;
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

const constant = (g: GraphIndex, name: string): boolean => constantTensor(g, name) !== undefined;

/** The node making `name`, past casts and identities. */
function producerPastCasts(g: GraphIndex, name: string): NodeProto | undefined {
  let n = g.producer.get(name);
  for (let i = 0; i < 8 && n && (n.opType === 'Cast' || n.opType === 'Identity'); i++) n = g.producer.get(n.input?.[0] ?? '');
  return n;
}

/** Walks from the logits output back to the node that makes it (past casts, reshapes, soft-capping, a bias); a string says why it failed. */
function logitsProducer(graph: GraphProto, g: GraphIndex): { node: NodeProto; out: string } | string {
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
    // dynamically quantized: Mul(Cast(MatMulInteger(...)), input scale · weight scale)
    const integer = op === 'Mul' ? ins.map((i) => producerPastCasts(g, i)).find((p) => p?.opType === 'MatMulInteger') : undefined;
    if (integer) return { node: integer, out };
    const next = ins.filter((i) => i && !constant(g, i));
    if (next.length !== 1)
      return `${out} comes from ${op} ${n.name ?? ''} with ${next.length} computed inputs; cannot tell which leads to the unembedding`;
    cur = next[0]!;
  }
  return `no MatMul within 64 steps of ${out}`;
}

/** The unembedding as the weight of the node making the logits; a string says why it is not one. */
function fromProducer(node: NodeProto, out: string, g: GraphIndex, dModel: number, dir: string): UnembeddingInfo | string {
  const w = linearWeight(g, node, dir);
  const name = `${node.opType} ${node.name ?? ''}`.trim();
  if (typeof w === 'string') return `the ${name} making ${out} has no weight this app can read: ${w}`;
  if (w.inFeatures !== dModel) return `${w.how} (the weight of ${name} → ${out}) does not have the model width ${dModel} where expected`;
  return { matrix: w.matrix, layout: w.transposed ? 'Vd' : 'dV', vocab: w.outFeatures, how: `${w.how}, the weight of ${name} → ${out}` };
}

/** Norm ops whose scale is input 1, and fused ones (residual add + norm) whose scale is input 2. */
const NORM_SCALE_INPUT: Readonly<Record<string, number>> = {
  LayerNormalization: 1,
  SimplifiedLayerNormalization: 1,
  RMSNormalization: 1,
  SkipLayerNormalization: 2,
  SkipSimplifiedLayerNormalization: 2,
};
/** Ops passed through between the final norm and the logits MatMul (activation quantization included). */
const SHAPE_OPS = new Set([
  'Cast',
  'Identity',
  'Reshape',
  'Squeeze',
  'Unsqueeze',
  'Flatten',
  'DynamicQuantizeLinear',
  'QuantizeLinear',
  'DequantizeLinear',
]);
/** The values of a constant computed from constants only (Cast, Identity, Add/Sub/Mul/Div with scalar broadcasting), or undefined. */
function constantValues(g: GraphIndex, name: string, dir: string, depth = 0): Float32Array | undefined {
  const t = constantTensor(g, name);
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
function normalized(g: GraphIndex, name: string): boolean {
  const n = producerPastCasts(g, name);
  const ins = n?.input ?? [];
  const op = (t: string): string => producerPastCasts(g, t)?.opType ?? '';
  if (n?.opType === 'Div') return op(ins[1] ?? '') === 'Sqrt';
  if (n?.opType === 'Mul') {
    return ins.some((t) => {
      const p = producerPastCasts(g, t);
      return p?.opType === 'Reciprocal' || (p?.opType === 'Div' && op(p.input?.[1] ?? '') === 'Sqrt' && constant(g, p.input?.[0] ?? ''));
    });
  }
  return false;
}

/** The scale of the norm whose output `input` (the logits MatMul's data input) is, when one is found structurally. */
function finalNorm(g: GraphIndex, input: string, dir: string, dModel: number): FinalNormScale | undefined {
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

/** Options of `findUnembedding`. */
export interface FindOptions {
  /** The model already read (and its folder), to spare reading the file again. */
  readonly read?: { readonly model: ModelProto; readonly dir: string };
}

/** Finds W_U in a model, with the final norm's scale to fold in when found; a string says why it cannot be found (naming the file). */
export function findUnembedding(
  onnxFile: string,
  dModel: number,
  config: Record<string, unknown>,
  opts: FindOptions = {},
): UnembeddingInfo | string {
  const { model, dir } = opts.read ?? readModel(onnxFile);
  const graph = model.graph!;
  const g = indexGraph(graph);
  const producer = logitsProducer(graph, g);
  // the final norm feeds the node making the logits, whether or not its weight can be read
  const op = typeof producer === 'string' ? '' : (producer.node.opType ?? '');
  const transA = typeof producer !== 'string' && intAttr(producer.node, 'transA', 0) === 1;
  const norm =
    typeof producer !== 'string' && /MatMul|Gemm/.test(op) && !transA
      ? finalNorm(g, producer.node.input?.[0] ?? '', dir, dModel)
      : undefined;
  const withNorm = (u: UnembeddingInfo): UnembeddingInfo => (norm ? { ...u, norm } : u);
  const walked = typeof producer === 'string' ? producer : fromProducer(producer.node, producer.out, g, dModel, dir);
  if (typeof walked !== 'string') return withNorm(walked);
  if (config['tie_word_embeddings'] === false) {
    return `${onnxFile}: cannot find the unembedding: ${walked}; the embeddings are not tied (tie_word_embeddings: false), so the embedding table cannot stand in`;
  }
  const emb = embeddingTable(g, dModel, dir);
  if (!emb)
    return `${onnxFile}: cannot find the unembedding: ${walked}; and no token-embedding Gather of width ${dModel} was found to use as tied weights`;
  // W_U = Eᵀ: a table stored [vocab, d] is used transposed (Vd); one stored [d, vocab] behind a Transpose is W_U as stored (dV)
  return withNorm({
    matrix: emb.ref.matrix,
    layout: emb.ref.transposed ? 'dV' : 'Vd',
    vocab: emb.vocab,
    how: `${emb.ref.how}, the token embedding used transposed (tied; ${walked})`,
  });
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

/** Bytes of float32 decoded per streamed block. */
const BLOCK_BYTES = 32 << 20;

/** W_U of one model, ready to project directions: decoded in memory, or decoded from its stored bytes a block of rows at a time. */
export class Unembedding {
  readonly #data: Float32Array | undefined;

  constructor(
    readonly info: UnembeddingInfo,
    maxInMemory = MAX_IN_MEMORY,
  ) {
    const { rows, cols } = info.matrix;
    if (rows * cols <= maxInMemory) {
      this.#data = new Float32Array(rows * cols);
      info.matrix.read(0, rows, this.#data);
    }
  }

  /** `w · W_U` (W_U with the final norm's scale folded in when found): the logit effect of direction `w` (length d_model) on every vocabulary entry. */
  project(direction: Float32Array): Float32Array {
    // (γ ⊙ w) · W_U = w · (diag(γ) W_U)
    const g = this.info.norm?.scale;
    const w = g ? direction.map((x, j) => x * g[j]!) : direction;
    const out = new Float32Array(this.info.vocab);
    const { rows, cols } = this.info.matrix;
    if (this.#data) {
      accumulate(this.info, this.#data, 0, rows, cols, w, out);
      return out;
    }
    const perBlock = Math.max(1, Math.floor(BLOCK_BYTES / (cols * 4)));
    const block = new Float32Array(Math.min(perBlock, rows) * cols);
    for (let r0 = 0; r0 < rows; r0 += perBlock) {
      const n = Math.min(perBlock, rows - r0);
      this.info.matrix.read(r0, n, block);
      accumulate(this.info, block, r0, n, cols, w, out);
    }
    return out;
  }
}
