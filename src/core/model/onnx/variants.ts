import type { SteerMode } from '#shared/intervention.ts';
import type { Sae } from '../../sae/types.ts';
import { GraphBuilder, attr, graphNames, pruneDead, toposort, valueInfo } from './builder.ts';
import { elemTypeOf } from './elem-type.ts';
import { fuseTanhGelu, MS_DOMAIN } from './fuse-gelu.ts';
import { locateHookAmong, residualNormKind, type HookSite } from './hooks.ts';
import { Ops } from './ops.ts';
import { DataType, type GraphProto, type ModelProto, type NodeProto } from './proto.ts';
import { emitSae, type SaeNodes } from './sae-graph.ts';

/**
 * The graph variants built from one (model, SAE, hook):
 * - capture: per-token top-k latents (and optionally the hook input and reconstruction);
 *   nothing after the hook is kept, so the later layers are never run.
 * - steer: the hook tensor is replaced by x + decode(a') − decode(a) (clamp, scale) plus
 *   s·W_dec[i] (add), driven by inputs; logits and KV-cache outputs kept.
 * - replace: the hook tensor is replaced by the SAE reconstruction (or zeros), for
 *   CE-loss-recovered style evaluation.
 */
export type VariantKind = 'capture' | 'steer' | 'replace' | 'zero';

/** Graph I/O names the variants add; the runtime feeds and reads these. */
export const SaeIO = {
  /** capture input: int64 [1], how many latents per token to return. */
  topK: 'sae_top_k',
  /** capture outputs: [B, T, K] values (largest first) and int64 indices. */
  topValues: 'sae_top_values',
  topIndices: 'sae_top_indices',
  /** capture / replace outputs: the hook activation and its reconstruction [B, T, d_in] (float32). */
  hookInput: 'sae_hook_input',
  reconstruction: 'sae_reconstruction',
  /** capture output (dense option): all latents [B, T, d_sae]. */
  latents: 'sae_latents',
  /** steer inputs: int64 [S] latent ids, float [S] values, int64 [S] modes (see SteerMode), float [B, S, T] mask (batch row × intervention × position; B may be 1 for every row). */
  steerIds: 'steer_ids',
  steerValues: 'steer_values',
  steerModes: 'steer_modes',
  steerMask: 'steer_mask',
} as const;

/** Codes fed in `steer_modes`: the graph's compiled form of each SteerMode. */
export const SteerModeCode = { clamp: 0, add: 1, scale: 2 } as const satisfies Record<SteerMode, number>;

export interface VariantOptions {
  readonly kind: VariantKind;
  readonly hook: string;
  /** capture only: also output the dense latents. */
  readonly dense?: boolean;
  /** capture only: also output the hook input and the SAE reconstruction (metrics). */
  readonly reconstruction?: boolean;
  /**
   * capture only: run the model's tanh GELUs as ONNX Runtime's FastGelu (fuse-gelu.ts). Only
   * for providers that implement that contrib op (CPU, CUDA); any other would run it on the CPU.
   */
  readonly fastGelu?: boolean;
}

/** Declares an operator domain (version 1) the model does not import yet. */
function useDomain(model: ModelProto, domain: string): void {
  if (!(model.opsetImport ?? []).some((o) => o.domain === domain))
    model.opsetImport = [...(model.opsetImport ?? []), { domain, version: 1 }];
}

function defaultOpset(model: ModelProto): number {
  const o = (model.opsetImport ?? []).find((x) => !x.domain || x.domain === 'ai.onnx');
  return Number(o?.version ?? 13);
}

/** An initializer's dims, looking through ops that only re-lay a constant (Transpose, DequantizeLinear, Cast). */
function constDims(graph: GraphProto, t: string): { dims: number[]; transposed: boolean } | undefined {
  const inits = new Map((graph.initializer ?? []).map((x) => [x.name ?? '', x]));
  let transposed = false;
  for (let i = 0; i < 8; i++) {
    const init = inits.get(t);
    if (init) return { dims: (init.dims ?? []).map(Number), transposed };
    const p = (graph.node ?? []).find((n) => (n.output ?? []).includes(t));
    if (!p || !['Transpose', 'DequantizeLinear', 'Cast', 'Identity'].includes(p.opType ?? '')) return undefined;
    if (p.opType === 'Transpose') transposed = !transposed;
    t = p.input?.[0] ?? '';
  }
  return undefined;
}

/**
 * The width of the hook tensor's last axis when the graph shows it: d_model from the token
 * embedding's table for stream, attention-out and MLP-out hooks; for `attn.hook_z`, the input
 * width (n_heads · d_head) of the output projection's weight.
 */
