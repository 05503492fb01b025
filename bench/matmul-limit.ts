/**
 * This machine's limit for capture, measured with ONNX Runtime itself: the throughput of a lone
 * MatMul on each weight shape the capture graph multiplies by (the model's layers up to the hook,
 * then the SAE encoder), turned into tokens/s as 1 / Σ(FLOPs per token of a shape ÷ FLOP/s
 * measured on that shape). Attention's score and value products (2·T·d per token and layer, a
 * few % of the total at 128 tokens) count at the mean rate. What capture costs beyond this bound
 * is everything that is not a MatMul (norms, GELU, softmax, TopK, copies) and scheduling.
 *
 * Each shape is timed alone, run after run on the same weights, which then stay in the CPU's
 * caches (the model's attention and MLP weights are 2–9 MB each). `measureMatmulChain` times the
 * same MatMuls in one graph, in the model's order, so each weight is read from memory as in
 * capture: what a graph of nothing but the capture's MatMuls reaches on this machine.
 */
import ort from 'onnxruntime-node';
import { cpuThreadOptions } from '../src/core/model/cpu-threads.ts';
import { attr, floatTensor, GraphBuilder, valueInfo } from '../src/core/model/onnx/builder.ts';
import { DataType, encodeModel, type GraphProto, type TensorProto } from '../src/core/model/onnx/proto.ts';
import type { ProviderName } from '../src/core/model/providers.ts';

/** A weight shape [in, out] and how many times one token meets it. */
export interface MatmulShape {
  readonly name: string;
  readonly k: number;
  readonly n: number;
  readonly perToken: number;
}

/** The capture graph's weight MatMuls of a GPT-2-shaped model to blocks.`layers`, then an SAE of `dSae` latents. */
export function gpt2CaptureShapes(d: number, layers: number, dSae: number): MatmulShape[] {
  return [
    { name: 'attn qkv', k: d, n: 3 * d, perToken: layers },
    { name: 'attn out', k: d, n: d, perToken: layers },
    { name: 'mlp in', k: d, n: 4 * d, perToken: layers },
    { name: 'mlp out', k: 4 * d, n: d, perToken: layers },
    { name: 'sae encoder', k: d, n: dSae, perToken: 1 },
  ];
}

/** A deterministic weight [k, n] (values in [-0.5, 0.5)). */
function weight(name: string, k: number, n: number): TensorProto {
  return floatTensor(
    name,
    new Float32Array(k * n).map((_, i) => ((i * 2654435761) % 1000) / 1000 - 0.5),
    [k, n],
  );
}

/** Seconds of the fastest of `reps` runs of a graph of input x [rows, k] after five warm-up runs. */
async function fastestRun(graph: GraphProto, rows: number, k: number, provider: ProviderName | undefined, reps: number): Promise<number> {
  const model = encodeModel({ irVersion: 8, opsetImport: [{ domain: '', version: 17 }], graph });
  const session = await ort.InferenceSession.create(model, {
    graphOptimizationLevel: 'all',
    ...cpuThreadOptions(), // as the engine's sessions run
    ...(provider ? { executionProviders: [provider] } : {}),
  });
  try {
    const x = new ort.Tensor('float32', new Float32Array(rows * k).fill(0.25), [rows, k]);
    for (let i = 0; i < 5; i++) await session.run({ x }); // warm-up: thread pool, caches, clocks
    const times: number[] = [];
    for (let r = 0; r < reps; r++) {
      const t0 = performance.now();
      await session.run({ x });
      times.push((performance.now() - t0) / 1000);
    }
    // the fastest run: a limit is what the machine can do, not what it did on average
    return Math.min(...times);
  } finally {
    await session.release();
  }
}

/** FLOP/s of `rows` × k @ k × n on ONNX Runtime (the fastest of `reps` timed runs). */
async function matmulFlops(rows: number, shape: MatmulShape, provider: ProviderName | undefined, reps: number): Promise<number> {
  const b = new GraphBuilder('');
  b.node('MatMul', ['x', 'w'], ['y']);
  const graph: GraphProto = {
    name: 'matmul',
    node: b.nodes,
    initializer: [weight('w', shape.k, shape.n)],
    input: [valueInfo('x', DataType.FLOAT, [rows, shape.k])],
    output: [valueInfo('y', DataType.FLOAT, [rows, shape.n])],
  };
  return (2 * rows * shape.k * shape.n) / (await fastestRun(graph, rows, shape.k, provider, reps));
}

