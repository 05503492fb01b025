import ort from 'onnxruntime-node';
import { concatBatch, sliceBatch } from './batch-split.ts';
import { cpuThreadOptions } from './cpu-threads.ts';
import { indexGraph } from './graph-index.ts';
import { emptyPastShapes, presentNameOf, type EmptyPast, type TensorMeta } from './kv-shapes.ts';
import { readModel } from './onnx/proto.ts';
import type { ProviderName } from './providers.ts';
import { lastAxisRow } from './tensor-data.ts';

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

/** An integer input tensor of the type the model declares (int64 unless it says int32). */
const ints = (type: string | undefined, values: readonly number[], dims: readonly number[]): ort.Tensor =>
  type === 'int32'
    ? new ort.Tensor('int32', Int32Array.from(values), dims)
    : new ort.Tensor(
        'int64',
        BigInt64Array.from(values, (v) => BigInt(v)),
        dims,
      );

/** An empty tensor (one dim 0) of a past input's type. */
function emptyTensor(type: string, dims: readonly number[]): ort.Tensor {
  switch (type) {
    case 'float32':
      return new ort.Tensor('float32', new Float32Array(0), dims);
    case 'float16':
      return new ort.Tensor('float16', new Uint16Array(0), dims);
    case 'int8':
      return new ort.Tensor('int8', new Int8Array(0), dims);
    case 'uint8':
      return new ort.Tensor('uint8', new Uint8Array(0), dims);
    default:
      throw new Error(`past inputs of type ${type} are not supported (float32, float16, int8 and uint8 are)`);
  }
}

const tensorMeta = (m: readonly ort.InferenceSession.ValueMetadata[]): TensorMeta[] =>
  m.flatMap((x) => (x.isTensor ? [{ name: x.name, type: x.type, shape: x.shape }] : []));

