/**
 * Read-only lookups over a decoded ONNX graph, shared by the code that reads shapes and
 * weights out of a model (KV-cache geometry, the unembedding, attention output projections).
 */
import { toNumber, type GraphProto, type NodeProto, type TensorProto } from './onnx/proto.ts';

/** Producers, consumers and initializers of a graph, by tensor name. */
export interface GraphIndex {
  readonly graph: GraphProto;
  readonly inits: ReadonlyMap<string, TensorProto>;
  readonly producer: ReadonlyMap<string, NodeProto>;
  readonly consumers: ReadonlyMap<string, readonly NodeProto[]>;
}

/** Indexes a graph once (O(nodes)). */
export function indexGraph(graph: GraphProto): GraphIndex {
  const inits = new Map((graph.initializer ?? []).map((t) => [t.name ?? '', t]));
  const producer = new Map<string, NodeProto>();
  const consumers = new Map<string, NodeProto[]>();
  for (const n of graph.node ?? []) {
    for (const o of n.output ?? []) if (o) producer.set(o, n);
    for (const i of n.input ?? []) {
      if (!i) continue;
      const list = consumers.get(i);
      if (!list) consumers.set(i, [n]);
      else if (!list.includes(n)) list.push(n);
    }
  }
  return { graph, inits, producer, consumers };
}

/** A constant tensor: an initializer or a Constant node's `value`. */
export function constantTensor(g: GraphIndex, name: string): TensorProto | undefined {
  const t = g.inits.get(name);
  if (t) return t;
  const n = g.producer.get(name);
  if (n?.opType === 'Constant') return (n.attribute ?? []).find((a) => a.name === 'value')?.t ?? undefined;
  return undefined;
}

/** An int attribute of a node, or `fallback` when absent. */
export function intAttr(node: NodeProto, name: string, fallback: number): number {
  const a = (node.attribute ?? []).find((x) => x.name === name);
  return a?.i === undefined || a.i === null ? fallback : toNumber(a.i);
}

/** An ints attribute of a node, or undefined when absent. */
export function intsAttr(node: NodeProto, name: string): number[] | undefined {
  return (node.attribute ?? []).find((x) => x.name === name)?.ints?.map(toNumber);
}

/** The dims of a tensor proto as numbers. */
export const dimsOf = (t: TensorProto): number[] => (t.dims ?? []).map(toNumber);

/** The declared shape of a graph input, output or value_info entry: numbers for fixed dims, names (or '?') for symbolic ones. */
export function declaredShape(g: GraphIndex, name: string): (number | string)[] | undefined {
  const graph = g.graph;
  const v = [...(graph.input ?? []), ...(graph.output ?? []), ...(graph.valueInfo ?? [])].find((x) => x.name === name);
  const dims = v?.type?.tensorType?.shape?.dim;
  if (!dims) return undefined;
  return dims.map((d) =>
    d.dimValue !== undefined && d.dimValue !== null && toNumber(d.dimValue) > 0 ? toNumber(d.dimValue) : d.dimParam || '?',
  );
}
