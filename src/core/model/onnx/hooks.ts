import { indexGraph, type GraphIndex } from '../graph-index.ts';
import type { GraphProto, NodeProto } from './proto.ts';

/** The kinds of hook point the locator finds, by TransformerLens name suffix. */
export type HookKind = 'hook_resid_pre' | 'hook_resid_mid' | 'hook_resid_post' | 'hook_attn_out' | 'hook_mlp_out' | 'attn.hook_z';

/** Where a hook's value lives in the graph. */
export interface HookSite {
  /** TransformerLens name, e.g. `blocks.2.hook_resid_pre`, `blocks.1.attn.hook_z`. */
  readonly name: string;
  /** Which kind of point, and in which block. */
  readonly kind: HookKind;
  readonly layer: number;
  /**
   * The tensor holding the hook's value. For `attn.hook_z` it is the data input of the
   * attention output projection: it may be [B, T, H·D], [B·T, H·D] (Conv1D/Gemm exports) or
   * [B, T, H, D]; its elements are always in (token, head, dim) order, so a reshape to
   * [B, T, H·D] gives SAELens's head-major flattening.
   */
  readonly tensor: string;
  /**
   * Set when the tensor is output 3 (residual sum) of a fused Skip*LayerNormalization node:
   * steering there needs the node split into Add + norm so its normalised output sees the edit.
   */
  readonly fusedNode?: NodeProto;
  /**
   * `attn.hook_z` only: the output projection node that reads z (MatMul, Gemm, MatMulNBits,
   * or MatMulInteger after DynamicQuantizeLinear); its weight input is W_O.
   */
  readonly projection?: NodeProto;
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

const SKIP_NORM_OPS = new Set(['SkipLayerNormalization', 'SkipSimplifiedLayerNormalization']);

/** Ops that pass a tensor on unchanged in value (up to precision): the locator looks through them. */
const TRANSPARENT_OPS = new Set(['Cast', 'Identity', 'Dropout']);

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

/** Ops that combine or convert the token embedding on its way to the residual stream. */
const EMBEDDING_COMBINE_OPS = new Set(['Add', 'Mul', 'Div', 'Cast', 'Identity', 'Dropout', 'DequantizeLinear']);

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

/** True when `t` is an initializer or computed from initializers and constants only (a weight). */
function isConstant(t: string, idx: GraphIndex, depth = 0): boolean {
  if (idx.inits.has(t)) return true;
  const p = idx.producer.get(t);
  if (!p || depth > 8) return false;
  if (p.opType === 'Constant') return true;
  const ins = (p.input ?? []).filter(Boolean);
  return ins.length > 0 && ins.every((i) => isConstant(i, idx, depth + 1));
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

/** `t` and the tensors that carry its value on through transparent ops (casts, identities). */
function transparentCopies(t: string, idx: GraphIndex): string[] {
  const out = [t];
  for (let i = 0; i < out.length && out.length < 64; i++) {
    for (const c of idx.consumers.get(out[i]!) ?? []) {
      if (TRANSPARENT_OPS.has(c.opType ?? '') && c.input?.[0] === out[i] && c.output?.[0]) out.push(c.output[0]);
    }
  }
  return out;
}

/** The token-embedding lookup. */
interface Embedding {
  /** The lookup's output (before any dequantisation, scaling or position embedding). */
  readonly tensor: string;
  readonly node: NodeProto;
}

/**
 * The token-embedding lookup: a Gather (or com.microsoft GatherBlockQuantized) whose table is
 * constant (an initializer, or computed from one: a Transpose of a tied lm_head weight,
 * a DequantizeLinear) and whose indices come, possibly through casts, from `input_ids`.
 */
function findEmbedding(graph: GraphProto, idx: GraphIndex): Embedding | undefined {
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
interface ResidualStep {
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
function nextResidual(t: string, earlier: readonly string[], idx: GraphIndex): ResidualStep | undefined {
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
function findStreamStart(embedding: string, idx: GraphIndex): { tensor: string; fused?: NodeProto } | undefined {
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
function findOutputProjection(attnOut: string, stop: ReadonlySet<string>, idx: GraphIndex): { node: NodeProto; z: string } | undefined {
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
interface Branch {
  readonly attn?: string;
  readonly mlp?: string;
}

/**
 * What a branch adds: attention (it holds an attention op), MLP (it does not), or both, when
 * one tensor sums the two sub-blocks of a parallel block (`mlp(ln2 x) + attn(ln1 x)`).
 */
function splitBranch(branch: string, stop: ReadonlySet<string>, idx: GraphIndex): Branch {
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

/** Why the stream could not be followed further, for the error message. */
interface LocateResult {
  readonly sites: HookSite[];
  readonly found: string;
}

function locate(graph: GraphProto): LocateResult {
  if ((graph.node ?? []).some((n) => n.opType === 'If' || n.opType === 'Loop')) {
    throw new MergedDecoderError();
  }
  const idx = indexGraph(graph);
  const emb = findEmbedding(graph, idx);
  if (!emb) {
    return {
      sites: [],
      found: 'no token-embedding lookup (a Gather or GatherBlockQuantized on a constant table, indexed by input_ids)',
    };
  }
  const start = findStreamStart(emb.tensor, idx);
  if (!start) {
    return {
      sites: [],
      found: `the token embedding ${emb.node.name || emb.tensor} (${emb.node.opType}) but no residual Add reading the stream after it`,
    };
  }
  // the residual stream: R0, R1, … with the branch added at each step
  const chain: { tensor: string; fused?: NodeProto }[] = [start];
  const steps: ResidualStep[] = [];
  for (let i = 0; i < 4096; i++) {
    const earlier = chain.slice(0, -1).map((c) => c.tensor);
    const next = nextResidual(chain[chain.length - 1]!.tensor, earlier.slice(-2), idx);
    if (!next) break;
    chain.push(next);
    steps.push(next);
  }
  const stop = new Set(chain.flatMap((c) => transparentCopies(c.tensor, idx)));
  // the latest stream point each branch reads: a parallel block's second add reads the first's input
  const source = steps.map((s, i) => {
    for (let j = i; j >= 0; j--) if (dependsOn(s.branch, chain[j]!.tensor, idx)) return j;
    return i;
  });

  const sites: HookSite[] = [];
  const site = (
    name: string,
    kind: HookKind,
    layer: number,
    at: { tensor: string; fused?: NodeProto },
    extra: Partial<HookSite> = {},
  ): void => {
    sites.push({ name: `blocks.${layer}.${name}`, kind, layer, tensor: at.tensor, ...(at.fused ? { fusedNode: at.fused } : {}), ...extra });
  };
  const attnSites = (layer: number, attn: string, fusedInto?: NodeProto): void => {
    site('hook_attn_out', 'hook_attn_out', layer, { tensor: attn }, fusedInto ? { fusedNode: fusedInto } : {});
    const proj = findOutputProjection(attn, stop, idx);
    if (proj) site('attn.hook_z', 'attn.hook_z', layer, { tensor: proj.z }, { projection: proj.node });
  };
  let layer = 0;
  let i = 0;
  let problem = '';
  while (i < steps.length) {
    // steps reading the same stream point form one group (both sub-blocks of a parallel block)
    let j = i + 1;
    while (j < steps.length && source[j] === source[i]) j++;
    const group = steps.slice(i, j);
    const parts = group.map((s) => ({ step: s, ...splitBranch(s.branch, stop, idx) }));
    const attn = parts.filter((p) => p.attn);
    const mlp = parts.filter((p) => p.mlp);
    const pre = chain[source[i]!]!;
    const fusedOf = (p: (typeof parts)[number], branch: string): NodeProto | undefined =>
      p.step.fused && p.step.branch === branch ? p.step.fused : undefined;
    if (attn.length === 1 && mlp.length === 1) {
      // parallel block: one stream point before, one after, no resid_mid
      site('hook_resid_pre', 'hook_resid_pre', layer, pre);
      attnSites(layer, attn[0]!.attn!, fusedOf(attn[0]!, attn[0]!.attn!));
      site('hook_mlp_out', 'hook_mlp_out', layer, {
        tensor: mlp[0]!.mlp!,
        ...(fusedOf(mlp[0]!, mlp[0]!.mlp!) ? { fused: fusedOf(mlp[0]!, mlp[0]!.mlp!)! } : {}),
      });
      site('hook_resid_post', 'hook_resid_post', layer, chain[j]!);
      layer++;
      i = j;
      continue;
    }
    const nextGroup = j < steps.length && source[j] === j && source[j + 1] !== j ? steps[j] : undefined;
    const nextPart = nextGroup ? splitBranch(nextGroup.branch, stop, idx) : undefined;
    if (group.length === 1 && attn.length === 1 && mlp.length === 0 && nextPart?.mlp && !nextPart.attn) {
      // sequential block: attention add, then MLP add
      site('hook_resid_pre', 'hook_resid_pre', layer, pre);
      attnSites(layer, attn[0]!.attn!, fusedOf(attn[0]!, attn[0]!.attn!));
      site('hook_resid_mid', 'hook_resid_mid', layer, chain[j]!);
      site('hook_mlp_out', 'hook_mlp_out', layer, { tensor: nextPart.mlp, ...(nextGroup!.fused ? { fused: nextGroup!.fused } : {}) });
      site('hook_resid_post', 'hook_resid_post', layer, chain[j + 1]!);
      layer++;
      i = j + 1;
      continue;
    }
    problem = ` (block ${layer}: the residual adds after it hold ${attn.length} attention and ${mlp.length} MLP branches in an order not recognised)`;
    break;
  }
  return {
    sites,
    found:
      `the token embedding ${emb.node.name || emb.tensor}, ${steps.length} residual adds, ` +
      `${layer} transformer block${layer === 1 ? '' : 's'}${problem}`,
  };
}

/**
 * Locates every hook point structurally: from the token embedding, follow the chain of
 * residual adds; each add's branch is an attention sub-block (it holds an attention op), an
 * MLP, or both (parallel blocks). Casts and identities are looked through wherever they sit.
 * Scope names are never needed, so any prefix (`/transformer/h.N`, `/model/layers.N`, none)
 * works.
 *
 * For `hook_attn_out` / `hook_mlp_out` whose branch enters a fused Skip*Norm, `fusedNode` is
 * that node (its bias input, if any, belongs to the branch).
 *
 * Note: for a fused graph whose last skip norm has no output 3, this names that output
 * in the node (a harmless change: nothing else reads it).
 */
export function locateHooks(graph: GraphProto): HookSite[] {
  return locate(graph).sites;
}

/**
 * Which norm the blocks apply to the residual stream, judged at its first point: LayerNorm
 * (a LayerNormalization op, or a decomposed one starting with ReduceMean(x) for x − mean) or
 * RMSNorm (Simplified/RMS ops, or Pow(x, 2) / x·x first). TransformerLens centres writing
 * weights only for LayerNorm models, so this decides whether `center_writing_weights` applies.
 */
export function residualNormKind(graph: GraphProto, sites: readonly HookSite[]): 'layernorm' | 'rmsnorm' | undefined {
  const first = sites.find((s) => s.kind === 'hook_resid_pre');
  if (!first) return undefined;
  const idx = indexGraph(graph);
  let rms = false;
  for (const t of transparentCopies(first.tensor, idx)) {
    for (const c of idx.consumers.get(t) ?? []) {
      const op = c.opType ?? '';
      if (op === 'LayerNormalization' || op === 'SkipLayerNormalization' || op === 'ReduceMean') return 'layernorm';
      if (op === 'SimplifiedLayerNormalization' || op === 'SkipSimplifiedLayerNormalization' || op === 'RMSNormalization' || op === 'Pow')
        rms = true;
      if (op === 'Mul' && c.input?.[0] === t && c.input?.[1] === t) rms = true;
    }
  }
  if (first.fusedNode) return first.fusedNode.opType === 'SkipLayerNormalization' ? 'layernorm' : 'rmsnorm';
  return rms ? 'rmsnorm' : undefined;
}

/** Finds one hook or throws an error naming it, what was found, and the hooks that can be located. */
export function locateHook(graph: GraphProto, hook: string): HookSite {
  return locateHookAmong(graph, hook).site;
}

/** {@link locateHook}, also handing back every site located on the way (one walk of the graph). */
export function locateHookAmong(graph: GraphProto, hook: string): { site: HookSite; sites: HookSite[] } {
  const { sites, found } = locate(graph);
  const site = sites.find((s) => s.name === hook);
  if (!site) {
    const names = [...new Set(sites.map((s) => s.name))];
    const known = /^blocks\.\d+\.(hook_resid_(pre|mid|post)|hook_attn_out|hook_mlp_out|attn\.hook_z)$/.test(hook);
    let detail = known
      ? `found ${found}`
      : `only blocks.L.hook_resid_pre|mid|post, hook_attn_out, hook_mlp_out and attn.hook_z are supported; found ${found}`;
    if (/hook_resid_mid$/.test(hook) && sites.some((s) => s.kind === 'hook_mlp_out') && !sites.some((s) => s.kind === 'hook_resid_mid')) {
      detail = `this model's blocks are parallel (x + attn(ln1 x) + mlp(ln2 x)): there is no point between attention and MLP, so no hook_resid_mid; ${detail}`;
    }
    throw new HookNotFoundError(hook, names, detail);
  }
  return { site, sites };
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