function hookWidth(graph: GraphProto, site: HookSite): { width: number; from: string } | undefined {
  if (site.kind === 'attn.hook_z') {
    const p = site.projection;
    if (!p) return undefined;
    const attr = (name: string): number | undefined => {
      const a = (p.attribute ?? []).find((x) => x.name === name);
      return a?.i === undefined || a.i === null ? undefined : Number(a.i);
    };
    if (p.opType === 'MatMulNBits') {
      const k = attr('K');
      return k ? { width: k, from: `the output projection ${p.name} (MatMulNBits K)` } : undefined;
    }
    const w = constDims(graph, p.input?.[1] ?? '');
    if (!w || w.dims.length !== 2) return undefined;
    const transB = p.opType === 'Gemm' && attr('transB') === 1;
    const width = (transB !== w.transposed ? w.dims[1] : w.dims[0])!;
    return { width, from: `the output projection ${p.name} (weight [${w.dims.join(', ')}])` };
  }
  for (const n of graph.node ?? []) {
    if (n.opType !== 'Gather' || (n.input?.[1] ?? '') === '') continue;
    const ids = (graph.input ?? []).find((v) => v.name === 'input_ids')?.name;
    if (
      ids &&
      n.input?.[1] !== ids &&
      !(graph.node ?? []).some((c) => c.opType === 'Cast' && c.input?.[0] === ids && c.output?.[0] === n.input?.[1])
    )
      continue;
    const w = constDims(graph, n.input?.[0] ?? '');
    if (w && w.dims.length === 2) {
      const width = (w.transposed ? w.dims[0] : w.dims[1])!;
      return { width, from: `the token embedding ${n.input?.[0]} ([vocab, ${width}])` };
    }
  }
  return undefined;
}

/**
 * Splits a fused Skip(Simplified)LayerNormalization into Add (+ bias) and a plain norm, so
 * the norm reads the edited stream. With `branch` (one of its two summed inputs) the bias is
 * added to the branch first, and that sum, what the sub-block adds to the stream, is returned.
 */
function unfuse(graph: GraphProto, node: NodeProto, b: GraphBuilder, branch?: string): string | undefined {
  const ins = node.input ?? [];
  const outs = node.output ?? [];
  const used = new Set((graph.node ?? []).flatMap((n) => n.input ?? []));
  if ((outs[1] && used.has(outs[1])) || (outs[2] && used.has(outs[2]))) {
    throw new Error(`${node.opType} ${node.name}: its mean / inverse-std outputs are used; cannot splice the SAE here`);
  }
  const simplified = node.opType === 'SkipSimplifiedLayerNormalization';
  const eps = (node.attribute ?? []).find((a) => a.name === 'epsilon')?.f ?? 1e-5;
  // Skip*: inputs (input, skip, gamma, [beta], [bias]); Simplified has no beta: (input, skip, gamma, [bias])
  const [input, skip, gamma] = ins;
  const beta = simplified ? undefined : ins[3];
  const bias = simplified ? ins[3] : ins[4];
  let sum: string;
  let branchSum: string | undefined;
  if (branch !== undefined) {
    branchSum = bias ? b.op('Add', [branch, bias]) : branch;
    sum = b.op('Add', [branch === input ? skip! : input!, branchSum]);
  } else {
    sum = b.op('Add', [input!, skip!]);
    if (bias) sum = b.op('Add', [sum, bias]);
  }
  const residual = outs[3] || b.name('residual_sum');
  b.node('Identity', [sum], [residual]);
  if (outs[0]) {
    const normIns = simplified ? [residual, gamma!] : beta ? [residual, gamma!, beta] : [residual, gamma!];
    b.node(simplified ? 'SimplifiedLayerNormalization' : 'LayerNormalization', normIns, [outs[0]], {
      axis: attr.int(-1),
      epsilon: attr.float(eps),
    });
  }
  graph.node = (graph.node ?? []).filter((n) => n !== node);
  return branchSum;
}

/** The fused node's bias input, if it has one. */
function skipBias(node: NodeProto): string | undefined {
  const ins = node.input ?? [];
  return (node.opType === 'SkipSimplifiedLayerNormalization' ? ins[3] : ins[4]) || undefined;
}

/** Points every reader of `from` (outside `except`) at `to`. */
function rewire(graph: GraphProto, from: string, to: string, except: Set<NodeProto>): void {
  for (const n of graph.node ?? []) {
    if (except.has(n)) continue;
    n.input = (n.input ?? []).map((i) => (i === from ? to : i));
  }
  for (const o of graph.output ?? []) if (o.name === from) throw new Error(`hook tensor ${from} is a graph output; cannot splice there`);
}

