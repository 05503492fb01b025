import { attr } from '../../core/model/onnx/builder.ts';
import { DataType } from '../../core/model/onnx/proto.ts';
import type { Emitter } from './emitter.ts';
import type { ResolvedSpec } from './spec.ts';

/** torch.finfo(float32).min: what refgen's masked_fill writes into masked scores. */
export const FLOAT_MIN = -3.4028234663852886e38;
/** torch.finfo(float16).min. */
export const HALF_MIN = -65504;

/** How attention scores are scaled and capped before the mask. */
export interface ScoreOptions {
  /** `Div` by √headDim (default), or `Mul` by a factor (Gemma-2: query_pre_attn_scalar^-0.5). */
  readonly scale?: { readonly op: 'Div' | 'Mul'; readonly value: number };
  /** Soft-capping c: scores → tanh(scores / c) · c (Gemma-2). */
  readonly softcap?: number;
}

/**
 * Boolean attention mask [batch, 1, seq, total]: causal (query i sees keys ≤ past + i) and
 * `attention_mask` (padding), as refgen builds it. Dynamic in batch, sequence and past length.
 */
export function causalMask(e: Emitter, scope: string, s: ResolvedSpec): string {
  const idsShape = e.one(scope, 'Shape', ['input_ids']);
  const t = e.one(scope, 'Gather', [idsShape, e.constI(scope, [1], [])], { axis: attr.int(0) });
  let past: string;
  if (s.withPast) {
    const pastShape = e.one(scope, 'Shape', ['past_key_values.0.key']);
    past = e.one(scope, 'Gather', [pastShape, e.constI(scope, [2], [])], { axis: attr.int(0) });
  } else {
    past = e.constI(scope, [0], []);
  }
  const total = e.one(scope, 'Add', [past, t]);
  const one = e.constI(scope, [1], []);
  const qPos = e.one(scope, 'Range', [past, total, one]);
  const kPos = e.one(scope, 'Range', [e.constI(scope, [0], []), total, one]);
  const qCol = e.one(scope, 'Unsqueeze', [qPos, e.constI(scope, [1])]);
  const causal = e.one(scope, 'LessOrEqual', [kPos, qCol]); // [seq, total]
  const pad = e.one(scope, 'Cast', ['attention_mask'], { to: attr.int(DataType.BOOL) });
  const pad4 = e.one(scope, 'Unsqueeze', [pad, e.constI(scope, [1, 2])]); // [b, 1, 1, total]
  return e.one(scope, 'And', [causal, pad4]);
}

/** [b, t, heads·hd] → [b, heads, t, hd]. */
export function splitHeads(e: Emitter, scope: string, x: string, heads: number, hd: number): string {
  const r = e.one(scope, 'Reshape', [x, e.constI(scope, [0, 0, heads, hd])]);
  return e.one(scope, 'Transpose', [r], { perm: attr.ints([0, 2, 1, 3]) });
}

/**
 * Scaled dot-product attention with KV cache and grouped-query heads. `q` is [b, h, t, hd],
 * `k`/`v` the new keys/values [b, kvh, t, hd]; with past they are appended to
 * `past_key_values.L.*` and the result is the graph output `present.L.*`. Returns [b, t, h·hd].
 */
export function attention(
  e: Emitter,
  scope: string,
  L: number,
  s: ResolvedSpec,
  q: string,
  k: string,
  v: string,
  mask: string,
  o: ScoreOptions = {},
): string {
  let kc = k;
  let vc = v;
  if (s.withPast) {
    kc = e.one(scope, 'Concat', [`past_key_values.${L}.key`, k], { axis: attr.int(2) }, { outputs: [`present.${L}.key`] });
    vc = e.one(scope, 'Concat', [`past_key_values.${L}.value`, v], { axis: attr.int(2) }, { outputs: [`present.${L}.value`] });
  }
  const rep = s.heads / s.kvHeads;
  if (rep > 1) {
    // repeat_kv: [b, kvh, T, hd] → [b, kvh, rep, T, hd] → [b, h, T, hd] (head g·rep + r reads kv head g)
    const repeat = (x: string): string => {
      const u = e.one(scope, 'Unsqueeze', [x, e.constI(scope, [2])]);
      const ex = e.one(scope, 'Expand', [u, e.constI(scope, [1, 1, rep, 1, 1])]);
      return e.one(scope, 'Reshape', [ex, e.constI(scope, [0, s.heads, -1, s.headDim])]);
    };
    kc = repeat(kc);
    vc = repeat(vc);
  }
  const kt = e.one(scope, 'Transpose', [kc], { perm: attr.ints([0, 1, 3, 2]) });
  const scores = e.one(scope, 'MatMul', [q, kt]);
  const sc = o.scale ?? { op: 'Div', value: Math.sqrt(s.headDim) };
  let scaled = e.one(scope, sc.op, [scores, e.constF(scope, sc.value)]);
  if (o.softcap !== undefined) {
    const th = e.one(scope, 'Tanh', [e.one(scope, 'Div', [scaled, e.constF(scope, o.softcap)])]);
    scaled = e.one(scope, 'Mul', [th, e.constF(scope, o.softcap)]);
  }
  const masked = e.one(scope, 'Where', [mask, scaled, e.constF(scope, e.dtype === 'float16' ? HALF_MIN : FLOAT_MIN)]);
  const p = e.one(scope, 'Softmax', [masked], { axis: attr.int(-1) });
  const y = e.one(scope, 'MatMul', [p, vc]);
  const yt = e.one(scope, 'Transpose', [y], { perm: attr.ints([0, 2, 1, 3]) });
  return e.one(scope, 'Reshape', [yt, e.constI(scope, [0, 0, -1])]);
}

