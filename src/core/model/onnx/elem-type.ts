import { DataType, type GraphProto, type NodeProto } from './proto.ts';

/**
 * The element type of tensor `t`, inferred by walking back through its producers: graph
 * inputs, outputs and value_info first, then Cast's `to`, DequantizeLinear's scale type, a
 * Gather's table, or the first input of elementwise, matrix and shape ops (which, for every
 * op on the path from an embedding to a hook, carries the output's type). FLOAT when it cannot tell.
 * (Enough to put casts at the seams of an fp16 or quantized graph.)
 */
export function elemTypeOf(graph: GraphProto, t: string): number {
  const declared = new Map<string, number>();
  for (const v of [...(graph.input ?? []), ...(graph.output ?? []), ...(graph.valueInfo ?? [])]) {
    const e = v.type?.tensorType?.elemType;
    if (v.name && e) declared.set(v.name, e);
  }
  const inits = new Map((graph.initializer ?? []).map((x) => [x.name ?? '', x.dataType ?? DataType.FLOAT]));
  const producer = new Map<string, NodeProto>();
  for (const n of graph.node ?? []) for (const o of n.output ?? []) if (o) producer.set(o, n);
  const constType = (p: NodeProto): number | undefined => (p.attribute ?? []).find((y) => y.name === 'value')?.t?.dataType ?? undefined;
  // Walk back along the input that carries the type; one step per op, no recursion (deep graphs).
  let x = t;
  for (let step = 0; step < 1_000_000; step++) {
    const known = declared.get(x) ?? inits.get(x);
    if (known !== undefined) return known;
    const p = producer.get(x);
    if (!p) return DataType.FLOAT;
    const op = p.opType ?? '';
    if (op === 'Cast') {
      const to = (p.attribute ?? []).find((y) => y.name === 'to')?.i;
      return to === undefined || to === null ? DataType.FLOAT : Number(to);
    }
    if (op === 'Constant') return constType(p) ?? DataType.FLOAT;
    if (op === 'MatMulInteger') return DataType.INT32;
    if (op === 'Shape' || op === 'Size' || op === 'ArgMax') return DataType.INT64;
    if (op === 'DequantizeLinear') x = p.input?.[1] ?? '';
    else if (op === 'Where')
      x = p.input?.[1] ?? ''; // input 0 is the boolean condition
    else if (op === 'GatherBlockQuantized')
      x = p.input?.[2] ?? ''; // the scales carry the float type
    else x = p.input?.[0] ?? ''; // elementwise, matrix, shape-preserving ops, Gather (its table)
  }
  return DataType.FLOAT;
}
