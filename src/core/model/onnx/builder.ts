import { DataType, onnx, type AttributeProto, type GraphProto, type NodeProto, type TensorProto, type ValueInfoProto } from './proto.ts';

/** A typed attribute value: `attr.int(1)`, `attr.floats([...])`, ... */
export type Attr =
  | { readonly kind: 'int'; readonly v: number }
  | { readonly kind: 'float'; readonly v: number }
  | { readonly kind: 'ints'; readonly v: readonly number[] }
  | { readonly kind: 'floats'; readonly v: readonly number[] }
  | { readonly kind: 'string'; readonly v: string }
  | { readonly kind: 'tensor'; readonly v: TensorProto };

export const attr = {
  int: (v: number): Attr => ({ kind: 'int', v }),
  float: (v: number): Attr => ({ kind: 'float', v }),
  ints: (v: readonly number[]): Attr => ({ kind: 'ints', v }),
  floats: (v: readonly number[]): Attr => ({ kind: 'floats', v }),
  string: (v: string): Attr => ({ kind: 'string', v }),
  tensor: (v: TensorProto): Attr => ({ kind: 'tensor', v }),
};

function toAttributeProto(name: string, a: Attr): AttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  switch (a.kind) {
    case 'int':
      return { name, type: T.INT, i: a.v };
    case 'float':
      return { name, type: T.FLOAT, f: a.v };
    case 'ints':
      return { name, type: T.INTS, ints: [...a.v] };
    case 'floats':
      return { name, type: T.FLOATS, floats: [...a.v] };
    case 'string':
      return { name, type: T.STRING, s: new TextEncoder().encode(a.v) };
    case 'tensor':
      return { name, type: T.TENSOR, t: a.v };
  }
}

/** A float32 initializer stored as raw little-endian bytes. */
export function floatTensor(name: string, data: Float32Array, dims: readonly number[]): TensorProto {
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return { name, dataType: DataType.FLOAT, dims: [...dims], rawData: bytes };
}

/** An int64 initializer stored as raw little-endian bytes. */
export function int64Tensor(name: string, values: readonly number[], dims: readonly number[] = [values.length]): TensorProto {
  const b = new BigInt64Array(values.map((v) => BigInt(v)));
  return { name, dataType: DataType.INT64, dims: [...dims], rawData: new Uint8Array(b.buffer) };
}

/** A value-info (graph input/output) declaration with symbolic or fixed dims. */
export function valueInfo(name: string, elemType: number, dims: readonly (number | string)[]): ValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType,
        shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

/**
 * Appends nodes and initializers to a graph with unique, prefixed names. Used both by the
 * SAE splice (graph surgery) and by the project's own model writer (test models, bench).
 */
export class GraphBuilder {
  private readonly used = new Set<string>();
  private counter = 0;
  readonly nodes: NodeProto[] = [];
  readonly initializers: TensorProto[] = [];

  constructor(
    readonly prefix: string,
    existing: Iterable<string> = [],
  ) {
    for (const n of existing) this.used.add(n);
  }

  /** A fresh tensor name under the prefix. */
  name(base: string): string {
    let n = `${this.prefix}${base}`;
    while (this.used.has(n)) n = `${this.prefix}${base}_${++this.counter}`;
    this.used.add(n);
    return n;
  }

  /** Adds a node; returns its output names (fresh unless given). */
  node(
    op: string,
    inputs: readonly string[],
    outputs: number | readonly string[] = 1,
    attrs: Record<string, Attr> = {},
    domain = '',
  ): string[] {
    const outs = typeof outputs === 'number' ? Array.from({ length: outputs }, (_, i) => this.name(`${op}_out${i}`)) : [...outputs];
    this.nodes.push({
      opType: op,
      name: this.name(op),
      input: [...inputs],
      output: outs,
      attribute: Object.entries(attrs).map(([k, v]) => toAttributeProto(k, v)),
      domain,
    });
    return outs;
  }