/** LayerNorm as torch.onnx decomposes it: ReduceMean, Sub, Pow, ReduceMean, Add, Sqrt, Div, Mul, Add. */
export function layerNormDecomposed(e: Emitter, scope: string, x: string, w: string, b: string, eps: number): string {
  const axes = { axes: attr.ints([-1]) };
  const mean = e.one(scope, 'ReduceMean', [x], axes);
  const c = e.one(scope, 'Sub', [x, mean]);
  const sq = e.one(scope, 'Pow', [c, e.constF(scope, 2)]);
  const v = e.one(scope, 'ReduceMean', [sq], axes);
  const ve = e.one(scope, 'Add', [v, e.constF(scope, eps)]);
  const sd = e.one(scope, 'Sqrt', [ve]);
  const n = e.one(scope, 'Div', [c, sd]);
  const m = e.one(scope, 'Mul', [n, w]);
  return e.one(scope, 'Add', [m, b]);
}

/**
 * RMSNorm as HF Llama/Gemma export it: Pow, ReduceMean, Add, Sqrt, then Reciprocal + Mul or Div,
 * then the weight (Gemma: an `Add(1, w)` first). In float16 models the statistics are computed
 * in float32 as LlamaRMSNorm does: `Cast` to float first, `Cast` back before the weight.
 */
export function rmsNormDecomposed(
  e: Emitter,
  scope: string,
  x: string,
  w: string,
  eps: number,
  style: 'reciprocal' | 'div',
  plusOne: boolean,
): string {
  const half = e.dtype === 'float16';
  const xf = half ? e.cast(scope, x, 'float32') : x;
  const f = half ? 'float32' : e.dtype;
  const sq = e.one(scope, 'Pow', [xf, e.constF(scope, 2, [], f)]);
  const v = e.one(scope, 'ReduceMean', [sq], { axes: attr.ints([-1]) });
  const ve = e.one(scope, 'Add', [v, e.constF(scope, eps, [], f)]);
  const sd = e.one(scope, 'Sqrt', [ve]);
  let n = style === 'div' ? e.one(scope, 'Div', [xf, sd]) : e.one(scope, 'Mul', [xf, e.one(scope, 'Reciprocal', [sd])]);
  if (half) n = e.cast(scope, n, 'float16');
  const g = plusOne ? e.one(scope, 'Add', [e.constF(scope, 1), w]) : w;
  return e.one(scope, 'Mul', [g, n]);
}

/** GELU (tanh approximation) as torch.onnx decomposes F.gelu(approximate="tanh"). */
export function geluTanh(e: Emitter, scope: string, x: string): string {
  const x2 = e.one(scope, 'Mul', [x, x]);
  const x3 = e.one(scope, 'Mul', [x, x2]);
  const a = e.one(scope, 'Mul', [e.constF(scope, 0.044715), x3]);
  const inner = e.one(scope, 'Add', [x, a]);
  const sc = e.one(scope, 'Mul', [e.constF(scope, Math.sqrt(2 / Math.PI)), inner]);
  const th = e.one(scope, 'Tanh', [sc]);
  const onePlus = e.one(scope, 'Add', [e.constF(scope, 1), th]);
  const xm = e.one(scope, 'Mul', [x, onePlus]);
  return e.one(scope, 'Mul', [e.constF(scope, 0.5), xm]);
}

/** Exact GELU as torch.onnx exports F.gelu: Div(x, √2), Erf, Add 1, Mul x, Mul 0.5. */
export function geluErf(e: Emitter, scope: string, x: string): string {
  const er = e.one(scope, 'Erf', [e.one(scope, 'Div', [x, e.constF(scope, Math.SQRT2)])]);
  const xm = e.one(scope, 'Mul', [x, e.one(scope, 'Add', [er, e.constF(scope, 1)])]);
  return e.one(scope, 'Mul', [xm, e.constF(scope, 0.5)]);
}

/** `x W (+ b)` as MatMul (+ Add) in `scope`. */
export function linear(e: Emitter, scope: string, x: string, w: string, b?: string): string {
  const y = e.one(scope, 'MatMul', [x, w]);
  return b ? e.one(scope, 'Add', [y, b]) : y;
}

/** Node options for the op computing the logits: it outputs `logits` unless a float32 Cast follows. */
export function logitsNode(s: ResolvedSpec): { outputs?: readonly string[] } {
  return s.logitsDtype === s.dtype ? { outputs: ['logits'] } : {};
}

/** float16 models with float32 logits end with `Cast` → `logits` (HF's `logits.float()`). */
export function finishLogits(e: Emitter, s: ResolvedSpec, y: string): void {
  if (s.logitsDtype !== s.dtype) e.one('', 'Cast', [y], { to: attr.int(DataType.FLOAT) }, { outputs: ['logits'] });
}