/**
 * Builds a variant in place on a freshly decoded model (the caller decodes one copy per
 * variant). Returns the located hook site.
 */
export function buildVariant(model: ModelProto, sae: Sae, opts: VariantOptions): HookSite {
  const graph = model.graph!;
  const { site, sites } = locateHookAmong(graph, opts.hook);
  const opset = defaultOpset(model);
  const b = new GraphBuilder('sae/', graphNames(graph));
  const ops = new Ops(b, opset);
  checkWidth(graph, site, sae, opts.hook);
  const elem = elemTypeOf(graph, site.tensor);
  const halfish = elem !== DataType.FLOAT;

  const edits = opts.kind !== 'capture';
  const h = unfuseAtHook(graph, site, b, edits);
  const { x, restore } = saeInput(graph, site, b, ops, h, halfish);
  // TransformerLens centres writing weights only when the model uses LayerNorm (it skips RMSNorm models)
  const center = sae.config.centerWritingWeights === true && residualNormKind(graph, sites) !== 'rmsnorm';
  const nodes = emitSae(ops, sae, x, { center });

  if (opts.kind === 'capture') {
    emitCapture(graph, b, ops, sae, nodes, opts);
  } else {
    let edited: string;
    if (opts.kind === 'steer') edited = emitSteer(graph, b, ops, nodes, x);
    else if (opts.kind === 'replace') edited = nodes.toHook(nodes.reconstruction());
    else edited = b.op('ConstantOfShape', [b.op('Shape', [x])]);
    const hNew = halfish ? ops.cast(restore(edited), elem) : restore(edited);
    const ours = new Set(b.nodes);
    // readers of h other than the SAE get the edited stream
    rewire(graph, h, hNew, ours);
    if (opts.kind === 'replace' || opts.kind === 'zero') {
      b.node('Identity', [nodes.input], [SaeIO.hookInput]);
      graph.output = [...(graph.output ?? []), valueInfo(SaeIO.hookInput, DataType.FLOAT, ['batch', 'sequence', 'd_in'])];
    }
  }

  b.commit(graph);
  if (opts.kind === 'capture' && opts.fastGelu && fuseTanhGelu(graph) > 0) useDomain(model, MS_DOMAIN);
  toposort(graph);
  if (opts.kind === 'capture') pruneDead(graph);
  return site;
}

/** Throws when the graph shows the hook's width and it is not the SAE's d_in. */
function checkWidth(graph: GraphProto, site: HookSite, sae: Sae, hook: string): void {
  const width = hookWidth(graph, site);
  if (width && width.width !== sae.config.dIn) {
    throw new Error(
      `${sae.source.weightsFile}: SAE d_in=${sae.config.dIn} (W_enc [${sae.params.W_enc.shape.join(', ')}]) does not match ` +
        `the model's width ${width.width} at ${hook} (from ${width.from})`,
    );
  }
}

/**
 * Splits the fused Skip*Norm at the hook where the SAE needs it (see {@link unfuse}); returns
 * the tensor that holds the hook's value afterwards.
 */
function unfuseAtHook(graph: GraphProto, site: HookSite, b: GraphBuilder, edits: boolean): string {
  let h = site.tensor;
  const branchHook = site.kind === 'hook_attn_out' || site.kind === 'hook_mlp_out';
  if (site.fusedNode && branchHook && skipBias(site.fusedNode)) {
    // the sub-block's bias is folded into the skip norm: split it out so the hook holds branch + bias
    h = unfuse(graph, site.fusedNode, b, site.tensor)!;
    b.commit(graph);
  } else if (edits && site.fusedNode && !branchHook) {
    unfuse(graph, site.fusedNode, b);
    b.commit(graph); // the split norm joins the model's nodes: it must read the edited stream
  }
  return h;
}

/**
 * The SAE's input x: the hook tensor `h` as float32 [B, T, d_in], and `restore`, which maps
 * a tensor shaped like x back to h's shape.
 */
