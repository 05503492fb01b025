import ort from 'onnxruntime-node';
import { halfToFloat } from '../util/halffloat.ts';
import type { ProviderName } from './providers.ts';

/** A KV cache: `present.N.*` outputs of one run, fed back as `past_key_values.N.*`. */
export type KvCache = Map<string, ort.Tensor>;

export interface ForwardArgs {
  /** Token ids, one row per batch item (equal lengths). */
  readonly ids: readonly (readonly number[])[];
  /** Absolute position of the first id (= past length when a cache is given). */
  readonly start?: number;
  /** Cache from the previous run; omitted = empty. */
  readonly past?: KvCache;
  /** Extra inputs a variant declares (SAE top-k, steering tensors). */
  readonly extra?: Readonly<Record<string, ort.Tensor>>;
}

export interface ForwardResult {
  readonly outputs: ort.InferenceSession.ReturnType;
  /** The new cache, when the model has KV-cache I/O and its present outputs were kept. */
  readonly present?: KvCache;
}

const i64 = (values: readonly number[], dims: readonly number[]): ort.Tensor =>
  new ort.Tensor(
    'int64',
    BigInt64Array.from(values, (v) => BigInt(v)),
    dims,
  );

/**
 * One long-lived ONNX Runtime session over a (possibly spliced) model, with the plumbing
 * optimum-style exports need: attention mask, position ids, empty or carried KV cache.
 * Sessions are kept for the life of the engine: creating and releasing them repeatedly
 * leaks memory in onnxruntime-node.
 */
export class ModelRunner {
  /** Names of the past inputs (`past_key_values.N.key|value`), empty when the export has no cache. */
  readonly pastInputs: readonly string[];
  /** True when the export takes a cache and returns the next one. */
  readonly hasCache: boolean;
  private readonly inputs: ReadonlySet<string>;

  private constructor(
    readonly session: ort.InferenceSession,
    readonly file: string,
    readonly providers: readonly ProviderName[],
  ) {
    // fixed for the session's life: read once, not on every token
    this.inputs = new Set(session.inputNames);
    this.pastInputs = session.inputNames.filter((n) => n.startsWith('past_key_values.') || n.startsWith('past.'));
    this.hasCache = this.pastInputs.length > 0 && session.outputNames.some((n) => n.startsWith('present'));
  }

  static async create(file: string, providers: readonly ProviderName[]): Promise<ModelRunner> {
    const session = await ort.InferenceSession.create(file, {
      executionProviders: [...providers],
      graphOptimizationLevel: 'all',
      logSeverityLevel: 3,
    });
    return new ModelRunner(session, file, providers);
  }

  private meta(name: string): ort.InferenceSession.ValueMetadata | undefined {
    return this.session.inputMetadata.find((m) => m.name === name);
  }

  private emptyPast(name: string, batch: number): ort.Tensor {
    const m = this.meta(name);
    const shape = m && m.isTensor ? m.shape : [];
    // [batch, kv_heads, past_len, head_dim]: fixed dims come from the export, symbolic ones are batch/0
    const dims = shape.map((d, i) => (typeof d === 'number' ? d : i === 0 ? batch : 0));
    const type = m && m.isTensor ? m.type : 'float32';
    if (type === 'float16') return new ort.Tensor('float16', new Uint16Array(0), dims);
    return new ort.Tensor('float32', new Float32Array(0), dims);
  }

  /** Runs the model once. Inputs it does not declare are not fed. */
  async forward(args: ForwardArgs): Promise<ForwardResult> {
    const B = args.ids.length;
    const T = args.ids[0]?.length ?? 0;
    const start = args.start ?? 0;
    const names = this.inputs;
    const feeds: Record<string, ort.Tensor> = {};
    feeds['input_ids'] = i64(args.ids.flat(), [B, T]);
    const total = (this.hasCache ? start : 0) + T;
    if (names.has('attention_mask')) feeds['attention_mask'] = i64(new Array<number>(B * total).fill(1), [B, total]);
    if (names.has('position_ids')) {
      const first = this.hasCache ? start : 0;
      const pos: number[] = [];
      for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) pos.push(first + t);
      feeds['position_ids'] = i64(pos, [B, T]);
    }
    if (names.has('token_type_ids')) feeds['token_type_ids'] = i64(new Array<number>(B * T).fill(0), [B, T]);
    for (const p of this.pastInputs) {
      const fromCache = args.past?.get(p.replace(/^past_key_values\./, 'present.').replace(/^past\./, 'present.'));
      feeds[p] = fromCache ?? this.emptyPast(p, B);
    }
    for (const [k, v] of Object.entries(args.extra ?? {})) if (names.has(k)) feeds[k] = v;
    const missing = this.session.inputNames.filter((n) => !(n in feeds));
    if (missing.length) throw new Error(`${this.file}: model inputs not understood: ${missing.join(', ')}`);
    const outputs = await this.session.run(feeds);
    let present: KvCache | undefined;
    if (this.hasCache) {
      present = new Map();
      for (const n of this.session.outputNames) if (n.startsWith('present')) present.set(n, outputs[n]!);
    }
    return { outputs, ...(present ? { present } : {}) };
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}

/** Row `t` of a [1, T, V] logits tensor as float32 (float16 logits converted). */
export function logitsRow(t: ort.Tensor, row: number): Float32Array {
  const V = Number(t.dims[t.dims.length - 1]);
  if (t.type === 'float16') {
    const src = t.data as Uint16Array;
    const out = new Float32Array(V);
    for (let i = 0; i < V; i++) out[i] = halfToFloat(src[row * V + i]!);
    return out;
  }
  return (t.data as Float32Array).subarray(row * V, (row + 1) * V);
}
