import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { AppError } from '#shared/reply.ts';
import { loadSae } from '../sae/load.ts';
import { saeLensCfg, syntheticSaeTensors, writeSaeLensFolder } from '#testing/sae/synthetic.ts';
import type { Sae } from '../sae/types.ts';
import { referenceCases } from '#testing/fixtures.ts';
import { seededRandom } from '../util/random.ts';
import { compareDecoders, pairsPage, summarize } from './compare.ts';

/**
 * Dictionary comparison: an SAE against itself matches every latent to itself at cosine 1;
 * against a permuted copy it finds the permutation; against another SAE it agrees with a
 * brute-force max cosine, whatever the block size.
 */
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sae-health-compare-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));
const cpu = { providers: ['cpu'] as const };

/** Brute-force best cosine of each row of A's decoder with any row of B's, in float64. */
function bruteForce(a: Sae, b: Sae): { max: number[]; argmax: number[]; second: number[] } {
  const d = a.config.dIn;
  const A = a.params.W_dec.data;
  const B = b.params.W_dec.data;
  const norm = (m: Float32Array, i: number): number => {
    let s = 0;
    for (let k = 0; k < d; k++) s += m[i * d + k]! ** 2;
    return Math.sqrt(s);
  };
  const nb = Array.from({ length: b.config.dSae }, (_, j) => norm(B, j));
  const max: number[] = [];
  const argmax: number[] = [];
  const second: number[] = [];
  for (let i = 0; i < a.config.dSae; i++) {
    const na = norm(A, i);
    let best = -Infinity;
    let arg = -1;
    let next = -Infinity;
    for (let j = 0; j < b.config.dSae; j++) {
      let dot = 0;
      for (let k = 0; k < d; k++) dot += A[i * d + k]! * B[j * d + k]!;
      const c = dot / (na * nb[j]!);
      if (c > best) {
        next = best;
        best = c;
        arg = j;
      } else if (c > next) next = c;
    }
    max.push(best);
    argmax.push(arg);
    second.push(next);
  }
  return { max, argmax, second };
}

/** Writes a copy of a SAELens SAE whose latents are permuted: new latent j is old latent perm[j]. */
function permutedCopy(saeDir: string, dir: string, perm: readonly number[]): void {
  const sae = loadSae(saeDir);
  const { dIn, dSae } = sae.config;
  const wDec = new Float32Array(dSae * dIn);
  const wEnc = new Float32Array(dIn * dSae);
  const bEnc = new Float32Array(dSae);
  for (let j = 0; j < dSae; j++) {
    const i = perm[j]!;
    wDec.set(sae.params.W_dec.data.subarray(i * dIn, (i + 1) * dIn), j * dIn);
    for (let r = 0; r < dIn; r++) wEnc[r * dSae + j] = sae.params.W_enc.data[r * dSae + i]!;
    bEnc[j] = sae.params.b_enc!.data[i]!;
  }
  writeSaeLensFolder(dir, JSON.parse(fs.readFileSync(path.join(saeDir, 'cfg.json'), 'utf8')) as Record<string, unknown>, {
    W_enc: { data: wEnc, shape: [dIn, dSae] },
    W_dec: { data: wDec, shape: [dSae, dIn] },
    b_enc: { data: bEnc, shape: [dSae] },
    b_dec: sae.params.b_dec,
  });
}

function shuffled(n: number, seed: number): number[] {
  const rand = seededRandom(seed);
  const p = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [p[i], p[j]] = [p[j]!, p[i]!];
  }
  return p;
}