function saeInput(
  graph: GraphProto,
  site: HookSite,
  b: GraphBuilder,
  ops: Ops,
  h: string,
  halfish: boolean,
): { x: string; restore: (t: string) => string } {
  let x = halfish ? ops.cast(h, DataType.FLOAT) : h;
  // hook_z may be [B·T, H·D] (Conv1D exports) or [B, T, H, D]: the SAE reads [B, T, H·D]
  let restore = (t: string): string => t;
  if (site.kind === 'attn.hook_z') {
    const ids = (graph.input ?? []).find((v) => v.name === 'input_ids')?.name ?? graph.input?.[0]?.name ?? 'input_ids';
    const bt = ops.gather(b.op('Shape', [ids]), b.int64s('bt_axes', [0, 1]), 0);
    x = b.op('Reshape', [x, b.op('Concat', [bt, b.int64s('minus_one', [-1])], { axis: attr.int(0) })]);
    const hShape = b.op('Shape', [h]);
    restore = (t) => b.op('Reshape', [t, hShape]);
  }
  return { x, restore };
}

/** capture: the top-K latents per token (and with the options the hook input, reconstruction and dense latents) as the graph's only outputs. */
function emitCapture(graph: GraphProto, b: GraphBuilder, ops: Ops, sae: Sae, nodes: SaeNodes, opts: VariantOptions): void {
  const outputs = [];
  // top-K per token; for TopK-style SAEs from the k candidates (K is clamped to k at run time)
  const source = nodes.sparse?.values ?? nodes.dense();
  const kIn = nodes.sparse ? b.op('Min', [SaeIO.topK, b.int64s('k_max', [sae.config.k ?? 1])]) : SaeIO.topK;
  const [v, i] = ops.topk(source, kIn);
  const ids = nodes.sparse ? b.op('GatherElements', [nodes.sparse.indices, i], { axis: attr.int(-1) }) : i;
  b.node('Identity', [v], [SaeIO.topValues]);
  b.node('Identity', [ids], [SaeIO.topIndices]);
  outputs.push(
    valueInfo(SaeIO.topValues, DataType.FLOAT, ['batch', 'sequence', 'k']),
    valueInfo(SaeIO.topIndices, DataType.INT64, ['batch', 'sequence', 'k']),
  );
  if (opts.reconstruction) {
    b.node('Identity', [nodes.input], [SaeIO.hookInput]);
    b.node('Identity', [nodes.reconstruction()], [SaeIO.reconstruction]);
    outputs.push(
      valueInfo(SaeIO.hookInput, DataType.FLOAT, ['batch', 'sequence', 'd_in']),
      valueInfo(SaeIO.reconstruction, DataType.FLOAT, ['batch', 'sequence', 'd_in']),
    );
  }
  if (opts.dense) {
    b.node('Identity', [nodes.dense()], [SaeIO.latents]);
    outputs.push(valueInfo(SaeIO.latents, DataType.FLOAT, ['batch', 'sequence', 'd_sae']));
  }
  graph.input = [...(graph.input ?? []), valueInfo(SaeIO.topK, DataType.INT64, [1])];
  graph.output = outputs;
}

/** steer: x + decode(a') − decode(a) for clamp / scale, plus s·W_dec[i] for add, all driven by the steer inputs; returns the edited x. */
function emitSteer(graph: GraphProto, b: GraphBuilder, ops: Ops, nodes: SaeNodes, x: string): string {
  const ids = SaeIO.steerIds;
  const vals = SaeIO.steerValues;
  const modes = SaeIO.steerModes;
  const maskT = b.op('Transpose', [SaeIO.steerMask], { perm: attr.ints([0, 2, 1]) }); // [B, T, S]: each batch row its own steering
  const isMode = (code: number): string => ops.cast(b.op('Equal', [modes, b.int64s(`mode${code}`, [code], [])]), DataType.FLOAT);
  const aSel = nodes.selected(ids); // [B, T, S]
  const clampD = ops.mul(isMode(SteerModeCode.clamp), ops.sub(vals, aSel));
  const scaleD = ops.mul(ops.mul(isMode(SteerModeCode.scale), ops.sub(vals, b.scalar('one', 1))), aSel);
  const coef = ops.mul(maskT, ops.add(clampD, scaleD));
  const wSel = ops.gather(nodes.W_dec, ids, 0); // [S, d_in]
  const dx = nodes.denormDelta(ops.matmul(coef, wSel));
  const addCoef = ops.mul(maskT, ops.mul(isMode(SteerModeCode.add), vals)); // [B, T, S]
  const edited = ops.add(ops.add(x, dx), ops.matmul(addCoef, wSel));
  graph.input = [
    ...(graph.input ?? []),
    valueInfo(ids, DataType.INT64, ['n_steer']),
    valueInfo(vals, DataType.FLOAT, ['n_steer']),
    valueInfo(modes, DataType.INT64, ['n_steer']),
    valueInfo(SaeIO.steerMask, DataType.FLOAT, ['steer_batch', 'n_steer', 'sequence']),
  ];
  return edited;
}
