import type { GraphProto, NodeProto } from './proto.ts';

/** Where a hook's value lives in the graph. */
export interface HookSite {
  /** TransformerLens name, e.g. `blocks.2.hook_resid_pre`. */
  readonly name: string;
  /** The tensor holding the residual stream at this point. */
  readonly tensor: string;
  /**
   * Set when the tensor is output 3 (residual sum) of a fused Skip*LayerNormalization node:
   * steering there needs the node split into Add + norm so its normalised output sees the edit.
   */
  readonly fusedNode?: NodeProto;
}

export class HookNotFoundError extends Error {
  constructor(
    readonly hook: string,
    readonly available: readonly string[],
    detail = '',
  ) {
    super(
      `hook "${hook}" cannot be located in this model${detail ? ` (${detail})` : ''}; hooks that can be: ${
        available.length ? available.join(', ') : 'none (no residual stream found)'
      }`,
    );
    this.name = 'HookNotFoundError';
  }
}

const NORM_OPS = new Set([
  'LayerNormalization',
  'SimplifiedLayerNormalization',
  'RMSNormalization',
  'SkipLayerNormalization',
  'SkipSimplifiedLayerNormalization',
]);
const SKIP_NORM_OPS = new Set(['SkipLayerNormalization', 'SkipSimplifiedLayerNormalization']);

interface GraphIndex {
  readonly producer: Map<string, NodeProto>;
  readonly consumers: Map<string, NodeProto[]>;
}

function indexGraph(graph: GraphProto): GraphIndex {
  const producer = new Map<string, NodeProto>();
  const consumers = new Map<string, NodeProto[]>();
  for (const n of graph.node ?? []) {
    for (const o of n.output ?? []) if (o) producer.set(o, n);
    for (const i of n.input ?? []) {
      if (!i) continue;
      let list = consumers.get(i);
      if (!list) consumers.set(i, (list = []));
      if (!list.includes(n)) list.push(n);
    }
  }
  return { producer, consumers };
}

/**
 * True when tensor `from` is computed from `target` (walking producers backwards). A tensor
 * made by the same node as `target` counts: a fused Skip*Norm's normalised output 0 is
 * computed from its residual sum output 3 even though the graph cannot show that edge.
 */
