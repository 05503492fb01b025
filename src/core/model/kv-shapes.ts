/**
 * The shape of the empty KV cache fed on a model's first run. Exports declare past inputs as
 * [batch, kv_heads, past_sequence_length, head_size] (or [2, batch, heads, past, head_size]
 * for GPT-2-era `past.N`); batch and past length are symbolic by nature, but some exports
 * leave the head count or head size symbolic too (onnxruntime-genai's builder declares the
 * last dim as `kv_cache_dim`), and an attention kernel such as GroupQueryAttention refuses
 * a zero-width past. Those dims are read, in order, from the matching `present.*` output,
 * from the graph (GroupQueryAttention / MultiHeadAttention / Attention attributes and the
 * width of their query, or the keys concatenated onto the past), then from config.json
 * (`num_key_value_heads`, `head_dim`, `hidden_size / num_attention_heads`).
 */
import { constantTensor, declaredShape, dimsOf, indexGraph, intAttr, intsAttr, type GraphIndex } from './graph-index.ts';
import { ModelFileError, toNumber, type GraphProto } from './onnx/proto.ts';

/** Name, element type and declared shape of a session input or output. */
export interface TensorMeta {
  readonly name: string;
  readonly type: string;
  readonly shape: readonly (number | string)[];
}

/** An empty past input: its element type and dims, with -1 where the batch size goes. */
export interface EmptyPast {
  readonly type: string;
  readonly dims: readonly number[];
}

/** What the graph says about one past input's geometry. */
export interface KvGeometry {
  readonly kvHeads?: number;
  readonly headDim?: number;
  /** Bits per cached element when the cache is packed (GroupQueryAttention `kv_cache_bit_width` 4 → two per byte). */
  readonly bitWidth?: number;
  /** Where it was read, in words. */
  readonly how: string;
}

type Role = 'batch' | 'heads' | 'seq' | 'head' | 'fixed';

/** The meaning of each axis of a past input, by rank; undefined when the rank is not a known layout. */
function rolesOf(rank: number): Role[] | undefined {
  if (rank === 4) return ['batch', 'heads', 'seq', 'head'];
  if (rank === 5) return ['fixed', 'batch', 'heads', 'seq', 'head'];
  return undefined;
}

const isFixed = (d: number | string | undefined): d is number => typeof d === 'number' && d >= 0;

/** The `present.*` output that a past input is fed from. */
export function presentNameOf(past: string): string {
  return past.replace(/^past_key_values\./, 'present.').replace(/^past\./, 'present.');
}

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isInteger(v) && v > 0 ? v : undefined);

/** Head count and size from an HF config.json (names differ across families). */
export function configGeometry(config: Record<string, unknown>): { kvHeads?: number; headDim?: number } {
  const heads = num(config['num_attention_heads']) ?? num(config['n_head']) ?? num(config['num_heads']);
  const kvHeads = num(config['num_key_value_heads']) ?? num(config['multi_query_group_num']) ?? heads;
  const hidden = num(config['hidden_size']) ?? num(config['n_embd']) ?? num(config['d_model']);
  const headDim = num(config['head_dim']) ?? (hidden && heads && hidden % heads === 0 ? hidden / heads : undefined);
  return { ...(kvHeads ? { kvHeads } : {}), ...(headDim ? { headDim } : {}) };
}

/** Dims of a 2-D constant weight as used (behind Cast / Identity / DequantizeLinear, Transpose swapping them). */
function matrixDims(g: GraphIndex, name: string, depth = 0): [number, number] | undefined {
  const t = constantTensor(g, name);
  if (t) {
    const d = dimsOf(t);
    return d.length === 2 ? [d[0]!, d[1]!] : undefined;
  }
  const n = g.producer.get(name);
  if (!n || depth > 8) return undefined;
  if (['Cast', 'Identity', 'DequantizeLinear'].includes(n.opType ?? '')) return matrixDims(g, n.input?.[0] ?? '', depth + 1);
  if (n.opType === 'Transpose') {
    const d = matrixDims(g, n.input?.[0] ?? '', depth + 1);
    return d && [d[1], d[0]];
  }
  return undefined;
}