/** The measured limit: FLOP/s per shape, FLOPs per token, and the tokens/s they allow. */
export interface MatmulLimit {
  readonly shapes: { readonly name: string; readonly gflops: number }[];
  readonly flopsPerToken: number;
  readonly tokensPerSecond: number;
}

/**
 * How the limit and the chain are measured: `rows` tokens per MatMul call, windows of `context`
 * tokens, a model of `layers` layers of width `d`.
 */
export interface LimitOptions {
  readonly rows: number;
  readonly context: number;
  readonly d: number;
  readonly layers: number;
  readonly provider?: ProviderName;
  /** Timed runs per session (the fastest counts). */
  readonly reps?: number;
  /** Sessions per measurement (the fastest counts). */
  readonly sessions?: number;
}

/** Causal attention's FLOPs per token: QKᵀ and AV over (context + 1) / 2 keys on average, per layer. */
function attentionFlops(opts: LimitOptions): number {
  return 2 * 2 * ((opts.context + 1) / 2) * opts.d * opts.layers;
}

/** Measures the limit for tokens of windows of `context`, `rows` tokens per MatMul call. */
export async function measureMatmulLimit(shapes: readonly MatmulShape[], opts: LimitOptions): Promise<MatmulLimit> {
  const measured: { name: string; gflops: number }[] = [];
  let seconds = 0;
  let flops = 0;
  for (const s of shapes) {
    // the best of a few sessions: on this 2-core box a session now and then runs at half speed throughout
    let rate = 0;
    for (let i = 0; i < (opts.sessions ?? 3); i++) rate = Math.max(rate, await matmulFlops(opts.rows, s, opts.provider, opts.reps ?? 10));
    measured.push({ name: `${s.name} ${s.k}×${s.n}`, gflops: Number((rate / 1e9).toFixed(1)) });
    const f = 2 * s.k * s.n * s.perToken;
    flops += f;
    seconds += f / rate;
  }
  // attention's score and value products, at the mean rate of the MatMuls
  const attention = attentionFlops(opts);
  seconds += attention / (flops / seconds);
  flops += attention;
  return { shapes: measured, flopsPerToken: flops, tokensPerSecond: 1 / seconds };
}

/**
 * Tokens/s of one graph holding only the capture's MatMuls, in the model's order: per layer each
 * per-layer shape reads the newest tensor of its input width (the graph input first) and becomes
 * the newest of its output width; then the once-per-token shapes; outputs nothing reads end in
 * a ReduceMax. Attention's products count at the graph's mean rate, as in the limit.
 */
export async function measureMatmulChain(shapes: readonly MatmulShape[], opts: LimitOptions): Promise<number> {
  const b = new GraphBuilder('');
  const initializer: TensorProto[] = [];
  const newest = new Map<number, string>([[opts.d, 'x']]);
  const unread = new Set<string>();
  const order = [
    ...Array.from({ length: opts.layers }, () => shapes.filter((s) => s.perToken === opts.layers)).flat(),
    ...shapes.filter((s) => s.perToken !== opts.layers),
  ];
  let flops = 0;
  for (const [i, s] of order.entries()) {
    const input = newest.get(s.k);
    if (!input) throw new Error(`no tensor of width ${s.k} for ${s.name}`);
    unread.delete(input);
    const w = b.name(`w${i}`);
    initializer.push(weight(w, s.k, s.n));
    const y = b.op('MatMul', [input, w]);
    newest.set(s.n, y);
    unread.add(y);
    flops += 2 * opts.rows * s.k * s.n;
  }
  const maxima = [...unread].map((t) => b.op('ReduceMax', [t], { axes: attr.ints([-1]), keepdims: attr.int(0) }));
  b.node('Concat', maxima, ['y'], { axis: attr.int(0) });
  const graph: GraphProto = {
    name: 'matmul_chain',
    node: b.nodes,
    initializer,
    input: [valueInfo('x', DataType.FLOAT, [opts.rows, opts.d])],
    output: [valueInfo('y', DataType.FLOAT, [opts.rows * maxima.length])],
  };
  let seconds = Infinity;
  for (let i = 0; i < (opts.sessions ?? 3); i++)
    seconds = Math.min(seconds, await fastestRun(graph, opts.rows, opts.d, opts.provider, opts.reps ?? 10));
  const perToken = flops / opts.rows;
  const attention = attentionFlops(opts);
  return 1 / ((seconds / opts.rows) * ((perToken + attention) / perToken));
}