function dependsOn(from: string, target: string, idx: GraphIndex): boolean {
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

/** Output 3 (input + skip + bias) of a Skip*Norm node, named if the export left it out. */
function residualSumOf(node: NodeProto): string {
  const outs = node.output ?? [];
  if (!outs[3]) {
    while (outs.length < 4) outs.push('');
    outs[3] = `${node.name || 'skipnorm'}/residual_sum`;
    node.output = outs;
  }
  return outs[3]!;
}

/** A tensor counts as "feeding a norm" when a norm op or the first op of a decomposed norm reads it. */
function feedsNorm(t: string, idx: GraphIndex): boolean {
  for (const c of idx.consumers.get(t) ?? []) {
    const op = c.opType ?? '';
    if (NORM_OPS.has(op)) return true;
    // decomposed LayerNorm starts with ReduceMean(x); decomposed RMSNorm with Pow(x, 2) or Mul(x, x)
    if (op === 'ReduceMean' || op === 'Pow') return true;
    if (op === 'Mul' && c.input?.[0] === t && c.input?.[1] === t) return true;
  }
  return false;
}

/**
 * The token-embedding lookup: a Gather whose data is an initializer and whose indices come
 * (possibly through a Cast) from the `input_ids` graph input.
 */
function findEmbedding(graph: GraphProto, idx: GraphIndex): string | undefined {
  const inits = new Set((graph.initializer ?? []).map((t) => t.name ?? ''));
  const idsInput = (graph.input ?? []).find((v) => v.name === 'input_ids')?.name ?? graph.input?.[0]?.name;
  if (!idsInput) return undefined;
  const fromIds = (t: string): boolean => {
    if (t === idsInput) return true;
    const p = idx.producer.get(t);
    return !!p && (p.opType === 'Cast' || p.opType === 'Identity') && fromIds(p.input?.[0] ?? '');
  };
  for (const n of graph.node ?? []) {
    if (n.opType === 'Gather' && inits.has(n.input?.[0] ?? '') && fromIds(n.input?.[1] ?? '')) return n.output?.[0];
  }
  return undefined;
}

/**
 * Walks from the embedding output to the first tensor a norm reads: the residual stream at
 * block 0. When the embeddings are summed inside a fused Skip*Norm (token + position
 * embedding, neither computed from the other), the stream starts at its output 3.
 */
function findStreamStart(embedding: string, idx: GraphIndex): { tensor: string; fused?: NodeProto } | undefined {
  let t = embedding;
  for (let step = 0; step < 16; step++) {
    for (const c of idx.consumers.get(t) ?? []) {
      if (!SKIP_NORM_OPS.has(c.opType ?? '')) continue;
      const [a, b] = c.input ?? [];
      const other = a === t ? b : a;
      if (other && !dependsOn(other, t, idx)) return { tensor: residualSumOf(c), fused: c };
    }
    if (feedsNorm(t, idx)) return { tensor: t };
    const cs = idx.consumers.get(t) ?? [];
    // embeddings are combined by elementwise ops (position embeddings, scaling, casts, dropout)
    const next = cs.find((c) => ['Add', 'Mul', 'Cast', 'Identity', 'Dropout', 'Div'].includes(c.opType ?? ''));
    if (!next?.output?.[0]) return undefined;
    t = next.output[0];
  }
  return undefined;
}

/** One step along the residual stream: the residual Add (or fused skip norm) that reads `t`. */
function nextResidual(t: string, idx: GraphIndex): { tensor: string; fused?: NodeProto } | undefined {
  for (const c of idx.consumers.get(t) ?? []) {
    const op = c.opType ?? '';
    const ins = c.input ?? [];
    if (op === 'Add' && ins.length === 2) {
      const other = ins[0] === t ? ins[1]! : ins[0]!;
      if (other !== t && dependsOn(other, t, idx)) return { tensor: c.output![0]! };
    }
    if (SKIP_NORM_OPS.has(op)) {
      const [a, b] = ins;
      const other = a === t ? b : b === t ? a : undefined;
      // output 3 may be omitted when nothing reads it (last layer)
      if (other && dependsOn(other, t, idx)) return { tensor: residualSumOf(c), fused: c };
    }
  }
  return undefined;
}

/**
 * Locates every residual-stream hook structurally: from the token embedding, follow the
 * chain of residual adds (two per block: attention then MLP). Scope names are never
 * needed, so any prefix (`/transformer/h.N`, `/model/layers.N`, none) works.
 *
 * Note: for a fused graph whose last skip norm has no output 3, this names that output
 * in the node (a harmless change: nothing else reads it).
 */
export function locateHooks(graph: GraphProto): HookSite[] {
  if ((graph.node ?? []).some((n) => n.opType === 'If' || n.opType === 'Loop')) {
    throw new MergedDecoderError();
  }
  const idx = indexGraph(graph);
  const emb = findEmbedding(graph, idx);
  if (!emb) return [];
  const start = findStreamStart(emb, idx);
  if (!start) return [];
  const chain: { tensor: string; fused?: NodeProto }[] = [start];
  for (let i = 0; i < 4096; i++) {
    const next = nextResidual(chain[chain.length - 1]!.tensor, idx);
    if (!next) break;
    chain.push(next);
  }
  const sites: HookSite[] = [];
  const nBlocks = Math.floor((chain.length - 1) / 2);
  for (let L = 0; L < nBlocks; L++) {
    const pre = chain[2 * L]!;
    const mid = chain[2 * L + 1]!;
    const post = chain[2 * L + 2]!;
    sites.push({ name: `blocks.${L}.hook_resid_pre`, tensor: pre.tensor, ...(pre.fused ? { fusedNode: pre.fused } : {}) });
    sites.push({ name: `blocks.${L}.hook_resid_mid`, tensor: mid.tensor, ...(mid.fused ? { fusedNode: mid.fused } : {}) });
    sites.push({ name: `blocks.${L}.hook_resid_post`, tensor: post.tensor, ...(post.fused ? { fusedNode: post.fused } : {}) });
  }
  return sites;
}

/** Finds one hook or throws an error naming it and listing those that can be located. */
export function locateHook(graph: GraphProto, hook: string): HookSite {
  const sites = locateHooks(graph);
  const site = sites.find((s) => s.name === hook);
  if (!site) {
    const names = [...new Set(sites.map((s) => s.name))];
    const unsupported = /^blocks\.\d+\.hook_resid_(pre|mid|post)$/.test(hook) ? '' : 'only residual-stream hooks blocks.L.hook_resid_pre|mid|post are supported';
    throw new HookNotFoundError(hook, names, unsupported);
  }
  return site;
}

export class MergedDecoderError extends Error {
  constructor() {
    super(
      'this is a merged decoder (If subgraphs switching between the first pass and the cached pass); ' +
        'use the plain decoder export instead: decoder_model.onnx or decoder_with_past_model.onnx (optimum), ' +
        'or re-export with `optimum-cli export onnx --no-post-process`',
    );
    this.name = 'MergedDecoderError';
  }
}
