/** Plain-loop float64 building blocks of the reference forward pass (no ONNX anywhere). */

/** One token's activations. */
export type Vec = Float64Array;

/** y = x M (+ b) for M [in, out] row-major. */
export function matIn(x: Vec, m: ArrayLike<number>, inp: number, out: number, b?: ArrayLike<number>): Vec {
  const y = new Float64Array(out);
  for (let i = 0; i < inp; i++) {
    const xi = x[i]!;
    if (xi === 0) continue;
    const row = i * out;
    for (let j = 0; j < out; j++) y[j]! += xi * m[row + j]!;
  }
  if (b) for (let j = 0; j < out; j++) y[j]! += b[j]!;
  return y;
}

/** y = x Mᵀ (+ b) for M [out, in] row-major (torch Linear). */
export function matOut(x: Vec, m: ArrayLike<number>, inp: number, out: number, b?: ArrayLike<number>): Vec {
  const y = new Float64Array(out);
  for (let j = 0; j < out; j++) {
    let acc = b ? b[j]! : 0;
    const row = j * inp;
    for (let i = 0; i < inp; i++) acc += x[i]! * m[row + i]!;
    y[j] = acc;
  }
  return y;
}

export function layerNorm(x: Vec, g: ArrayLike<number>, b: ArrayLike<number>, eps: number): Vec {
  const n = x.length;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += x[i]!;
  mean /= n;
  let v = 0;
  for (let i = 0; i < n; i++) v += (x[i]! - mean) ** 2;
  const inv = 1 / Math.sqrt(v / n + eps);
  return Float64Array.from(x, (xi, i) => (xi - mean) * inv * g[i]! + b[i]!);
}

/** RMSNorm x / rms(x) · g, or · (1 + g) for Gemma's weights. */
export function rmsNorm(x: Vec, g: ArrayLike<number>, eps: number, plusOne: boolean): Vec {
  let ms = 0;
  for (let i = 0; i < x.length; i++) ms += x[i]! * x[i]!;
  const inv = 1 / Math.sqrt(ms / x.length + eps);
  return Float64Array.from(x, (xi, i) => xi * inv * ((plusOne ? 1 : 0) + g[i]!));
}

export const geluTanh = (x: number): number => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)));
export const silu = (x: number): number => x / (1 + Math.exp(-x));

/** erf by its Maclaurin series (|x| < 5; relative error ≲ 1e-9 there), ±1 beyond. */
export function erf(x: number): number {
  if (Math.abs(x) >= 5) return Math.sign(x);
  let term = x;
  let sum = x;
  for (let n = 1; n < 200; n++) {
    term *= (-x * x) / n;
    const t = term / (2 * n + 1);
    sum += t;
    if (Math.abs(t) < 1e-17 * Math.abs(sum)) break;
  }
  return (2 / Math.sqrt(Math.PI)) * sum;
}

/** Exact GELU: x · Φ(x). */
export const geluErf = (x: number): number => 0.5 * x * (1 + erf(x / Math.SQRT2));

export function add(a: Vec, b: Vec): Vec {
  return Float64Array.from(a, (v, i) => v + b[i]!);
}

/** Attention score treatment: multiply by `scale`, then optionally soft-cap tanh(s / c) · c. */
export interface ScoreRule {
  readonly scale: number;
  readonly softcap?: number;
}

/**
 * Causal attention for all positions. q[t] holds `heads` head vectors, k[t]/v[t] hold `kvHeads`
 * (query head h reads kv head ⌊h / (heads / kvHeads)⌋). Returns [T] rows of heads·hd, head-major:
 * the per-head outputs z before the output projection.
 */
export function causalAttention(q: Vec[], k: Vec[], v: Vec[], heads: number, kvHeads: number, hd: number, rule: ScoreRule): Vec[] {
  const T = q.length;
  const rep = heads / kvHeads;
  const out: Vec[] = [];
  for (let t = 0; t < T; t++) {
    const y = new Float64Array(heads * hd);
    for (let h = 0; h < heads; h++) {
      const g = Math.floor(h / rep);
      const sc = new Float64Array(t + 1);
      let max = -Infinity;
      for (let j = 0; j <= t; j++) {
        let dot = 0;
        for (let i = 0; i < hd; i++) dot += q[t]![h * hd + i]! * k[j]![g * hd + i]!;
        let s = dot * rule.scale;
        if (rule.softcap !== undefined) s = Math.tanh(s / rule.softcap) * rule.softcap;
        sc[j] = s;
        if (s > max) max = s;
      }
      let sum = 0;
      for (let j = 0; j <= t; j++) sum += sc[j] = Math.exp(sc[j]! - max);
      for (let j = 0; j <= t; j++) {
        const p = sc[j]! / sum;
        for (let i = 0; i < hd; i++) y[h * hd + i]! += p * v[j]![g * hd + i]!;
      }
    }
    out.push(y);
  }
  return out;
}

/**
 * HF rotary embedding at position t on `nh` heads of size hd: the first `rot` dims of each head
 * rotate (angle t / theta^(2i / rot), rotate_half over the two halves), the rest pass through.
 */
export function rope(r: Vec, t: number, nh: number, hd: number, rot: number, theta: number): Vec {
  const out = Float64Array.from(r);
  const half = rot / 2;
  for (let h = 0; h < nh; h++) {
    for (let i = 0; i < rot; i++) {
      const a = t / Math.pow(theta, (2 * (i % half)) / rot);
      const rotated = i < half ? -r[h * hd + i + half]! : r[h * hd + i - half]!;
      out[h * hd + i] = r[h * hd + i]! * Math.cos(a) + rotated * Math.sin(a);
    }
  }
  return out;
}

/** Rows [T] of width d as one row-major float32 [T, d] tensor. */
export function rowsToTensor(rows: readonly Vec[]): Float32Array {
  const d = rows[0]?.length ?? 0;
  const out = new Float32Array(rows.length * d);
  rows.forEach((r, t) => out.set(r, t * d));
  return out;
}

/** Hook values as a forward pass records them. */
export type HookRecorder = (name: string, rows: readonly Vec[]) => void;