describe('dictionary comparison', () => {
  const cases = referenceCases().filter((c) => c.name === 'gpt2-relu-l2pre' || c.name === 'gpt2-topk-l1post');
  assert.equal(cases.length, 2, 'reference fixtures missing');

  for (const c of cases) {
    test(`${c.name}: with itself, every latent's best match is itself at cosine 1`, async () => {
      const sae = loadSae(c.saeDir);
      const r = await compareDecoders(sae, sae, cpu);
      assert.equal(r.max.length, sae.config.dSae);
      for (let i = 0; i < r.max.length; i++) {
        assert.ok(Math.abs(r.max[i]! - 1) < 1e-5, `latent ${i}: ${r.max[i]}`);
        assert.equal(r.argmax[i], i);
      }
      assert.deepEqual(r.shares, { above_0_9: 1, above_0_8: 1, above_0_7: 1 });
      assert.equal(r.histogram.at(-1)!.count, sae.config.dSae);
    });

    test(`${c.name}: with a permuted copy, the comparison finds the permutation`, async () => {
      const a = loadSae(c.saeDir);
      const perm = shuffled(a.config.dSae, 7);
      const dir = path.join(tmp, `${c.name}-permuted`);
      permutedCopy(c.saeDir, dir, perm);
      const b = loadSae(dir);
      const r = await compareDecoders(a, b, { ...cpu, block: 37 });
      // B's latent j is A's perm[j]: A's latent i is found at the j with perm[j] = i
      const inverse = new Array<number>(perm.length);
      perm.forEach((i, j) => (inverse[i] = j));
      assert.deepEqual(Array.from(r.argmax), inverse);
      assert.ok(r.max.every((v) => Math.abs(v - 1) < 1e-5));
      // and the other way round
      const back = await compareDecoders(b, a, cpu);
      assert.deepEqual(Array.from(back.argmax), perm);
    });
  }

  test('two different SAEs: the same best cosines as brute force, in any block size', async () => {
    const hook = 'blocks.1.hook_resid_post';
    const dirs = [
      { dir: path.join(tmp, 'syn-a'), dSae: 300, seed: 3 },
      { dir: path.join(tmp, 'syn-b'), dSae: 211, seed: 4 },
    ];
    for (const s of dirs) {
      writeSaeLensFolder(
        s.dir,
        saeLensCfg({ architecture: 'standard', dIn: 24, dSae: s.dSae, hookName: hook }),
        syntheticSaeTensors({ architecture: 'standard', dIn: 24, dSae: s.dSae, seed: s.seed }),
      );
    }
    const a = loadSae(dirs[0]!.dir);
    const b = loadSae(dirs[1]!.dir);
    const expected = bruteForce(a, b);
    for (const block of [undefined, 1, 64, 299]) {
      const r = await compareDecoders(a, b, { ...cpu, ...(block ? { block } : {}) });
      for (let i = 0; i < a.config.dSae; i++) {
        assert.ok(Math.abs(r.max[i]! - expected.max[i]!) < 1e-5, `latent ${i}: ${r.max[i]} vs ${expected.max[i]}`);
        // where two of B's latents are within float error, either may win
        if (expected.max[i]! - expected.second[i]! > 1e-5) assert.equal(r.argmax[i], expected.argmax[i], `latent ${i}`);
      }
    }
    const r = await compareDecoders(a, b, cpu);
    // the summary counts what brute force counts
    const share = (t: number): number => expected.max.filter((v) => v > t).length / expected.max.length;
    assert.ok(Math.abs(r.shares.above_0_7 - share(0.7)) < 1e-9);
    assert.ok(Math.abs(r.mean_max_cosine - expected.max.reduce((x, y) => x + y, 0) / expected.max.length) < 1e-5);
    assert.equal(
      r.histogram.reduce((n, bin) => n + bin.count, 0),
      a.config.dSae,
    );
    // random 24-dim directions: best matches are far from 1
    assert.ok(r.shares.above_0_9 < 0.5);
  });

  test('SAEs on different hooks or widths are refused, naming both', async () => {
    const [x, y] = cases.map((c) => loadSae(c.saeDir));
    await assert.rejects(
      compareDecoders(x!, y!, cpu),
      (e: unknown) => e instanceof AppError && e.code === 'bad_request' && /same hook/.test(e.message),
    );
  });

  test('summary and pages: shares, median, histogram bins, orders', () => {
    const max = Float32Array.from([0.95, 0.85, 0.75, 0.5, -0.1]);
    const s = summarize(max);
    assert.deepEqual(s.shares, { above_0_9: 0.2, above_0_8: 0.4, above_0_7: 0.6 });
    assert.ok(Math.abs(s.median_max_cosine - 0.75) < 1e-6);
    assert.equal(s.histogram[0]!.count, 1); // the negative one
    assert.equal(s.histogram[47]!.count, 1); // 0.95
    const argmax = Int32Array.from([4, 3, 2, 1, 0]);
    assert.deepEqual(
      pairsPage({ max, argmax }, 0, 2, 'desc').items.map((p) => p.a),
      [0, 1],
    );
    assert.deepEqual(
      pairsPage({ max, argmax }, 1, 2, 'asc').items.map((p) => [p.a, p.b]),
      [
        [3, 1],
        [2, 2],
      ],
    );
    const page = pairsPage({ max, argmax }, 4, 10, 'latent');
    assert.equal(page.total, 5);
    assert.deepEqual(
      page.items.map((p) => p.a),
      [4],
    );
  });
});