/** Options of `ModelRunner.create`. */
export interface RunnerOptions {
  /** The model's HF config.json: fixes KV-cache dims the export leaves symbolic when the graph cannot. */
  readonly config?: Record<string, unknown>;
  /** Profiles every kernel with ONNX Runtime's profiler into `<prefix>_<time>.json` (benchmarks); see `endProfiling`. */
  readonly profileFilePrefix?: string;
}

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
  /** Declared element type of each tensor input. */
  private readonly types: ReadonlyMap<string, string>;

  private constructor(
    readonly session: ort.InferenceSession,
    readonly file: string,
    readonly providers: readonly ProviderName[],
    /** Type and dims (batch = -1) of each past input's empty cache. */
    private readonly empty: ReadonlyMap<string, EmptyPast>,
  ) {
    // fixed for the session's life: read once, not on every token
    this.inputs = new Set(session.inputNames);
    this.types = new Map(tensorMeta(session.inputMetadata).map((m) => [m.name, m.type]));
    this.pastInputs = ModelRunner.pastNames(session);
    this.hasCache = this.pastInputs.length > 0 && session.outputNames.some((n) => n.startsWith('present'));
  }

  private static pastNames(session: ort.InferenceSession): string[] {
    return session.inputNames.filter((n) => n.startsWith('past_key_values.') || n.startsWith('past.'));
  }

  /**
   * Opens a session. The empty cache of the first run is sized here: a KV dim the export
   * leaves symbolic (besides batch and past length) is read from the graph or `opts.config`,
   * and one that cannot be is an error now rather than on the first run.
   */
  static async create(file: string, providers: readonly ProviderName[], opts: RunnerOptions = {}): Promise<ModelRunner> {
    const session = await ort.InferenceSession.create(file, {
      executionProviders: [...providers],
      graphOptimizationLevel: 'all',
      logSeverityLevel: 3,
      ...cpuThreadOptions(),
      ...(opts.profileFilePrefix ? { enableProfiling: true, profileFilePrefix: opts.profileFilePrefix } : {}),
    });
    try {
      const past = new Set(ModelRunner.pastNames(session));
      const empty = emptyPastShapes(
        file,
        tensorMeta(session.inputMetadata).filter((m) => past.has(m.name)),
        tensorMeta(session.outputMetadata),
        opts.config ?? {},
        () => readModel(file).model.graph ?? undefined,
      );
      return new ModelRunner(session, file, providers, empty);
    } catch (e) {
      await session.release();
      throw e;
    }
  }

  private emptyPast(name: string, batch: number): ort.Tensor {
    const e = this.empty.get(name);
    if (!e) throw new Error(`${this.file}: ${name} is not a past input of this model`);
    return emptyTensor(
      e.type,
      e.dims.map((d) => (d < 0 ? batch : d)),
    );
  }

  #rowByRow: boolean | undefined;

  /**
   * True when an attention kernel reading the past refuses several rows of several tokens
   * after a past (GroupQueryAttention: "batch_size must be 1 when sequence_length > 1 and
   * past context is given"). Read from the graph the first time it matters.
   */
  private pastRowsOneByOne(): boolean {
    if (this.#rowByRow === undefined) {
      try {
        const g = indexGraph(readModel(this.file).model.graph!);
        this.#rowByRow = this.pastInputs.some((p) => (g.consumers.get(p) ?? []).some((n) => n.opType === 'GroupQueryAttention'));
      } catch {
        this.#rowByRow = false;
      }
    }
    return this.#rowByRow;
  }

  /** One run per row (each with its slice of the past), outputs stacked back along the batch axis. */
  private async forwardRowByRow(args: ForwardArgs & { readonly past: KvCache }): Promise<ForwardResult> {
    const parts: ForwardResult[] = [];
    for (let b = 0; b < args.ids.length; b++) {
      const past: KvCache = new Map([...args.past].map(([k, t]) => [k, sliceBatch(t, b)]));
      parts.push(await this.forward({ ...args, ids: [args.ids[b]!], past }));
    }
    const outputs: Record<string, ort.Tensor> = {};
    for (const n of this.session.outputNames) outputs[n] = concatBatch(parts.map((p) => p.outputs[n]!));
    const present: KvCache = new Map(this.session.outputNames.filter((n) => n.startsWith('present')).map((n) => [n, outputs[n]!]));
    return { outputs, present };
  }

  /** Runs the model once (once per row where the attention kernel needs it). Inputs it does not declare are not fed. */
  async forward(args: ForwardArgs): Promise<ForwardResult> {
    const B = args.ids.length;
    const T = args.ids[0]?.length ?? 0;
    if (args.past && B > 1 && T > 1 && this.pastRowsOneByOne()) return this.forwardRowByRow({ ...args, past: args.past });
    const start = args.start ?? 0;
    const names = this.inputs;
    const feeds: Record<string, ort.Tensor> = {};
    const int = (name: string, values: readonly number[], dims: readonly number[]): void => {
      feeds[name] = ints(this.types.get(name), values, dims);
    };
    int('input_ids', args.ids.flat(), [B, T]);
    const total = (this.hasCache ? start : 0) + T;
    // onnxruntime-genai exports derive GroupQueryAttention's sequence lengths from the mask, and may take no position_ids
    if (names.has('attention_mask')) int('attention_mask', new Array<number>(B * total).fill(1), [B, total]);
    if (names.has('position_ids')) {
      const first = this.hasCache ? start : 0;
      const pos: number[] = [];
      for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) pos.push(first + t);
      int('position_ids', pos, [B, T]);
    }
    if (names.has('token_type_ids')) int('token_type_ids', new Array<number>(B * T).fill(0), [B, T]);
    for (const p of this.pastInputs) feeds[p] = args.past?.get(presentNameOf(p)) ?? this.emptyPast(p, B);
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

  /** Writes the profile of a session created with `profileFilePrefix`. */
  endProfiling(): void {
    this.session.endProfiling();
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}

/** Row `t` of a [1, T, V] logits tensor as float32 (float16 logits converted). */
export function logitsRow(t: ort.Tensor, row: number): Float32Array {
  return lastAxisRow(t, row);
}
