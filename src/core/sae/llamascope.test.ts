import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';

import { repoRoot } from '#testing/fixtures.ts';
import { SaeFileError } from './errors.ts';
import { loadSae } from './load.ts';
import { describePreprocessing } from './preprocessing.ts';
import { encodeSae, reconstruct } from '#testing/sae/reference.ts';
import { readSafetensors, writeSafetensors, type TensorToWrite } from './safetensors.ts';
import { randomNormal, seededRandom } from '#testing/sae/synthetic.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sae-llamascope-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));
let n = 0;
const fixture = path.resolve(repoRoot, '../shared/fixtures/reference-realworld/rw-llamascope-l1r');
const T = 6;

function expectError(fn: () => unknown, file: string, pattern: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof SaeFileError, `expected SaeFileError, got ${String(err)}`);
    assert.equal(err.file, file);
    assert.ok(err.message.startsWith(`${file}: `), err.message);
    assert.match(err.message, pattern);
    return true;
  });
}

interface Hyper {
  d_model: number;
  d_sae: number;
  jump_relu_threshold: number;
  norm_activation?: string;
  dataset_average_activation_norm?: { in: number; out: number };
  use_decoder_bias?: boolean;
  apply_decoder_bias_to_pre_encoder?: boolean;
}

/**
 * The Llama Scope forward pass as the fixture's README states SAELens applies it, from the raw
 * checkpoint tensors: s = √d_model / avg_norm_in, pre = (s·x − b_dec?)·encoder.weightᵀ + encoder.bias,
 * a = pre where pre > jump_relu_threshold·s, x_hat = (a·decoder.weightᵀ + b_dec) / s.
 */
function llamaScopeDirect(h: Hyper, t: Record<string, Float32Array>) {
  const { d_model: d, d_sae: m } = h;
  const s =
    h.norm_activation === 'dataset-wise' || h.norm_activation === undefined
      ? Math.sqrt(d) / (h.dataset_average_activation_norm?.in ?? NaN)
      : 1;
  const enc = t['encoder.weight'] ?? new Float32Array(0);
  const dec = t['decoder.weight'] ?? new Float32Array(0);
  const bEnc = t['encoder.bias'] ?? new Float32Array(0);
  const bDec = h.use_decoder_bias === false ? new Float32Array(d) : (t['decoder.bias'] ?? new Float32Array(0));
  return {
    encode(x: readonly number[]): number[] {
      const xs = x.map((v, i) => s * v - (h.apply_decoder_bias_to_pre_encoder ? (bDec[i] ?? 0) : 0));
      return Array.from({ length: m }, (_, j) => {
        const pre = xs.reduce((acc, v, i) => acc + v * (enc[j * d + i] ?? 0), bEnc[j] ?? 0);
        return pre > h.jump_relu_threshold * s ? pre : 0;
      });
    },
    decode(a: readonly number[]): number[] {
      return Array.from({ length: d }, (_, i) => a.reduce((acc, v, j) => acc + v * (dec[i * m + j] ?? 0), bDec[i] ?? 0) / s);
    },
  };
}

function checkAgainstDirect(saePath: string, h: Hyper, raw: Record<string, Float32Array>, inputScale: number): void {
  const sae = loadSae(saePath);
  const { dIn, dSae } = sae.config;
  const x = randomNormal(seededRandom(3), T * dIn, inputScale, 0.1);
  const a = encodeSae(sae, x, T);
  const xHat = reconstruct(sae, a, x, T);
  const ref = llamaScopeDirect(h, raw);
  let fired = 0;
  for (let t = 0; t < T; t++) {
    const f = ref.encode([...x.subarray(t * dIn, (t + 1) * dIn)]);
    fired += f.filter((v) => v > 0).length;
    const want = ref.decode(f);
    for (let j = 0; j < dSae; j++) {
      const g = a[t * dSae + j] ?? NaN;
      assert.ok(Math.abs(g - (f[j] ?? NaN)) <= 1e-4 * Math.max(1, Math.abs(f[j] ?? 0)), `latent ${j} at token ${t}: ${g} vs ${f[j]}`);
    }
    for (let i = 0; i < dIn; i++) {
      const g = xHat[t * dIn + i] ?? NaN;
      assert.ok(
        Math.abs(g - (want[i] ?? NaN)) <= 1e-4 * Math.max(1, Math.abs(want[i] ?? 0)),
        `x_hat[${i}] at token ${t}: ${g} vs ${want[i]}`,
      );
    }
  }
  assert.ok(fired > 0, 'some latents fire, so the comparison means something');
}

