import type { NodeProto } from '../onnx/proto.ts';

/** Ground truth for one residual hook: the tensor holding it and the node output producing it. */
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
}

/** A hook recorded while emitting: a named tensor, or an unnamed output of a node. */
export type HookRef = string | { readonly node: string; readonly output: number };

/** Resolves recorded hook references against the emitted nodes. */
export function resolveHookSites(nodes: readonly NodeProto[], refs: ReadonlyMap<string, HookRef>): Map<string, HookSite> {
  const producer = new Map<string, { node: NodeProto; output: number }>();
  const byName = new Map<string, NodeProto>();
  for (const n of nodes) {
    (n.output ?? []).forEach((o, i) => o && producer.set(o, { node: n, output: i }));
    if (n.name) byName.set(n.name, n);
  }
  const out = new Map<string, HookSite>();
  for (const [hook, ref] of refs) {
    if (typeof ref === 'string') {
      const p = producer.get(ref);
      if (!p) throw new Error(`hook ${hook}: no node produces ${ref}`);
      out.set(hook, { tensor: ref, node: p.node.name ?? '', op: p.node.opType ?? '', output: p.output });
    } else {
      const n = byName.get(ref.node);
      if (!n) throw new Error(`hook ${hook}: no node named ${ref.node}`);
      out.set(hook, { tensor: n.output?.[ref.output] ?? '', node: ref.node, op: n.opType ?? '', output: ref.output });
    }
  }
  return out;
}
