import { attr, type GraphBuilder } from './builder.ts';

/**
 * Op emitters that follow the model's default-domain opset: several ops moved an attribute
 * to an input over the years (Unsqueeze/ReduceSum at 13, ReduceMean/ReduceMax at 18), and
 * nodes we splice in must match the opset the model declares.
 */
export class Ops {
  constructor(
    readonly b: GraphBuilder,
    readonly opset: number,
  ) {}

  private axes(axes: readonly number[]): string {
    return this.b.int64s('axes', axes);
  }

  private reduce(op: string, x: string, axes: readonly number[], keepdims: boolean, inputSince: number): string {
    if (this.opset >= inputSince) return this.b.op(op, [x, this.axes(axes)], { keepdims: attr.int(keepdims ? 1 : 0) });
    return this.b.op(op, [x], { axes: attr.ints(axes), keepdims: attr.int(keepdims ? 1 : 0) });
  }

  reduceMean(x: string, axes: readonly number[], keepdims = true): string {
    return this.reduce('ReduceMean', x, axes, keepdims, 18);
  }

  reduceSum(x: string, axes: readonly number[], keepdims = true): string {
    return this.reduce('ReduceSum', x, axes, keepdims, 13);
  }

  reduceMax(x: string, axes: readonly number[], keepdims = true): string {
    return this.reduce('ReduceMax', x, axes, keepdims, 18);
  }

  unsqueeze(x: string, axes: readonly number[]): string {
    if (this.opset >= 13) return this.b.op('Unsqueeze', [x, this.axes(axes)]);
    return this.b.op('Unsqueeze', [x], { axes: attr.ints(axes) });
  }

  add(a: string, c: string): string {
    return this.b.op('Add', [a, c]);
  }
  sub(a: string, c: string): string {
    return this.b.op('Sub', [a, c]);
  }
  mul(a: string, c: string): string {
    return this.b.op('Mul', [a, c]);
  }
  div(a: string, c: string): string {
    return this.b.op('Div', [a, c]);
  }
  matmul(a: string, c: string): string {
    return this.b.op('MatMul', [a, c]);
  }
  relu(x: string): string {
    return this.b.op('Relu', [x]);
  }
  cast(x: string, to: number): string {
    return this.b.op('Cast', [x], { to: attr.int(to) });
  }
  /** Gather along an axis. */
  gather(data: string, indices: string, axis: number): string {
    return this.b.op('Gather', [data, indices], { axis: attr.int(axis) });
  }
  /** `x` [B, T, n] with a 1 appended to every row: [B, T, n + 1]. */
  appendOne(x: string): string {
    const pads = [0, 0, 0, 0, 0, 1];
    // Pad took its pads and value as attributes until opset 11
    if (this.opset >= 11) return this.b.op('Pad', [x, this.b.int64s('pads', pads), this.b.scalar('one', 1)]);
    return this.b.op('Pad', [x], { pads: attr.ints(pads), value: attr.float(1) });
  }
  /** TopK along the last axis: [values, indices], largest first. */
  topk(x: string, k: string): [string, string] {
    const [v, i] = this.b.node('TopK', [x, k], 2, { axis: attr.int(-1), largest: attr.int(1), sorted: attr.int(1) });
    return [v!, i!];
  }
}