function writeLlamaScope(
  hyper: Record<string, unknown>,
  tensors: Record<string, TensorToWrite>,
  weights = 'checkpoints/final.safetensors',
): string {
  const dir = path.join(tmp, `${n++}`);
  fs.mkdirSync(path.join(dir, path.dirname(weights)), { recursive: true });
  fs.writeFileSync(path.join(dir, 'hyperparams.json'), JSON.stringify(hyper));
  writeSafetensors(path.join(dir, weights), tensors);
  return dir;
}

function randomCheckpoint(d: number, m: number, seed: number, withDecoderBias = true): Record<string, TensorToWrite> {
  const rand = seededRandom(seed);
  const r = (shape: number[], scale: number, shift = 0): TensorToWrite => ({
    data: randomNormal(
      rand,
      shape.reduce((a, v) => a * v, 1),
      scale,
      shift,
    ),
    shape,
  });
  return {
    'encoder.weight': r([m, d], 0.4),
    'encoder.bias': r([m], 0.2, -0.2),
    'decoder.weight': r([d, m], 0.3),
    ...(withDecoderBias ? { 'decoder.bias': r([d], 0.2) } : {}),
  };
}

const rawOf = (t: Record<string, TensorToWrite>): Record<string, Float32Array> =>
  Object.fromEntries(Object.entries(t).map(([k, v]) => [k, Float32Array.from(v.data)]));