  /** Single-output shorthand. */
  op(op: string, inputs: readonly string[], attrs: Record<string, Attr> = {}, domain = ''): string {
    return this.node(op, inputs, 1, attrs, domain)[0]!;
  }

  floats(base: string, data: Float32Array, dims: readonly number[]): string {
    const n = this.name(base);
    this.initializers.push(floatTensor(n, data, dims));
    return n;
  }

  int64s(base: string, values: readonly number[], dims: readonly number[] = [values.length]): string {
    const n = this.name(base);
    this.initializers.push(int64Tensor(n, values, dims));
    return n;
  }

  scalar(base: string, v: number): string {
    return this.floats(base, new Float32Array([v]), []);
  }

  /** Moves the built nodes and initializers into `graph` (nodes appended; order is fixed by `toposort`). */
  commit(graph: GraphProto): void {
    graph.node = [...(graph.node ?? []), ...this.nodes];
    graph.initializer = [...(graph.initializer ?? []), ...this.initializers];
    this.nodes.length = 0;
    this.initializers.length = 0;
  }
}

/** Every tensor name a graph defines or uses (to seed unique naming). */
export function graphNames(graph: GraphProto): Set<string> {
  const s = new Set<string>();
  for (const n of graph.node ?? []) {
    for (const x of n.input ?? []) s.add(x);
    for (const x of n.output ?? []) s.add(x);
    if (n.name) s.add(n.name);
  }
  for (const t of graph.initializer ?? []) if (t.name) s.add(t.name);
  for (const v of [...(graph.input ?? []), ...(graph.output ?? [])]) if (v.name) s.add(v.name);
  return s;
}

/**
 * Orders nodes so every input is produced before use (ONNX requires a topological order).
 * Names produced by no node are graph inputs, initializers or empty optional slots.
 */
export function toposort(graph: GraphProto): void {
  const nodes = graph.node ?? [];
  const producer = new Map<string, number>();
  nodes.forEach((n, i) => (n.output ?? []).forEach((o) => o && producer.set(o, i)));
  const state = new Uint8Array(nodes.length); // 0 new, 1 visiting, 2 done
  const order: NodeProto[] = [];
  const visit = (start: number): void => {
    // iterative DFS: graphs of large models are too deep for recursion
    const stack: [number, number][] = [[start, 0]];
    state[start] = 1;
    while (stack.length) {
      const top = stack[stack.length - 1]!;
      const [i, k] = top;
      const ins = nodes[i]!.input ?? [];
      if (k < ins.length) {
        top[1]++;
        const p = producer.get(ins[k]!);
        if (p !== undefined && state[p] === 0) {
          state[p] = 1;
          stack.push([p, 0]);
        } else if (p !== undefined && state[p] === 1) {
          throw new Error(`graph has a cycle through ${ins[k]}`);
        }
      } else {
        state[i] = 2;
        order.push(nodes[i]!);
        stack.pop();
      }
    }
  };
  for (let i = 0; i < nodes.length; i++) if (state[i] === 0) visit(i);
  graph.node = order;
}

/**
 * Removes nodes whose outputs reach no graph output, then initializers and graph inputs
 * that nothing uses. The capture variant relies on this to drop the layers after the hook.
 */
export function pruneDead(graph: GraphProto): void {
  const nodes = graph.node ?? [];
  const live = new Set((graph.output ?? []).map((o) => o.name ?? ''));
  const keep = new Array<boolean>(nodes.length).fill(false);
  for (let i = nodes.length - 1; i >= 0; i--) {
    const n = nodes[i]!;
    if ((n.output ?? []).some((o) => live.has(o))) {
      keep[i] = true;
      for (const x of n.input ?? []) live.add(x);
    }
  }
  graph.node = nodes.filter((_, i) => keep[i]);
  graph.initializer = (graph.initializer ?? []).filter((t) => live.has(t.name ?? ''));
  graph.input = (graph.input ?? []).filter((v) => live.has(v.name ?? ''));
}
