/**
 * Two tiny ONNX graphs that do the heavy arithmetic of the health metrics on the engine's
 * execution providers (the GPU when there is one), instead of in JavaScript loops:
 *
 * - `nextTokenLosses`: per position, the next-token NLL under clean, reconstructed and
 *   zero-ablated logits and KL(clean ‖ reconstructed), KL(clean ‖ zero) — vocab-wide
 *   log-softmaxes that would dominate an evaluation's time in JS;
 * - `maxDot`: for a block of unit rows of A, the best dot product with any unit row of B
 *   and where it is (Gemm + ReduceMax + ArgMax), so only [block] numbers come back.
 *
 * Sessions are built once per provider list and kept for the process (they are tiny, and
 * creating and releasing sessions repeatedly leaks in onnxruntime-node).
 */
import ort from 'onnxruntime-node';
import type { ProviderName } from '../model/providers.ts';
import { cpuThreadOptions } from '../model/cpu-threads.ts';
import { GraphBuilder, attr, valueInfo } from '../model/onnx/builder.ts';
import { DataType, encodeModel } from '../model/onnx/proto.ts';

// opset 17: ReduceSum takes its axes as an input, ReduceMax as an attribute
const OPSET = 17;

function model(name: string, b: GraphBuilder, inputs: ReturnType<typeof valueInfo>[], outputs: ReturnType<typeof valueInfo>[]): Uint8Array {
  return encodeModel({
    irVersion: 8,
    producerName: 'sae-explorer',
    opsetImport: [{ domain: '', version: OPSET }],
    graph: { name, node: b.nodes, initializer: b.initializers, input: inputs, output: outputs },
  });
}

/** clean, recon, zero [N, V] float; target [N, 1] int64 → nll_* [N, 1], kl_* [N]. */
function lossesModel(): Uint8Array {
  const b = new GraphBuilder('');
  const axis1 = b.int64s('axis1', [1]);
  const logp = (x: string): string => b.op('LogSoftmax', [x], { axis: attr.int(-1) });
  const nll = (lp: string, out: string): void => {
    b.node('Neg', [b.op('GatherElements', [lp, 'target'], { axis: attr.int(1) })], [out]);
  };
  const lc = logp('clean');
  const lr = logp('recon');
  const lz = logp('zero');
  nll(lc, 'nll_clean');
  nll(lr, 'nll_recon');
  nll(lz, 'nll_zero');
  const pc = b.op('Exp', [lc]);
  const kl = (lo: string, out: string): void => {
    b.node('ReduceSum', [b.op('Mul', [pc, b.op('Sub', [lc, lo])]), axis1], [out], { keepdims: attr.int(0) });
  };
  kl(lr, 'kl_recon');
  kl(lz, 'kl_zero');
  const f = (n: string, dims: (string | number)[]): ReturnType<typeof valueInfo> => valueInfo(n, DataType.FLOAT, dims);
  return model(
    'next_token_losses',
    b,
    [f('clean', ['n', 'v']), f('recon', ['n', 'v']), f('zero', ['n', 'v']), valueInfo('target', DataType.INT64, ['n', 1])],
    [f('nll_clean', ['n', 1]), f('nll_recon', ['n', 1]), f('nll_zero', ['n', 1]), f('kl_recon', ['n']), f('kl_zero', ['n'])],
  );
}

/** a [n, d], b [m, d] float → max [n] float, argmax [n] int64 of a · bᵀ. */
function cosineModel(): Uint8Array {
  const g = new GraphBuilder('');
  const s = g.op('Gemm', ['a', 'b'], { transB: attr.int(1) });
  g.node('ReduceMax', [s], ['max'], { axes: attr.ints([1]), keepdims: attr.int(0) });
  g.node('ArgMax', [s], ['argmax'], { axis: attr.int(1), keepdims: attr.int(0) });
  return model(
    'max_cosine',
    g,
    [valueInfo('a', DataType.FLOAT, ['n', 'd']), valueInfo('b', DataType.FLOAT, ['m', 'd'])],
    [valueInfo('max', DataType.FLOAT, ['n']), valueInfo('argmax', DataType.INT64, ['n'])],
  );
}

