/**
 * A residual branch's contents: whether it is an attention sub-block, an MLP, or both summed
 * (parallel blocks), and the attention output projection whose input is `attn.hook_z`.
 */
import type { GraphIndex } from '../graph-index.ts';
import type { NodeProto } from './proto.ts';
import { TRANSPARENT_OPS, isConstant } from './residual-stream.ts';

/** Ops that compute attention scores: a residual branch holding one is an attention sub-block. */
const ATTENTION_OPS = new Set([
  'Softmax',
  'Attention',
  'MultiHeadAttention',
  'GroupQueryAttention',
  'PackedAttention',
  'PackedMultiHeadAttention',
  'PagedAttention',
  'SparseAttention',
  'DecoderMaskedMultiHeadAttention',
  'DecoderMaskedSelfAttention',
]);

/** Ops that project a tensor by a weight matrix (the attention output projection among them). */
const PROJECTION_OPS = new Set([
  'MatMul',
  'Gemm',
  'MatMulNBits',
  'MatMulInteger',
  'FusedMatMul',
  'MatMulIntegerToFloat',
  'DynamicQuantizeMatMul',
  'MatMulFpQ4',
]);
/** True when `n` makes one of `tensors` (a fused Skip*Norm making a stream point also makes its normalised output). */
const producesAny = (n: NodeProto, tensors: ReadonlySet<string>): boolean => (n.output ?? []).some((o) => tensors.has(o));

/** The nodes computing `t` back to (not including) the stream tensors in `stop`. */
function branchNodes(t: string, stop: ReadonlySet<string>, idx: GraphIndex): NodeProto[] {
  const nodes: NodeProto[] = [];
  const seenNodes = new Set<NodeProto>();
  const seen = new Set<string>();
  const stack = [t];
  while (stack.length) {
    const x = stack.pop()!;
    if (seen.has(x) || stop.has(x)) continue;
    seen.add(x);
    const p = idx.producer.get(x);
    if (!p || seenNodes.has(p) || producesAny(p, stop)) continue;
    seenNodes.add(p);
    nodes.push(p);
    for (const i of p.input ?? []) if (i) stack.push(i);
  }
  return nodes;
}

const hasAttention = (nodes: readonly NodeProto[]): boolean => nodes.some((n) => ATTENTION_OPS.has(n.opType ?? ''));

/**
 * The attention output projection of an attention branch: the projection node nearest to the
 * branch output (breadth-first, backwards) whose weight is constant. Its data input is z, the
 * per-head outputs; after DynamicQuantizeLinear (dynamic int8 exports), z is that op's input.
 */
export function findOutputProjection(
  attnOut: string,
  stop: ReadonlySet<string>,
  idx: GraphIndex,
): { node: NodeProto; z: string } | undefined {
  const queue = [attnOut];
  const seen = new Set(queue);
  for (let i = 0; i < queue.length && i < 4096; i++) {
    const t = queue[i]!;
    if (stop.has(t)) continue;
    const p = idx.producer.get(t);
    if (!p || producesAny(p, stop)) continue;
    const op = p.opType ?? '';
    if (PROJECTION_OPS.has(op) && p.input?.[0] && p.input[1] && isConstant(p.input[1], idx) && !isConstant(p.input[0], idx)) {
      let z = p.input[0];
      const q = idx.producer.get(z);
      if (q?.opType === 'DynamicQuantizeLinear' && q.input?.[0]) z = q.input[0];
      return { node: p, z };
    }
    if (ATTENTION_OPS.has(op)) continue; // past the heads: no projection on this path
    for (const x of p.input ?? []) {
      if (x && !seen.has(x)) {
        seen.add(x);
        queue.push(x);
      }
    }
  }
  return undefined;
}

/** A residual step's branch, split into its attention and MLP parts. */
export interface Branch {
  readonly attn?: string;
  readonly mlp?: string;
}

/**
 * What a branch adds: attention (it holds an attention op), MLP (it does not), or both, when
 * one tensor sums the two sub-blocks of a parallel block (`mlp(ln2 x) + attn(ln1 x)`).
 */
export function splitBranch(branch: string, stop: ReadonlySet<string>, idx: GraphIndex): Branch {
  const nodes = branchNodes(branch, stop, idx);
  if (!hasAttention(nodes)) return { mlp: branch };
  // the sum of both sub-blocks, possibly behind casts
  let t = branch;
  for (let i = 0; i < 8; i++) {
    const p = idx.producer.get(t);
    if (!p) break;
    if (TRANSPARENT_OPS.has(p.opType ?? '')) {
      t = p.input?.[0] ?? '';
      continue;
    }
    if (p.opType === 'Add' && (p.input ?? []).length === 2) {
      const [a, b] = p.input as [string, string];
      if (isConstant(a, idx) || isConstant(b, idx)) break; // a bias add: one sub-block
      const aAttn = hasAttention(branchNodes(a, stop, idx));
      const bAttn = hasAttention(branchNodes(b, stop, idx));
      if (aAttn !== bAttn) return aAttn ? { attn: a, mlp: b } : { attn: b, mlp: a };
    }
    break;
  }
  return { attn: branch };
}
