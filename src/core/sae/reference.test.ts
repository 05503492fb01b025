import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { encodeSae, normalizeTokens, reconstruct } from '#testing/sae/reference.ts';
import type { Sae, SaeConfig, SaeParams } from './types.ts';

const T = (data: number[], shape: number[]): { data: Float32Array; shape: number[] } => ({ data: new Float32Array(data), shape });

function sae(config: Partial<SaeConfig> & Pick<SaeConfig, 'architecture' | 'dIn' | 'dSae'>, params: SaeParams): Sae {
  return {
    config: { hookName: undefined, applyBDecToInput: false, normalize: 'none', prependBos: true, ...config },
    params,
    source: { path: 'mem', weightsFile: 'mem', format: 'saelens', dtype: 'F32' },
  };
}

/** W_enc = [I, −I], W_dec = [I; −I]: a = (ReLU(x), ReLU(−x)) and x_hat = x exactly. */
function splitSae(dIn: number, normalize: SaeConfig['normalize']): Sae {
  const dSae = 2 * dIn;
  const wEnc = new Array<number>(dIn * dSae).fill(0);
  const wDec = new Array<number>(dSae * dIn).fill(0);
  for (let i = 0; i < dIn; i++) {
    wEnc[i * dSae + i] = 1;
    wEnc[i * dSae + dIn + i] = -1;
    wDec[i * dIn + i] = 1;
    wDec[(dIn + i) * dIn + i] = -1;
  }
  return sae(
    { architecture: 'standard', dIn, dSae, normalize },
    { W_enc: T(wEnc, [dIn, dSae]), W_dec: T(wDec, [dSae, dIn]), b_enc: T(new Array(dSae).fill(0), [dSae]), b_dec: T(new Array(dIn).fill(0), [dIn]) },
  );
}

const close = (a: ArrayLike<number>, b: ArrayLike<number>, tol = 1e-6): void => {
  assert.equal(a.length, b.length);
  for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i]! - b[i]!) <= tol * (1 + Math.abs(b[i]!)), `[${i}] ${a[i]} vs ${b[i]}`);
};

describe('normalisation', () => {
  test('constant_norm_rescale scales each token to norm sqrt(d_in), and is undone', () => {
    const s = splitSae(2, 'constant_norm_rescale');
    const x = new Float32Array([3, -4, 0.3, 0.4]);
    const a = encodeSae(s, x, 2);
    const r = Math.SQRT2 / 5;
    close(a, [3 * r, 0, 0, 4 * r, 0.3 * (Math.SQRT2 / 0.5), 0.4 * (Math.SQRT2 / 0.5), 0, 0]);
    close(reconstruct(s, a, x, 2), x);
  });

  test('layer_norm uses the unbiased std and eps 1e-5, and is undone as y·std + μ', () => {
    const s = splitSae(4, 'layer_norm');
    const x = new Float32Array([1, 2, 3, 4]);
    const std = Math.sqrt(5 / 3); // deviations ±1.5, ±0.5 → Σ = 5, n − 1 = 3
    const { xn, mu } = normalizeTokens(s, x, 1);
    assert.equal(mu?.[0], 2.5);
    close(xn, [-1.5, -0.5, 0.5, 1.5].map((d) => d / (std + 1e-5)), 1e-12);
    const a = encodeSae(s, x, 1);
    close(a, [0, 0, 0.5 / (std + 1e-5), 1.5 / (std + 1e-5), 1.5 / (std + 1e-5), 0.5 / (std + 1e-5), 0, 0]);
    close(reconstruct(s, a, x, 1), x, 1e-5);
  });

  test('none: reconstruction of the split SAE is the identity', () => {
    const s = splitSae(3, 'none');
    const x = new Float32Array([0.5, -7, 2, 1, 1, -1]);
    close(reconstruct(s, encodeSae(s, x, 2), x, 2), x);
  });
});

