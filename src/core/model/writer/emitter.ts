import { GraphBuilder, attr, floatTensor, int64Tensor, type Attr } from '../onnx/builder.ts';
import type { NodeProto } from '../onnx/proto.ts';

/** Options of one emitted node. */
export interface EmitOptions {
  readonly domain?: string;
  /** Output names, or a count (named `<node>_output_<i>` as torch.onnx does, `<node>/output_<i>` for genai). */
  readonly outputs?: number | readonly string[];
  /** Node name (default `<scope>/<Op>` with `_k` for repeats, as torch.onnx does). */
  readonly name?: string;
}

/**
 * Naming of emitted tensors. `torch`: node `/transformer/h.0/ln_1/ReduceMean_1`, outputs
 * `/transformer/h.0/ln_1/ReduceMean_1_output_0` (torch.onnx, optimum). `genai`: outputs
 * `/model/layers.0/attn/q_proj/MatMul/output_0` (onnxruntime-genai's model builder).
 */
export type NamingStyle = 'torch' | 'genai';

/**
 * Emits nodes with the names real exporters give them. Hook locators must cope with exactly
 * these names, so the writer reproduces them rather than GraphBuilder's generic ones.
 */
export class Emitter {
  readonly b = new GraphBuilder('');
  private readonly counts = new Map<string, number>();
  /** Domains used besides the default one (for the model's opset imports). */
  readonly domains = new Set<string>();

  constructor(readonly naming: NamingStyle = 'torch') {}

  /** Adds a node; returns its outputs. */
  op(scope: string, op: string, inputs: readonly string[], attrs: Record<string, Attr> = {}, o: EmitOptions = {}): string[] {
    const name = o.name ?? this.torchName(scope, op);
    const outs = o.outputs ?? 1;
    const outputs = typeof outs === 'number' ? Array.from({ length: outs }, (_, i) => (this.naming === 'torch' ? `${name}_output_${i}` : `${name}/output_${i}`)) : [...outs];
    this.b.node(op, inputs, outputs, attrs, o.domain ?? '');
    // GraphBuilder names nodes itself; real exports carry scope names, so overwrite it
    (this.b.nodes[this.b.nodes.length - 1] as NodeProto).name = name;
    if (o.domain) this.domains.add(o.domain);
    return outputs;
  }

  /** Single-output shorthand. */
  one(scope: string, op: string, inputs: readonly string[], attrs: Record<string, Attr> = {}, o: EmitOptions = {}): string {
    return this.op(scope, op, inputs, attrs, o)[0]!;
  }

  /** A float32 initializer with an exact name. */
  init(name: string, data: Float32Array, dims: readonly number[]): string {
    this.b.initializers.push(floatTensor(name, data, dims));
    return name;
  }

  /** A float `Constant` node in `scope` (scalar unless dims given). */
  constF(scope: string, values: number | readonly number[], dims: readonly number[] = []): string {
    const data = Float32Array.from(typeof values === 'number' ? [values] : values);
    return this.one(scope, 'Constant', [], { value: attr.tensor(floatTensor('', data, dims)) });
  }

  /** An int64 `Constant` node in `scope` (1-D unless dims given). */
  constI(scope: string, values: readonly number[], dims: readonly number[] = [values.length]): string {
    return this.one(scope, 'Constant', [], { value: attr.tensor(int64Tensor('', values, dims)) });
  }

  private torchName(scope: string, op: string): string {
    const key = `${scope}/${op}`;
    const k = this.counts.get(key) ?? 0;
    this.counts.set(key, k + 1);
    return k === 0 ? key : `${key}_${k}`;
  }
}
