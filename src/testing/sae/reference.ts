/**
 * Plain-TypeScript SAE encode/decode, following types.ts to the letter: the independent
 * check the ONNX graph is tested against. Row-major loops, float64 accumulation, no speed tricks.
 */
import type { Sae } from '../../core/sae/types.ts';

/** Per-token normalisation state, needed to undo it after decoding. */
export interface NormState {
  /** The normalised input x_n, [nTokens, dIn]. */
  readonly xn: Float64Array;
  /** constant_norm_rescale: sqrt(d_in)/‖x‖ per token. */
  readonly scale?: Float64Array;
  /** layer_norm: mean and unbiased std per token. */
  readonly mu?: Float64Array;
  readonly std?: Float64Array;
}

const LN_EPS = 1e-5;

/**
 * Normalise each token: constant_norm_rescale multiplies by sqrt(d_in)/‖x‖; layer_norm gives
 * (x − μ)/(std + 1e-5) with the unbiased (n − 1) std, as SAELens does.
 */
export function normalizeTokens(sae: Sae, x: Float32Array, nTokens: number): NormState {
  const d = sae.config.dIn;
  checkLength('x', x, nTokens * d);
  const xn = Float64Array.from(x);
  switch (sae.config.normalize) {
    case 'none':
      return { xn };
    case 'constant_norm_rescale': {
      const scale = new Float64Array(nTokens);
      for (let t = 0; t < nTokens; t++) {
        let sq = 0;
        for (let i = 0; i < d; i++) sq += (xn[t * d + i] ?? 0) ** 2;
        const s = Math.sqrt(d) / Math.sqrt(sq);
        scale[t] = s;
        for (let i = 0; i < d; i++) xn[t * d + i] = (xn[t * d + i] ?? 0) * s;
      }
      return { xn, scale };
    }
    case 'layer_norm': {
      const mu = new Float64Array(nTokens);
      const std = new Float64Array(nTokens);
      for (let t = 0; t < nTokens; t++) {
        let sum = 0;
        for (let i = 0; i < d; i++) sum += xn[t * d + i] ?? 0;
        const m = sum / d;
        let sq = 0;
        for (let i = 0; i < d; i++) sq += ((xn[t * d + i] ?? 0) - m) ** 2;
        const s = Math.sqrt(sq / (d - 1));
        mu[t] = m;
        std[t] = s;
        for (let i = 0; i < d; i++) xn[t * d + i] = ((xn[t * d + i] ?? 0) - m) / (s + LN_EPS);
      }
      return { xn, mu, std };
    }
  }
}

/** Dense latents a [nTokens, dSae] for input x [nTokens, dIn], per the architecture in sae.config. */
export function encodeSae(sae: Sae, x: Float32Array, nTokens: number): Float32Array {
  const { xn } = normalizeTokens(sae, x, nTokens);
  const { config: c, params: p } = sae;
  const { dIn, dSae } = c;
  const out = new Float32Array(nTokens * dSae);
  const xc = new Float64Array(dIn);
  const pre = new Float64Array(dSae);

  for (let t = 0; t < nTokens; t++) {
    const row = out.subarray(t * dSae, (t + 1) * dSae);
    // Switch always centres on b_dec; the others only when applyBDecToInput.
    const centre = c.architecture === 'switch' || c.applyBDecToInput;
    for (let i = 0; i < dIn; i++) xc[i] = (xn[t * dIn + i] ?? 0) - (centre ? (p.b_dec.data[i] ?? 0) : 0);
    matVec(xc, p.W_enc.data, dIn, dSae, pre); // pre = xc · W_enc

    switch (c.architecture) {
      case 'standard': {
        const b = need(p.b_enc, 'b_enc').data;
        for (let j = 0; j < dSae; j++) row[j] = Math.max(0, (pre[j] ?? 0) + (b[j] ?? 0));
        break;
      }
      case 'topk': {
        const b = need(p.b_enc, 'b_enc').data;
        for (let j = 0; j < dSae; j++) pre[j] = (pre[j] ?? 0) + (b[j] ?? 0);
        for (const j of topIndices(pre, 0, dSae, need(c.k, 'k'))) row[j] = Math.max(0, pre[j] ?? 0);
        break;
      }
      case 'jumprelu': {
        const b = need(p.b_enc, 'b_enc').data;
        const th = need(p.threshold, 'threshold').data;
        for (let j = 0; j < dSae; j++) {
          const v = (pre[j] ?? 0) + (b[j] ?? 0);
          row[j] = v > (th[j] ?? 0) ? Math.max(0, v) : 0;
        }
        break;
      }
      case 'gated': {
        const bGate = need(p.b_gate, 'b_gate').data;
        const rMag = need(p.r_mag, 'r_mag').data;
        const bMag = need(p.b_mag, 'b_mag').data;
        for (let j = 0; j < dSae; j++) {
          const gate = (pre[j] ?? 0) + (bGate[j] ?? 0);
          // xc·(W_enc ⊙ exp(r_mag)) = exp(r_mag[j]) · (xc·W_enc)[j], r_mag scaling column j.
          const mag = Math.exp(rMag[j] ?? 0) * (pre[j] ?? 0) + (bMag[j] ?? 0);
          row[j] = gate > 0 ? Math.max(0, mag) : 0;
        }
        break;
      }
      case 'switch':
        encodeSwitchToken(sae, xn.subarray(t * dIn, (t + 1) * dIn), pre, row);
        break;
    }
  }
  return out;
}

