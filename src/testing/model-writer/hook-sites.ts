import type { NodeProto } from '../../core/model/onnx/proto.ts';

/** Ground truth for one hook: the tensor holding it and the node output producing it. */
export interface HookSite {
  /**
   * The tensor name; '' when the producing fused node leaves that output unnamed
   * (`trimFinalSkipSum`: ORT and onnxruntime-genai omit an unread output 3).
   */
  readonly tensor: string;
  /** Name and op type of the node producing it, and which of its outputs. */
  readonly node: string;
  readonly op: string;
  readonly output: number;
  /**
   * Other tensors holding exactly the same value: a `Cast` to the type the tensor already has,
   * as torch.onnx emits for Gemma-2's `x.float()` on float32 (the residual Add then reads the
   * Cast's output). Either name is the hook.
   */
  readonly aliases?: readonly string[];
  /**
   * Set when the hook's value is `tensor` plus a bias an optimizer folded into a fused node
   * (ORT's SkipLayerNormalization input 4): no tensor holds the value itself.
   */
  readonly foldedBias?: { readonly node: string; readonly input: number; readonly bias: string };
  /** `attn.hook_z` only: the output projection node whose data input `tensor` is. */
  readonly projection?: string;
}

/** A hook tensor with more to say than its name. */
export interface TensorRef {
  readonly tensor: string;
  readonly aliases?: readonly string[];
  /** Node name and input index of a folded bias. */
  readonly foldedBias?: { readonly node: string; readonly input: number };
  /** Name of the node projecting z. */
  readonly projection?: string;
}

/** A hook recorded while emitting: a named tensor, an unnamed output of a node, or a tensor with details. */
export type HookRef = string | { readonly node: string; readonly output: number } | TensorRef;

/** Resolves recorded hook references against the emitted nodes. */
export function resolveHookSites(nodes: readonly NodeProto[], refs: ReadonlyMap<string, HookRef>): Map<string, HookSite> {
  const producer = new Map<string, { node: NodeProto; output: number }>();
  const byName = new Map<string, NodeProto>();
  for (const n of nodes) {
    (n.output ?? []).forEach((o, i) => o && producer.set(o, { node: n, output: i }));
    if (n.name) byName.set(n.name, n);
  }
  const named = (hook: string, name: string): NodeProto => {
    const n = byName.get(name);
    if (!n) throw new Error(`hook ${hook}: no node named ${name}`);
    return n;
  };
  const out = new Map<string, HookSite>();
  for (const [hook, ref] of refs) {
    if (typeof ref !== 'string' && 'node' in ref) {
      const n = named(hook, ref.node);
      out.set(hook, { tensor: n.output?.[ref.output] ?? '', node: ref.node, op: n.opType ?? '', output: ref.output });
      continue;
    }
    const r: TensorRef = typeof ref === 'string' ? { tensor: ref } : ref;
    const p = producer.get(r.tensor);
    if (!p) throw new Error(`hook ${hook}: no node produces ${r.tensor}`);
    for (const a of r.aliases ?? []) if (!producer.has(a)) throw new Error(`hook ${hook}: no node produces alias ${a}`);
    const fb = r.foldedBias;
    const site: HookSite = {
      tensor: r.tensor,
      node: p.node.name ?? '',
      op: p.node.opType ?? '',
      output: p.output,
      ...(r.aliases?.length ? { aliases: r.aliases } : {}),
      ...(fb ? { foldedBias: { ...fb, bias: named(hook, fb.node).input?.[fb.input] ?? '' } } : {}),
      ...(r.projection ? { projection: named(hook, r.projection).name ?? '' } : {}),
    };
    out.set(hook, site);
  }
  return out;
}
