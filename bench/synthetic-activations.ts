/**
 * The index benchmark's synthetic fast path: a stand-in for Engine.capture that returns
 * TopK-shaped latents (k per token over d_sae features) in microseconds, so a ≥1M-token
 * index can be built through the real store code on a 2-core CPU. Feature densities are
 * log-normal (σ = 1.5 nats around k/d_sae, a few features dense), values log-normal per
 * feature, sorted largest first per token as the capture graph returns them.
 */
import type { CaptureFn } from '../src/core/index/indexer.ts';
import { randomNormal } from '#testing/sae/synthetic.ts';
import { seededRandom } from '../src/core/util/random.ts';

/** A synthetic capture function over `dSae` features with `k` per token. */
export function syntheticCapture(dSae: number, k: number, seed = 1): CaptureFn {
  const rand = seededRandom(seed);
  const logw = randomNormal(rand, dSae, 1.5);
  const w = Float64Array.from(logw, (x) => Math.exp(x));
  const total = w.reduce((a, b) => a + b, 0);
  // density_f = k · w_f / Σw, capped so no feature fires on every token
  const cdf = new Float64Array(dSae);
  let acc = 0;
  for (let f = 0; f < dSae; f++) {
    acc += Math.min(0.9, (k * w[f]!) / total);
    cdf[f] = acc;
  }
  const scale = Float64Array.from(randomNormal(rand, dSae, 0.6, 1.5), (x) => Math.exp(x));
  const pick = (): number => {
    const u = rand() * acc;
    let lo = 0;
    let hi = dSae - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cdf[mid]! < u) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  return async (rows) => {
    const T = rows[0]?.length ?? 0;
    const n = rows.length * T;
    const values = new Float32Array(n * k);
    const indices = new Int32Array(n * k);
    const feats = new Int32Array(k);
    const vals = new Float64Array(k);
    const order = Array.from({ length: k }, (_, i) => i);
    for (let t = 0; t < n; t++) {
      for (let j = 0; j < k; j++) {
        let f: number;
        do f = pick();
        while (feats.subarray(0, j).includes(f));
        feats[j] = f;
        vals[j] = scale[f]! * Math.exp(0.5 * (rand() + rand() + rand() - 1.5));
      }
      order.sort((a, b) => vals[b]! - vals[a]!);
      for (let j = 0; j < k; j++) {
        values[t * k + j] = vals[order[j]!]!;
        indices[t * k + j] = feats[order[j]!]!;
      }
    }
    return { k, values, indices };
  };
}