const sessions = new Map<string, Promise<ort.InferenceSession>>();

function session(kind: 'losses' | 'cosine', providers: readonly ProviderName[]): Promise<ort.InferenceSession> {
  const key = `${kind}:${providers.join(',')}`;
  let s = sessions.get(key);
  if (!s) {
    const bytes = kind === 'losses' ? lossesModel() : cosineModel();
    s = ort.InferenceSession.create(bytes, {
      executionProviders: [...providers],
      graphOptimizationLevel: 'all',
      logSeverityLevel: 3,
      ...cpuThreadOptions(),
    });
    sessions.set(key, s);
    s.catch(() => sessions.delete(key));
  }
  return s;
}

/** Per-position losses of one batch, each [n] (float32). */
export interface PositionLosses {
  readonly nllClean: Float32Array;
  readonly nllRecon: Float32Array;
  readonly nllZero: Float32Array;
  readonly klRecon: Float32Array;
  readonly klZero: Float32Array;
}

/** Logit values per input of one kernel run (the kernel holds ~8 such arrays at once). */
const LOSS_CHUNK = 1 << 24;

/**
 * Next-token NLLs of `target` and KLs against the clean distribution, for n positions of
 * vocab-wide logits (row-major [n, vocab] each); run in chunks of positions so the
 * kernel's working set stays bounded whatever the batch.
 */
export async function nextTokenLosses(
  providers: readonly ProviderName[],
  logits: { clean: Float32Array; recon: Float32Array; zero: Float32Array },
  target: BigInt64Array,
  vocab: number,
  /** Positions per kernel run (default: LOSS_CHUNK logit values' worth). */
  chunk?: number,
): Promise<PositionLosses> {
  const n = target.length;
  const s = await session('losses', providers);
  const out: PositionLosses = {
    nllClean: new Float32Array(n),
    nllRecon: new Float32Array(n),
    nllZero: new Float32Array(n),
    klRecon: new Float32Array(n),
    klZero: new Float32Array(n),
  };
  const step = Math.max(1, chunk ?? Math.floor(LOSS_CHUNK / vocab));
  for (let at = 0; at < n; at += step) {
    const m = Math.min(step, n - at);
    const t = (data: Float32Array): ort.Tensor => new ort.Tensor('float32', data.subarray(at * vocab, (at + m) * vocab), [m, vocab]);
    const r = await s.run({
      clean: t(logits.clean),
      recon: t(logits.recon),
      zero: t(logits.zero),
      target: new ort.Tensor('int64', target.subarray(at, at + m), [m, 1]),
    });
    const get = (name: string): Float32Array => r[name]!.data as Float32Array;
    out.nllClean.set(get('nll_clean'), at);
    out.nllRecon.set(get('nll_recon'), at);
    out.nllZero.set(get('nll_zero'), at);
    out.klRecon.set(get('kl_recon'), at);
    out.klZero.set(get('kl_zero'), at);
  }
  return out;
}

/**
 * For each row of `a` ([n, d], unit rows), the largest dot product with any row of `b`
 * ([m, d], unit rows) and the index of that row (the first on ties).
 */
export async function maxDot(
  providers: readonly ProviderName[],
  a: Float32Array,
  n: number,
  b: Float32Array,
  m: number,
  d: number,
): Promise<{ max: Float32Array; argmax: Int32Array }> {
  const s = await session('cosine', providers);
  const out = await s.run({ a: new ort.Tensor('float32', a, [n, d]), b: new ort.Tensor('float32', b, [m, d]) });
  return {
    max: out['max']!.data as Float32Array,
    argmax: Int32Array.from(out['argmax']!.data as BigInt64Array, (v) => Number(v)),
  };
}
