import assert from 'node:assert/strict';
import { test } from 'node:test';
import { seededRandom } from '../util/random.ts';
import { maxDot, nextTokenLosses } from './kernels.ts';

/** The ONNX kernels against float64 loops, whatever the chunking. */
test('nextTokenLosses: NLLs and KLs equal brute force, in one run or in chunks', async () => {
  const rand = seededRandom(11);
  const n = 37;
  const V = 53;
  const make = (scale: number): Float32Array => Float32Array.from({ length: n * V }, () => (rand() - 0.5) * scale);
  const logits = { clean: make(8), recon: make(8), zero: make(3) };
  const target = BigInt64Array.from({ length: n }, () => BigInt(Math.floor(rand() * V)));
  const logp = (x: Float32Array, i: number): number[] => {
    const row = Array.from(x.subarray(i * V, (i + 1) * V));
    const m = Math.max(...row);
    const lse = m + Math.log(row.reduce((s, v) => s + Math.exp(v - m), 0));
    return row.map((v) => v - lse);
  };
  for (const chunk of [undefined, 1, 5, 36]) {
    const r = await nextTokenLosses(['cpu'], logits, target, V, chunk);
    for (let i = 0; i < n; i++) {
      const [c, rc, z] = [logp(logits.clean, i), logp(logits.recon, i), logp(logits.zero, i)];
      const t = Number(target[i]);
      const kl = (o: number[]): number => c.reduce((s, lc, v) => s + Math.exp(lc) * (lc - o[v]!), 0);
      assert.ok(Math.abs(r.nllClean[i]! + c[t]!) < 1e-4);
      assert.ok(Math.abs(r.nllRecon[i]! + rc[t]!) < 1e-4);
      assert.ok(Math.abs(r.nllZero[i]! + z[t]!) < 1e-4);
      assert.ok(Math.abs(r.klRecon[i]! - kl(rc)) < 1e-4, `chunk ${chunk}, position ${i}`);
      assert.ok(Math.abs(r.klZero[i]! - kl(z)) < 1e-4);
    }
  }
});

test('maxDot: the best dot product of each row and where it is', async () => {
  const a = Float32Array.from([1, 0, 0, 1, 0.6, 0.8]);
  const b = Float32Array.from([0, 1, 1, 0, 0.8, 0.6]);
  const r = await maxDot(['cpu'], a, 3, b, 3, 2);
  assert.deepEqual(Array.from(r.argmax), [1, 0, 2]);
  assert.ok(Math.abs(r.max[2]! - 0.96) < 1e-6);
});
