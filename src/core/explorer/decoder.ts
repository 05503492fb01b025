/**
 * Decoder-direction similarity: cosines between W_dec rows of an SAE. Row norms are
 * computed once per loaded SAE; a query is one pass over W_dec (d_sae × d_in multiply-adds).
 */
import type { Sae } from '../sae/types.ts';

const norms = new WeakMap<Sae, Float32Array>();

/** 1/‖W_dec[i]‖ per feature (0 for an all-zero row), cached per loaded SAE. */
function inverseNorms(sae: Sae): Float32Array {
  let inv = norms.get(sae);
  if (!inv) {
    const { dSae, dIn } = sae.config;
    const W = sae.params.W_dec.data;
    inv = new Float32Array(dSae);
    for (let r = 0; r < dSae; r++) {
      let s = 0;
      const o = r * dIn;
      for (let j = 0; j < dIn; j++) s += W[o + j]! * W[o + j]!;
      inv[r] = s > 0 ? 1 / Math.sqrt(s) : 0;
    }
    norms.set(sae, inv);
  }
  return inv;
}

/** Cosine of every feature's decoder row with feature `id`'s (float64 sums). */
export function decoderCosines(sae: Sae, id: number): Float32Array {
  const { dSae, dIn } = sae.config;
  const W = sae.params.W_dec.data;
  const inv = inverseNorms(sae);
  const q = W.slice(id * dIn, (id + 1) * dIn);
  const out = new Float32Array(dSae);
  const qi = inv[id]!;
  const d4 = dIn - (dIn % 4);
  for (let r = 0; r < dSae; r++) {
    const o = r * dIn;
    // four partial sums: independent chains run in parallel on the CPU
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    let j = 0;
    for (; j < d4; j += 4) {
      s0 += W[o + j]! * q[j]!;
      s1 += W[o + j + 1]! * q[j + 1]!;
      s2 += W[o + j + 2]! * q[j + 2]!;
      s3 += W[o + j + 3]! * q[j + 3]!;
    }
    for (; j < dIn; j++) s0 += W[o + j]! * q[j]!;
    out[r] = (s0 + s1 + s2 + s3) * inv[r]! * qi;
  }
  return out;
}

/** The `n` features nearest to `id` by decoder cosine (itself left out), nearest first; ties by id. */
export function nearestFeatures(sae: Sae, id: number, n: number): { id: number; cosine: number }[] {
  const cos = decoderCosines(sae, id);
  const order: number[] = [];
  for (let r = 0; r < cos.length; r++) if (r !== id) order.push(r);
  order.sort((a, b) => cos[b]! - cos[a]! || a - b);
  return order.slice(0, n).map((r) => ({ id: r, cosine: cos[r]! }));
}