/** The last dim of a computed tensor: declared, or the output width of the projection making it. */
function lastDim(g: GraphIndex, t: string, depth = 0): number | undefined {
  const declared = declaredShape(g, t);
  const d = declared?.[declared.length - 1];
  if (isFixed(d) && d > 0) return d;
  const n = g.producer.get(t);
  if (!n || depth > 16) return undefined;
  const ins = n.input ?? [];
  switch (n.opType) {
    case 'MatMul':
      return matrixDims(g, ins[1] ?? '')?.[1];
    case 'Gemm': {
      const w = matrixDims(g, ins[1] ?? '');
      return w && (intAttr(n, 'transB', 0) ? w[0] : w[1]);
    }
    case 'MatMulNBits':
      return intAttr(n, 'N', 0) || undefined;
    case 'Cast':
    case 'Identity':
      return lastDim(g, ins[0] ?? '', depth + 1);
    case 'Add':
    case 'Sub':
    case 'Mul':
    case 'Div':
      // a bias add: the computed input has the width (constants may broadcast)
      for (const i of ins) if (i && !constantTensor(g, i)) return lastDim(g, i, depth + 1);
      return undefined;
    default:
      return undefined;
  }
}

/**
 * [heads, head_dim] of keys [b, heads, t, head_dim] concatenated onto a past: declared, or
 * read from the Reshape [b, t, heads, head_dim] + Transpose that split them into heads
 * (past elementwise ops such as RoPE's).
 */
function splitHeads(g: GraphIndex, t: string): { heads?: number; headDim?: number } {
  let cur = t;
  for (let step = 0; step < 16; step++) {
    const declared = declaredShape(g, cur);
    if (declared?.length === 4) {
      const [, h, , d] = declared;
      if (isFixed(h) || isFixed(d)) return { ...(isFixed(h) ? { heads: h } : {}), ...(isFixed(d) ? { headDim: d } : {}) };
    }
    const n = g.producer.get(cur);
    if (!n) return {};
    if (n.opType === 'Transpose') {
      const perm = intsAttr(n, 'perm');
      const r = g.producer.get(n.input?.[0] ?? '');
      const shape = r?.opType === 'Reshape' ? constantTensor(g, r.input?.[1] ?? '') : undefined;
      if (!perm || perm.length !== 4 || !shape) return {};
      const s = int64Values(shape);
      const out = perm.map((p) => s[p] ?? 0);
      return { ...(out[1]! > 0 ? { heads: out[1]! } : {}), ...(out[3]! > 0 ? { headDim: out[3]! } : {}) };
    }
    if (!['Add', 'Sub', 'Mul', 'Div', 'Neg', 'Cast', 'Identity'].includes(n.opType ?? '')) return {};
    cur = n.input?.[0] ?? '';
  }
  return {};
}

/** The values of an int64 constant. */
function int64Values(t: NonNullable<ReturnType<typeof constantTensor>>): number[] {
  if (t.rawData && t.rawData.length) {
    const raw = t.rawData;
    const v = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    return Array.from({ length: raw.byteLength / 8 }, (_, i) => Number(v.getBigInt64(i * 8, true)));
  }
  return (t.int64Data ?? []).map(toNumber);
}

/** Head count and size of the attention that reads past input `past`, from the graph. */
export function kvGeometry(g: GraphIndex, past: string): KvGeometry | undefined {
  for (const n of g.consumers.get(past) ?? []) {
    const op = n.opType ?? '';
    const ins = n.input ?? [];
    const name = `${op} ${n.name ?? ''}`.trim();
    if (op === 'GroupQueryAttention') {
      const heads = intAttr(n, 'num_heads', 0);
      const kvHeads = intAttr(n, 'kv_num_heads', 0) || undefined;
      const bits = intAttr(n, 'kv_cache_bit_width', 0);
      // packed QKV when the key input is empty
      const kWidth = ins[1] ? lastDim(g, ins[1]) : undefined;
      const qWidth = lastDim(g, ins[0] ?? '');
      const headDim =
        kWidth && kvHeads ? kWidth / kvHeads : qWidth && heads ? qWidth / (ins[1] ? heads : heads + 2 * (kvHeads ?? heads)) : undefined;
      return {
        ...(kvHeads ? { kvHeads } : {}),
        ...(headDim && Number.isInteger(headDim) ? { headDim } : {}),
        ...(bits ? { bitWidth: bits } : {}),
        how: `the attributes and query width of ${name}`,
      };
    }
    if (op === 'MultiHeadAttention' || op === 'Attention') {
      const heads = intAttr(n, 'num_heads', 0);
      const qkv = intsAttr(n, 'qkv_hidden_sizes');
      const width = op === 'Attention' ? (qkv?.[0] ?? (matrixDims(g, ins[1] ?? '')?.[1] ?? 0) / 3) : lastDim(g, ins[0] ?? '');
      const headDim = width && heads ? width / heads : undefined;
      return {
        ...(heads ? { kvHeads: heads } : {}),
        ...(headDim && Number.isInteger(headDim) ? { headDim } : {}),
        how: `the attributes and query width of ${name}`,
      };
    }
    if (op === 'Concat') {
      const other = ins.find((i) => i && i !== past);
      if (!other) continue;
      const s = splitHeads(g, other);
      return {
        ...(s.heads ? { kvHeads: s.heads } : {}),
        ...(s.headDim ? { headDim: s.headDim } : {}),
        how: `the keys ${name} appends to it`,
      };
    }
  }
  return undefined;
}