describe('architectures', () => {
  // d_in 2, d_sae 3: pre = x·W_enc + b.
  const W_enc = T([1, 0, 1, 0, 1, -1], [2, 3]);
  const W_dec = T([1, 0, 0, 1, 1, 1], [3, 2]);
  const b_dec = T([0.5, -0.5], [2]);
  const x = new Float32Array([2, 1]);

  test('standard, with and without b_dec subtracted first', () => {
    const base = { W_enc, W_dec, b_dec, b_enc: T([0, 0, -0.5], [3]) };
    // xc = x: pre = [2, 1, 1 − 0.5]
    close(encodeSae(sae({ architecture: 'standard', dIn: 2, dSae: 3 }, base), x, 1), [2, 1, 0.5]);
    // xc = x − b_dec = [1.5, 1.5]: pre = [1.5, 1.5, −0.5] → ReLU
    close(encodeSae(sae({ architecture: 'standard', dIn: 2, dSae: 3, applyBDecToInput: true }, base), x, 1), [1.5, 1.5, 0]);
  });

  test('topk keeps the k largest pre-activations then ReLU; ties go to the lower index', () => {
    const s = (k: number, b: number[]): Sae => sae({ architecture: 'topk', dIn: 2, dSae: 3, k }, { W_enc, W_dec, b_dec, b_enc: T(b, [3]) });
    close(encodeSae(s(1, [0, 0, 0]), x, 1), [2, 0, 0]);
    close(encodeSae(s(2, [0, 1, 0]), x, 1), [2, 2, 0]); // pre [2, 2, 1]
    close(encodeSae(s(1, [0, 1, 0]), x, 1), [2, 0, 0]); // tie → index 0
    close(encodeSae(s(2, [-5, -4, -3]), x, 1), [0, 0, 0]); // top-2 negative → ReLU → 0
  });

  test('jumprelu: strictly above the threshold, and never negative', () => {
    const s = sae(
      { architecture: 'jumprelu', dIn: 2, dSae: 3 },
      { W_enc, W_dec, b_dec, b_enc: T([0, 0, -2], [3]), threshold: T([2, 0.5, -3], [3]) },
    );
    // pre = [2, 1, −1]: 2 > 2 no; 1 > 0.5 yes; −1 > −3 yes but ReLU → 0
    close(encodeSae(s, x, 1), [0, 1, 0]);
  });

  test('gated: the gate path decides, the magnitude path uses W_enc ⊙ exp(r_mag)', () => {
    const s = sae(
      { architecture: 'gated', dIn: 2, dSae: 3 },
      { W_enc, W_dec, b_dec, b_gate: T([0, -1.5, 0], [3]), r_mag: T([Math.log(2), 0, 0], [3]), b_mag: T([0.25, 0, -5], [3]) },
    );
    // xW = [2, 1, 1]; gate = [2, −0.5, 1] > 0 → [1, 0, 1]; mag = [2·2 + 0.25, 1, 1 − 5]
    close(encodeSae(s, x, 1), [4.25, 0, 0]);
  });

  test('switch: argmax expert block × its router probability, then top k', () => {
    // d_in 2, d_sae 4, 2 experts of 2 latents; W_enc = I ⊕ I so z = ReLU(x − b_dec) repeated.
    const s = (k: number): Sae =>
      sae(
        { architecture: 'switch', dIn: 2, dSae: 4, k, nExperts: 2 },
        {
          W_enc: T([1, 0, 1, 0, 0, 1, 0, 1], [2, 4]),
          W_dec: T([1, 0, 0, 1, 1, 0, 0, 1], [4, 2]),
          b_dec: T([0, 0], [2]),
          W_router: T([0, 1, 0, 0], [2, 2]), // logits = [0, x0 − b_router0]
          b_router: T([1, 0], [2]),
        },
      );
    const xs = new Float32Array([3, 2]);
    const p = Math.exp(2) / (1 + Math.exp(2)); // logits [0, 2] → expert 1
    close(encodeSae(s(2), xs, 1), [0, 0, 3 * p, 2 * p]);
    close(encodeSae(s(1), xs, 1), [0, 0, 3 * p, 0]);
    // Reconstruction is a·W_dec + b_dec like every architecture.
    close(reconstruct(s(2), encodeSae(s(2), xs, 1), xs, 1), [3 * p, 2 * p]);
  });

  test('several tokens are independent', () => {
    const s = sae({ architecture: 'standard', dIn: 2, dSae: 3 }, { W_enc, W_dec, b_dec, b_enc: T([0, 0, 0], [3]) });
    const one = encodeSae(s, new Float32Array([-1, 3]), 1);
    const two = encodeSae(s, new Float32Array([2, 1, -1, 3]), 2);
    close(two.subarray(3), one);
    close(two.subarray(0, 3), [2, 1, 1]);
  });
});