/** z = ReLU(pre); p = softmax((x_n − b_router)·W_router); keep the argmax expert's block × p; top k. */
function encodeSwitchToken(sae: Sae, xn: Float64Array, pre: Float64Array, row: Float32Array): void {
  const { dIn, dSae } = sae.config;
  const nExperts = need(sae.config.nExperts, 'nExperts');
  const k = need(sae.config.k, 'k');
  const wRouter = need(sae.params.W_router, 'W_router').data;
  const bRouter = need(sae.params.b_router, 'b_router').data;
  const xr = new Float64Array(dIn);
  for (let i = 0; i < dIn; i++) xr[i] = (xn[i] ?? 0) - (bRouter[i] ?? 0);
  const logits = new Float64Array(nExperts);
  matVec(xr, wRouter, dIn, nExperts, logits);
  let best = 0;
  for (let e = 1; e < nExperts; e++) if ((logits[e] ?? 0) > (logits[best] ?? 0)) best = e;
  let denom = 0;
  for (let e = 0; e < nExperts; e++) denom += Math.exp((logits[e] ?? 0) - (logits[best] ?? 0));
  const prob = 1 / denom; // softmax of the max logit
  const size = dSae / nExperts;
  const vals = new Float64Array(dSae);
  for (let j = best * size; j < (best + 1) * size; j++) vals[j] = Math.max(0, pre[j] ?? 0) * prob;
  // Top k over all latents; those outside the block are 0 and contribute nothing.
  for (const j of topIndices(vals, best * size, (best + 1) * size, k)) row[j] = vals[j] ?? 0;
}

/**
 * x_hat = denormalise(a · W_dec + b_dec) for latents [nTokens, dSae]; `x` is the original
 * input, needed for the normalisation statistics.
 */
export function reconstruct(sae: Sae, latents: Float32Array, x: Float32Array, nTokens: number): Float32Array {
  const { dIn, dSae } = sae.config;
  checkLength('latents', latents, nTokens * dSae);
  const norm = normalizeTokens(sae, x, nTokens);
  const out = new Float32Array(nTokens * dIn);
  const y = new Float64Array(dIn);
  const wDec = sae.params.W_dec.data;
  const bDec = sae.params.b_dec.data;
  for (let t = 0; t < nTokens; t++) {
    for (let i = 0; i < dIn; i++) y[i] = bDec[i] ?? 0;
    for (let j = 0; j < dSae; j++) {
      const a = latents[t * dSae + j] ?? 0;
      if (a === 0) continue;
      for (let i = 0; i < dIn; i++) y[i] = (y[i] ?? 0) + a * (wDec[j * dIn + i] ?? 0);
    }
    for (let i = 0; i < dIn; i++) {
      let v = y[i] ?? 0;
      if (norm.scale) v /= norm.scale[t] ?? 1;
      if (norm.mu && norm.std) v = v * (norm.std[t] ?? 1) + (norm.mu[t] ?? 0);
      out[t * dIn + i] = v;
    }
  }
  return out;
}

/** out[j] = Σ_i v[i] · M[i, j] for a row-major [rows, cols] matrix. */
function matVec(v: Float64Array, m: Float32Array, rows: number, cols: number, out: Float64Array): void {
  out.fill(0);
  for (let i = 0; i < rows; i++) {
    const vi = v[i] ?? 0;
    if (vi === 0) continue;
    const base = i * cols;
    for (let j = 0; j < cols; j++) out[j] = (out[j] ?? 0) + vi * (m[base + j] ?? 0);
  }
}

/** Indices of the k largest values in v[from, to) (ties → lower index first). */
function topIndices(v: Float64Array, from: number, to: number, k: number): number[] {
  const idx: number[] = [];
  for (let j = from; j < to; j++) idx.push(j);
  idx.sort((a, b) => (v[b] ?? 0) - (v[a] ?? 0) || a - b);
  return idx.slice(0, k);
}

function need<T>(v: T | undefined, what: string): T {
  if (v === undefined) throw new Error(`SAE is missing ${what} for its architecture`);
  return v;
}

function checkLength(what: string, a: ArrayLike<number>, n: number): void {
  if (a.length !== n) throw new Error(`${what} has ${a.length} values, expected ${n}`);
}