/**
 * The empty past of every past input, every dim fixed except batch (-1). Symbolic head
 * counts and sizes are read from the `present.*` outputs, the graph (loaded only when needed)
 * or config.json; a dim none of them fixes is an error naming the input, the dim and the
 * config keys that would fix it.
 */
export function emptyPastShapes(
  file: string,
  pastInputs: readonly TensorMeta[],
  outputs: readonly TensorMeta[],
  config: Record<string, unknown>,
  loadGraph: () => GraphProto | undefined,
): Map<string, EmptyPast> {
  let g: GraphIndex | undefined | null = null;
  const graph = (): GraphIndex | undefined => {
    if (g === null) {
      const gp = loadGraph();
      g = gp ? indexGraph(gp) : undefined;
    }
    return g;
  };
  const fromConfig = configGeometry(config);
  const out = new Map<string, EmptyPast>();
  for (const p of pastInputs) {
    const roles = rolesOf(p.shape.length);
    const present = outputs.find((o) => o.name === presentNameOf(p.name));
    let geo: KvGeometry | undefined | null = null;
    const dims = p.shape.map((d, axis) => {
      const role: Role = roles?.[axis] ?? (axis === 0 ? 'batch' : /seq|len|past/i.test(String(d)) ? 'seq' : 'fixed');
      if (role === 'batch') return -1;
      if (role === 'seq') return 0;
      if (isFixed(d)) return d;
      const fromPresent = present?.shape.length === p.shape.length ? present.shape[axis] : undefined;
      if (isFixed(fromPresent)) return fromPresent;
      if (role === 'fixed') throw unresolved(file, p, axis, d, 'its meaning is unknown for this rank');
      if (geo === null) geo = graphGeometry(graph, p.name);
      const packed = (v: number): number => (geo?.bitWidth === 4 && (p.type === 'uint8' || p.type === 'int8') ? Math.ceil(v / 2) : v);
      if (role === 'heads') {
        const v = geo?.kvHeads ?? fromConfig.kvHeads;
        if (v) return v;
        throw unresolved(file, p, axis, d, 'the key/value head count', 'num_key_value_heads (or num_attention_heads)');
      }
      const v = geo?.headDim ?? fromConfig.headDim;
      if (v) return packed(v);
      throw unresolved(file, p, axis, d, 'the head size', 'head_dim (or hidden_size and num_attention_heads)');
    });
    out.set(p.name, { type: p.type, dims });
  }
  return out;
}

/** The graph's answer for one past input; a graph that cannot be read answers nothing (config.json may). */
function graphGeometry(graph: () => GraphIndex | undefined, past: string): KvGeometry | undefined {
  try {
    const g = graph();
    return g && kvGeometry(g, past);
  } catch {
    return undefined;
  }
}

function unresolved(file: string, p: TensorMeta, axis: number, dim: number | string, what: string, keys?: string): ModelFileError {
  return new ModelFileError(
    file,
    `past input ${p.name} [${p.shape.join(', ')}] leaves dim ${axis} ("${dim}", ${what}) symbolic, and neither the present output, ` +
      `the attention node reading it nor config.json fixes it${keys ? `; add ${keys} to the model's config.json` : ''}`,
  );
}