describe('Llama Scope', () => {
  test('the fixture loads as jumprelu at hook_point_in and matches the SAELens formula', () => {
    const hyper = JSON.parse(fs.readFileSync(path.join(fixture, 'sae', 'hyperparams.json'), 'utf8')) as Hyper & { hook_point_in: string };
    const expected = JSON.parse(fs.readFileSync(path.join(fixture, 'expected.json'), 'utf8')) as { hook: string; architecture: string };
    const sae = loadSae(path.join(fixture, 'sae'));
    assert.equal(sae.source.format, 'llamascope');
    assert.equal(sae.config.architecture, expected.architecture);
    assert.equal(sae.config.hookName, hyper.hook_point_in);
    assert.equal(sae.config.hookName, expected.hook);
    assert.match(describePreprocessing(sae.config), /Llama Scope dataset-wise norm folded in/);
    const st = readSafetensors(path.join(fixture, 'sae', 'checkpoints', 'final.safetensors'));
    const raw = Object.fromEntries([...st.entries.keys()].map((k) => [k, st.tensor(k).data]));
    // Inputs at the dataset's average norm, so the threshold splits the latents.
    const scale = (hyper.dataset_average_activation_norm?.in ?? 1) / Math.sqrt(hyper.d_model);
    checkAgainstDirect(path.join(fixture, 'sae'), hyper, raw, scale);
  });

  test('decoder bias subtracted before encoding, no decoder bias, and an already folded norm', () => {
    const variants: Hyper[] = [
      {
        d_model: 8,
        d_sae: 32,
        jump_relu_threshold: 0.2,
        norm_activation: 'dataset-wise',
        dataset_average_activation_norm: { in: 5, out: 5 },
        apply_decoder_bias_to_pre_encoder: true,
      },
      {
        d_model: 8,
        d_sae: 32,
        jump_relu_threshold: 0.1,
        norm_activation: 'dataset-wise',
        dataset_average_activation_norm: { in: 0.5, out: 0.5 },
        use_decoder_bias: false,
      },
      { d_model: 8, d_sae: 32, jump_relu_threshold: 0.3, norm_activation: 'inference' },
    ];
    variants.forEach((h, i) => {
      const tensors = randomCheckpoint(h.d_model, h.d_sae, 20 + i, h.use_decoder_bias !== false);
      const dir = writeLlamaScope(
        { ...h, hook_point_in: 'blocks.4.hook_mlp_out', hook_point_out: 'blocks.4.hook_mlp_out', act_fn: 'jumprelu' },
        tensors,
      );
      checkAgainstDirect(dir, h, rawOf(tensors), 1);
      assert.equal(loadSae(dir).config.hookName, 'blocks.4.hook_mlp_out');
    });
  });

  test('the folder, hyperparams.json, or checkpoints/final.safetensors may be named; final.safetensors may sit beside hyperparams.json', () => {
    const h = {
      d_model: 4,
      d_sae: 8,
      jump_relu_threshold: 0.1,
      dataset_average_activation_norm: { in: 2, out: 2 },
      hook_point_in: 'blocks.0.hook_resid_post',
    };
    const dir = writeLlamaScope(h, randomCheckpoint(4, 8, 1));
    const a = loadSae(dir);
    assert.deepEqual(loadSae(path.join(dir, 'hyperparams.json')).params, a.params);
    assert.deepEqual(loadSae(path.join(dir, 'checkpoints', 'final.safetensors')).params, a.params);
    const flat = writeLlamaScope(h, randomCheckpoint(4, 8, 1), 'final.safetensors');
    assert.deepEqual(loadSae(flat).params, a.params);
  });

  test('refuses transcoders, other activations and norms, and missing pieces, naming the file and field', () => {
    const base = {
      d_model: 4,
      d_sae: 8,
      jump_relu_threshold: 0.1,
      norm_activation: 'dataset-wise',
      dataset_average_activation_norm: { in: 2, out: 2 },
      hook_point_in: 'blocks.0.ln2.hook_normalized',
    };
    const cfgOf = (dir: string): string => path.join(dir, 'hyperparams.json');
    let dir = writeLlamaScope({ ...base, hook_point_out: 'blocks.0.hook_mlp_out' }, randomCheckpoint(4, 8, 2));
    expectError(
      () => loadSae(dir),
      cfgOf(dir),
      /hook_point_in blocks\.0\.ln2\.hook_normalized differs from hook_point_out blocks\.0\.hook_mlp_out: this is a transcoder/,
    );
    dir = writeLlamaScope({ ...base, act_fn: 'topk' }, randomCheckpoint(4, 8, 2));
    expectError(() => loadSae(dir), cfgOf(dir), /act_fn "topk" is not supported/);
    dir = writeLlamaScope({ ...base, norm_activation: 'token-wise' }, randomCheckpoint(4, 8, 2));
    expectError(() => loadSae(dir), cfgOf(dir), /norm_activation "token-wise" is not supported/);
    dir = writeLlamaScope({ ...base, dataset_average_activation_norm: undefined }, randomCheckpoint(4, 8, 2));
    expectError(() => loadSae(dir), cfgOf(dir), /dataset_average_activation_norm\.in is undefined, not a positive number/);
    dir = writeLlamaScope(base, randomCheckpoint(4, 8, 2), 'other.safetensors');
    expectError(() => loadSae(dir), dir, /has hyperparams\.json but no checkpoints\/final\.safetensors or final\.safetensors/);
    dir = writeLlamaScope({ ...base, d_sae: 16 }, randomCheckpoint(4, 8, 2));
    expectError(
      () => loadSae(dir),
      path.join(dir, 'checkpoints', 'final.safetensors'),
      /tensor encoder\.weight has shape \[8, 4\] but hyperparams\.json says d_sae=16, d_model=4/,
    );
  });
});
