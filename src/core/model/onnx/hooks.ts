import { indexGraph, type GraphIndex } from '../graph-index.ts';
import { findOutputProjection, splitBranch } from './hook-branches.ts';
import type { GraphProto, NodeProto } from './proto.ts';
import { dependsOn, findEmbedding, findStreamStart, nextResidual, transparentCopies, type ResidualStep } from './residual-stream.ts';

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

/** Why the stream could not be followed further, for the error message. */
interface LocateResult {
  readonly sites: HookSite[];
  readonly found: string;
}

/** A point on the residual stream: the tensor, and the fused Skip*Norm that makes it (if any). */
interface StreamPoint {
  readonly tensor: string;
  readonly fused?: NodeProto;
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
  const { chain, steps } = followStream(start, idx);
  const { sites, layer, problem } = blockSites(chain, steps, idx);
  return {
    sites,
    found:
      `the token embedding ${emb.node.name || emb.tensor}, ${steps.length} residual adds, ` +
      `${layer} transformer block${layer === 1 ? '' : 's'}${problem}`,
  };
}

/** The residual stream: R0, R1, … with the branch added at each step. */
function followStream(start: StreamPoint, idx: GraphIndex): { chain: StreamPoint[]; steps: ResidualStep[] } {
  const chain: StreamPoint[] = [start];
  const steps: ResidualStep[] = [];
  for (let i = 0; i < 4096; i++) {
    const earlier = chain.slice(0, -1).map((c) => c.tensor);
    const next = nextResidual(chain[chain.length - 1]!.tensor, earlier.slice(-2), idx);
    if (!next) break;
    chain.push(next);
    steps.push(next);
  }
  return { chain, steps };
}

/** For each step, the latest stream point its branch reads: a parallel block's second add reads the first's input. */
function stepSources(chain: readonly StreamPoint[], steps: readonly ResidualStep[], idx: GraphIndex): number[] {
  return steps.map((s, i) => {
    for (let j = i; j >= 0; j--) if (dependsOn(s.branch, chain[j]!.tensor, idx)) return j;
    return i;
  });
}

/** Helpers that append a block's sites to `sites`; `stop` holds the stream tensors (branches end there). */
function siteAdder(sites: HookSite[], stop: ReadonlySet<string>, idx: GraphIndex) {
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
  return { site, attnSites };
}

/**
 * The hook sites of every block, walking the residual steps a block at a time: a parallel block
 * (attention and MLP reading one stream point) or a sequential one (attention add, then MLP add).
 * Stops at the first steps in an order not recognised; `problem` then says so.
 */
function blockSites(
  chain: readonly StreamPoint[],
  steps: readonly ResidualStep[],
  idx: GraphIndex,
): { sites: HookSite[]; layer: number; problem: string } {
  const stop = new Set(chain.flatMap((c) => transparentCopies(c.tensor, idx)));
  const source = stepSources(chain, steps, idx);
  const sites: HookSite[] = [];
  const { site, attnSites } = siteAdder(sites, stop, idx);
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
  return { sites, layer, problem };
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
