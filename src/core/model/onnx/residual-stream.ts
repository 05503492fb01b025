/**
 * The residual stream of a decoder graph, found structurally: the token-embedding lookup, the
 * first stream tensor after it, and each residual add (plain Add or fused Skip*Norm) that
 * follows. The hook locator (hooks.ts) builds its sites on these.
 */
import type { GraphIndex } from '../graph-index.ts';
import type { GraphProto, NodeProto } from './proto.ts';

/** Fused residual-add-and-norm ops (com.microsoft). */
export const SKIP_NORM_OPS = new Set(['SkipLayerNormalization', 'SkipSimplifiedLayerNormalization']);

/** Ops that pass a tensor on unchanged in value (up to precision): the locator looks through them. */
export const TRANSPARENT_OPS = new Set(['Cast', 'Identity', 'Dropout']);

/** Ops that combine or convert the token embedding on its way to the residual stream. */
export const EMBEDDING_COMBINE_OPS = new Set(['Add', 'Mul', 'Div', 'Cast', 'Identity', 'Dropout', 'DequantizeLinear']);

/**
 * True when tensor `from` is computed from `target` (walking producers backwards). A tensor
 * made by the same node as `target` counts: a fused Skip*Norm's normalised output 0 is
 * computed from its residual sum output 3 even though the graph cannot show that edge.
 */
export function dependsOn(from: string, target: string, idx: GraphIndex): boolean {
  const seen = new Set<string>();
  const stack = [from];
  while (stack.length) {
    const t = stack.pop()!;
    if (t === target) return true;
    if (seen.has(t)) continue;
    seen.add(t);
    const p = idx.producer.get(t);
    if (!p) continue;
    if ((p.output ?? []).includes(target)) return true;
    for (const i of p.input ?? []) if (i && !seen.has(i)) stack.push(i);
  }
  return false;
}

/** True when `t` is an initializer or computed from initializers and constants only (a weight). */
export function isConstant(t: string, idx: GraphIndex, depth = 0): boolean {
  if (idx.inits.has(t)) return true;
  const p = idx.producer.get(t);
  if (!p || depth > 8) return false;
  if (p.opType === 'Constant') return true;
  const ins = (p.input ?? []).filter(Boolean);
  return ins.length > 0 && ins.every((i) => isConstant(i, idx, depth + 1));
}

/** Output 3 (input + skip + bias) of a Skip*Norm node, named if the export left it out. */
export function residualSumOf(node: NodeProto): string {
  const outs = node.output ?? [];
  if (!outs[3]) {
    while (outs.length < 4) outs.push('');
    outs[3] = `${node.name || 'skipnorm'}/residual_sum`;
    node.output = outs;
  }
  return outs[3]!;
}

/** `t` and the tensors that carry its value on through transparent ops (casts, identities). */
export function transparentCopies(t: string, idx: GraphIndex): string[] {
  const out = [t];
  for (let i = 0; i < out.length && out.length < 64; i++) {
    for (const c of idx.consumers.get(out[i]!) ?? []) {
      if (TRANSPARENT_OPS.has(c.opType ?? '') && c.input?.[0] === out[i] && c.output?.[0]) out.push(c.output[0]);
    }
  }
  return out;
}

/** The token-embedding lookup. */
export interface Embedding {
  /** The lookup's output (before any dequantisation, scaling or position embedding). */
  readonly tensor: string;
  readonly node: NodeProto;
}

/**
 * The token-embedding lookup: a Gather (or com.microsoft GatherBlockQuantized) whose table is
 * constant (an initializer, or computed from one: a Transpose of a tied lm_head weight,
 * a DequantizeLinear) and whose indices come, possibly through casts, from `input_ids`.
 */
export function findEmbedding(graph: GraphProto, idx: GraphIndex): Embedding | undefined {
  const idsInput = (graph.input ?? []).find((v) => v.name === 'input_ids')?.name ?? graph.input?.[0]?.name;
  if (!idsInput) return undefined;
  const fromIds = (t: string, depth = 0): boolean => {
    if (t === idsInput) return true;
    const p = idx.producer.get(t);
    return !!p && depth < 8 && TRANSPARENT_OPS.has(p.opType ?? '') && fromIds(p.input?.[0] ?? '', depth + 1);
  };
  for (const n of graph.node ?? []) {
    if (
      (n.opType === 'Gather' || n.opType === 'GatherBlockQuantized') &&
      isConstant(n.input?.[0] ?? '', idx) &&
      fromIds(n.input?.[1] ?? '')
    ) {
      if (n.output?.[0]) return { tensor: n.output[0], node: n };
    }
  }
  return undefined;
}

/** One residual step: the stream after it, and the branch tensor that was added. */
export interface ResidualStep {
  readonly tensor: string;
  readonly fused?: NodeProto;
  /** The tensor added to the stream (the sub-block's output). */
  readonly branch: string;
  /** The add or fused skip norm that does it. */
  readonly node: NodeProto;
}

/**
 * The residual add that reads stream tensor `t` (directly or through casts): an Add, or a
 * fused Skip*Norm, whose other input is computed from the stream (`t` or an earlier point:
 * `x + attn(x) + mlp(x)` written as two adds reads x in both branches).
 */
export function nextResidual(t: string, earlier: readonly string[], idx: GraphIndex): ResidualStep | undefined {
  const fromStream = (other: string): boolean => dependsOn(other, t, idx) || earlier.some((e) => dependsOn(other, e, idx));
  for (const copy of transparentCopies(t, idx)) {
    for (const c of idx.consumers.get(copy) ?? []) {
      const op = c.opType ?? '';
      const ins = c.input ?? [];
      if (op === 'Add' && ins.length === 2) {
        const other = ins[0] === copy ? ins[1]! : ins[0]!;
        if (other !== copy && fromStream(other)) return { tensor: c.output![0]!, branch: other, node: c };
      }
      if (SKIP_NORM_OPS.has(op)) {
        const [a, b] = ins;
        const other = a === copy ? b : b === copy ? a : undefined;
        // output 3 may be omitted when nothing reads it (last layer)
        if (other && fromStream(other)) return { tensor: residualSumOf(c), fused: c, branch: other, node: c };
      }
    }
  }
  return undefined;
}

/**
 * The start of the residual stream: walking from the embedding through the ops that combine
 * it (position embeddings, √d scaling, casts, dequantisation), the first tensor a residual
 * add reads. When the embeddings are summed inside a fused Skip*Norm (token + position
 * embedding, neither computed from the other), the stream starts at its output 3.
 */
export function findStreamStart(embedding: string, idx: GraphIndex): { tensor: string; fused?: NodeProto } | undefined {
  const queue = [embedding];
  const seen = new Set(queue);
  for (let i = 0; i < queue.length && i < 64; i++) {
    const t = queue[i]!;
    for (const c of idx.consumers.get(t) ?? []) {
      if (!SKIP_NORM_OPS.has(c.opType ?? '')) continue;
      const [a, b] = c.input ?? [];
      const other = a === t ? b : a;
      if (other && !dependsOn(other, t, idx)) return { tensor: residualSumOf(c), fused: c };
    }
    if (nextResidual(t, [], idx)) return { tensor: t };
    for (const c of idx.consumers.get(t) ?? []) {
      const out = c.output?.[0];
      if (out && EMBEDDING_COMBINE_OPS.has(c.opType ?? '') && !seen.has(out)) {
        seen.add(out);
        queue.push(out);
      }
    }
  }
  return undefined;
}
