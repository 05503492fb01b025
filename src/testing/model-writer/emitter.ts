import { GraphBuilder, attr, floatTensor, int64Tensor, type Attr } from '../../core/model/onnx/builder.ts';
import { DataType, type NodeProto, type TensorProto } from '../../core/model/onnx/proto.ts';
import { floatToHalf } from '../../core/util/halffloat.ts';
import type { FloatType } from './spec.ts';

/** The ONNX element type of a float type. */
export function onnxFloat(t: FloatType): number {
  return t === 'float16' ? DataType.FLOAT16 : DataType.FLOAT;
}

/** A float initializer of either float type (float16 stored as raw little-endian half bits). */
export function floatInit(name: string, data: Float32Array, dims: readonly number[], type: FloatType = 'float32'): TensorProto {
  if (type === 'float32') return floatTensor(name, data, dims);
  const h = Uint16Array.from(data, (v) => floatToHalf(v));
  return { name, dataType: DataType.FLOAT16, dims: [...dims], rawData: new Uint8Array(h.buffer) };
}

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

  /**
   * @param naming tensor naming style
   * @param dtype the model's float type: weights and `constF` constants default to it
   */
  constructor(
    readonly naming: NamingStyle = 'torch',
    readonly dtype: FloatType = 'float32',
  ) {}

  /** Adds a node; returns its outputs. */
  op(scope: string, op: string, inputs: readonly string[], attrs: Record<string, Attr> = {}, o: EmitOptions = {}): string[] {
    const name = o.name ?? this.torchName(scope, op);
    const outs = o.outputs ?? 1;
    const outputs = typeof outs === 'number' ? Array.from({ length: outs }, (_, i) => this.outputName(name, i)) : [...outs];
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

  /** A float initializer with an exact name, of the model's float type unless `type` says otherwise. */
  init(name: string, data: Float32Array, dims: readonly number[], type: FloatType = this.dtype): string {
    this.b.initializers.push(floatInit(name, data, dims, type));
    return name;
  }

  /** Any prepared initializer (integer codes, scales). */
  tensor(t: TensorProto): string {
    this.b.initializers.push(t);
    return t.name ?? '';
  }

  /** A float `Constant` node in `scope` (scalar unless dims given), of the model's float type unless `type` says otherwise. */
  constF(scope: string, values: number | readonly number[], dims: readonly number[] = [], type: FloatType = this.dtype): string {
    const data = Float32Array.from(typeof values === 'number' ? [values] : values);
    return this.one(scope, 'Constant', [], { value: attr.tensor(floatInit('', data, dims, type)) });
  }

  /** Takes the name the next `scope`/`op` node would get (for nodes a rewrite replaces, as quantizers name theirs after it). */
  reserveName(scope: string, op: string): string {
    return this.torchName(scope, op);
  }

  /** Output `i` of node `name` in this naming style. */
  outputName(name: string, i = 0): string {
    return this.naming === 'torch' ? `${name}_output_${i}` : `${name}/output_${i}`;
  }

  /** `Cast` to a float type in `scope`. */
  cast(scope: string, x: string, to: FloatType): string {
    return this.one(scope, 'Cast', [x], { to: attr.int(onnxFloat(to)) });
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
