/**
 * A stand-in for Engine.capture whose latents are a function of each window's token prefix
 * (like a causal model's, and unlike a random stream): the same window gives the same
 * latents in whatever batch or process it is captured, so an index of millions of tokens
 * built in shards can be checked against a single run in seconds. k latents per token,
 * lower feature ids denser, about one value in sixteen zero.
 */
import type { CaptureFn } from '../indexer.ts';

function mix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d);
  h ^= h >>> 15;
  h = Math.imul(h, 0x846ca68b);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Latents for `dSae` features, `k` per token (k must not exceed dSae). */
export function hashedCapture(dSae: number, k: number): CaptureFn {
  return async (rows, _k) => {
    const T = rows[0]?.length ?? 0;
    const values = new Float32Array(rows.length * T * k);
    const indices = new Int32Array(rows.length * T * k);
    const picked = new Int32Array(k);
    rows.forEach((ids, r) => {
      let h = 0x2545f491;
      for (let t = 0; t < T; t++) {
        h = mix(h ^ Math.imul(ids[t]! + 1, 0x9e3779b1));
        const o = (r * T + t) * k;
        const vs: number[] = [];
        for (let j = 0; j < k; j++) {
          let x = mix(h + j * 0x632be5ab);
          const u = (x & 0xffff) / 0x10000;
          let f = Math.floor(dSae * u * u);
          // distinct features per token
          while (picked.subarray(0, j).includes(f)) f = (f + 1) % dSae;
          picked[j] = f;
          x = mix(x);
          vs.push(((x >>> 4) & 15) === 0 ? 0 : 0.05 + (x & 0xfff) / 512);
        }
        // largest first, as the capture graph returns them
        const order = vs.map((_, j) => j).sort((a, b) => vs[b]! - vs[a]! || a - b);
        order.forEach((j, i) => {
          values[o + i] = vs[j]!;
          indices[o + i] = picked[j]!;
        });
      }
    });
    return { k, values, indices };
  };
}
