import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';

import { repoRoot } from '#testing/fixtures.ts';
import { parseDictLearningCfg, type DictClass } from './dictlearn.ts';
import { SaeFileError } from './errors.ts';
import { loadSae } from './load.ts';
import { encodeSae, reconstruct } from '#testing/sae/reference.ts';
import { randomNormal, seededRandom } from '#testing/sae/synthetic.ts';
import { readTorchStateDict } from './torch.ts';
import { writeTorchStateDict, type TorchTensorToWrite } from '#testing/sae/torch-writer.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sae-dictlearn-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));
let n = 0;
const realworld = path.resolve(repoRoot, '../shared/fixtures/reference-realworld');
const D_IN = 8;
const D_SAE = 24;
const T = 5;

function expectError(fn: () => unknown, file: string, pattern: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof SaeFileError, `expected SaeFileError, got ${String(err)}`);
    assert.equal(err.file, file);
    assert.ok(err.message.startsWith(`${file}: `), err.message);
    assert.match(err.message, pattern);
    return true;
  });
}

function config(trainer: Record<string, unknown>, buffer: Record<string, unknown> = { io: 'out', ctx_len: 128 }): Record<string, unknown> {
  return {
    trainer: {
      activation_dim: D_IN,
      dict_size: D_SAE,
      layer: 3,
      lm_name: 'EleutherAI/pythia-70m-deduped',
      submodule_name: 'resid_post_layer_3',
      ...trainer,
    },
    buffer,
  };
}

function writeFolder(cfg: Record<string, unknown>, tensors: Record<string, TorchTensorToWrite>, pickle?: Uint8Array): string {
  const dir = path.join(tmp, `${n++}`);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(cfg));
  writeTorchStateDict(path.join(dir, 'ae.pt'), tensors, pickle ? { pickle, archive: 'ae' } : { archive: 'ae' });
  return dir;
}

// ---- dictionary_learning's forward passes, written from its classes (nn.Linear convention) ----

type Vec = Float32Array;
/** nn.Linear: y[o] = Σ_i W[o, i]·x[i] (+ b[o]), W stored [out, in]. */
function linear(w: Vec, out: number, inp: number, x: readonly number[], b?: Vec): number[] {
  return Array.from({ length: out }, (_, o) => x.reduce((acc, v, i) => acc + (w[o * inp + i] ?? 0) * v, b?.[o] ?? 0));
}
/** x @ W for W stored [in, out]. */
function matmul(x: readonly number[], w: Vec, out: number): number[] {
  return Array.from({ length: out }, (_, o) => x.reduce((acc, v, i) => acc + v * (w[i * out + o] ?? 0), 0));
}
const relu = (v: number): number => Math.max(0, v);
const sub = (x: readonly number[], b: Vec): number[] => x.map((v, i) => v - (b[i] ?? 0));
const add = (x: readonly number[], b: Vec): number[] => x.map((v, i) => v + (b[i] ?? 0));
function keepTopK(v: number[], k: number): number[] {
  const keep = new Set(
    v
      .map((a, i) => [a, i] as const)
      .sort((p, q) => q[0] - p[0] || p[1] - q[1])
      .slice(0, k)
      .map(([, i]) => i),
  );
  return v.map((a, i) => (keep.has(i) ? a : 0));
}

/** encode and decode as the dict class does, from the tensors we wrote. */
function direct(
  cls: DictClass,
  t: Record<string, Vec>,
  k: number,
): { encode: (x: number[]) => number[]; decode: (f: number[]) => number[] } {
  const g = (name: string): Vec => {
    const v = t[name];
    if (!v) throw new Error(`test tensor ${name} missing`);
    return v;
  };
  const decLinear = (f: number[], b: Vec): number[] => add(linear(g('decoder.weight'), D_IN, D_SAE, f), b);
  switch (cls) {
    case 'AutoEncoder':
      return {
        encode: (x) => linear(g('encoder.weight'), D_SAE, D_IN, sub(x, g('bias')), g('encoder.bias')).map(relu),
        decode: (f) => decLinear(f, g('bias')),
      };
    case 'AutoEncoderNew':
      return {
        encode: (x) => linear(g('encoder.weight'), D_SAE, D_IN, x, g('encoder.bias')).map(relu),
        decode: (f) => decLinear(f, g('decoder.bias')),
      };
    case 'AutoEncoderTopK':
      return {
        encode: (x) => keepTopK(linear(g('encoder.weight'), D_SAE, D_IN, sub(x, g('b_dec')), g('encoder.bias')).map(relu), k),
        decode: (f) => decLinear(f, g('b_dec')),
      };
    case 'BatchTopKSAE': {
      const th = g('threshold')[0] ?? 0;
      return {
        encode: (x) =>
          linear(g('encoder.weight'), D_SAE, D_IN, sub(x, g('b_dec')), g('encoder.bias'))
            .map(relu)
            .map((v) => (v > th ? v : 0)),
        decode: (f) => decLinear(f, g('b_dec')),
      };
    }
    case 'MatryoshkaBatchTopKSAE': {
      const th = g('threshold')[0] ?? 0;
      return {
        encode: (x) =>
          add(matmul(sub(x, g('b_dec')), g('W_enc'), D_SAE), g('b_enc'))
            .map(relu)
            .map((v) => (v > th ? v : 0)),
        decode: (f) => add(matmul(f, g('W_dec'), D_IN), g('b_dec')),
      };
    }
    case 'JumpReluAutoEncoder':
      return {
        encode: (x) => add(matmul(x, g('W_enc'), D_SAE), g('b_enc')).map((v, j) => relu(v > (g('threshold')[j] ?? 0) ? v : 0)),
        decode: (f) => add(matmul(f, g('W_dec'), D_IN), g('b_dec')),
      };
    case 'GatedAutoEncoder':
      return {
        encode: (x) => {
          const xEnc = linear(g('encoder.weight'), D_SAE, D_IN, sub(x, g('decoder_bias')));
          return xEnc.map((v, j) =>
            v + (g('gate_bias')[j] ?? 0) > 0 ? relu(Math.exp(g('r_mag')[j] ?? 0) * v + (g('mag_bias')[j] ?? 0)) : 0,
          );
        },
        decode: (f) => decLinear(f, g('decoder_bias')),
      };
  }
}

/** Random tensors under each class's state_dict names. */
function classTensors(cls: DictClass, seed: number): Record<string, TorchTensorToWrite> {
  const rand = seededRandom(seed);
  const r = (shape: number[], scale: number, shift = 0): TorchTensorToWrite => ({
    data: randomNormal(
      rand,
      shape.reduce((a, d) => a * d, 1),
      scale,
      shift,
    ),
    shape,
  });
  const enc = r([D_SAE, D_IN], 0.5);
  const dec = { ...r([D_IN, D_SAE], 0.3), transposedStorage: true }; // as a saved `W.T` view
  switch (cls) {
    case 'AutoEncoder':
      return { bias: r([D_IN], 0.2), 'encoder.weight': enc, 'encoder.bias': r([D_SAE], 0.2, -0.3), 'decoder.weight': dec };
    case 'AutoEncoderNew':
      return { 'encoder.weight': enc, 'encoder.bias': r([D_SAE], 0.2, -0.3), 'decoder.weight': dec, 'decoder.bias': r([D_IN], 0.2) };
    case 'AutoEncoderTopK':
    case 'BatchTopKSAE':
      return {
        k: { data: [4], shape: [], dtype: 'I32' },
        threshold: { data: [0.35], shape: [] },
        'decoder.weight': dec,
        'encoder.weight': enc,
        'encoder.bias': r([D_SAE], 0.2, -0.1),
        b_dec: r([D_IN], 0.2),
      };
    case 'MatryoshkaBatchTopKSAE':
      return {
        k: { data: [4], shape: [], dtype: 'I32' },
        threshold: { data: [0.3], shape: [] },
        group_sizes: { data: [8, 16], shape: [2], dtype: 'I64' },
        W_enc: r([D_IN, D_SAE], 0.5),
        b_enc: r([D_SAE], 0.2, -0.1),
        W_dec: r([D_SAE, D_IN], 0.3),
        b_dec: r([D_IN], 0.2),
      };
    case 'JumpReluAutoEncoder':
      return {
        W_enc: r([D_IN, D_SAE], 0.5),
        b_enc: r([D_SAE], 0.2, -0.1),
        W_dec: r([D_SAE, D_IN], 0.3),
        b_dec: r([D_IN], 0.2),
        threshold: { data: Array.from({ length: D_SAE }, () => rand() * 0.6), shape: [D_SAE] },
      };
    case 'GatedAutoEncoder':
      return {
        decoder_bias: r([D_IN], 0.2),
        'encoder.weight': enc,
        r_mag: r([D_SAE], 0.3),
        gate_bias: r([D_SAE], 0.3),
        mag_bias: r([D_SAE], 0.2),
        'decoder.weight': dec,
      };
  }
}

function assertClose(got: ArrayLike<number>, want: readonly number[], what: string, tol = 1e-4): void {
  assert.equal(got.length, want.length, what);
  for (let i = 0; i < want.length; i++) {
    const g = got[i] ?? NaN;
    const w = want[i] ?? NaN;
    assert.ok(Math.abs(g - w) <= tol * Math.max(1, Math.abs(w)), `${what}[${i}]: ${g} vs ${w}`);
  }
}

/** Check loadSae's latents and reconstruction against the class's own forward pass. */
function checkAgainstDirect(dir: string, cls: DictClass, raw: Record<string, Vec>, k: number): void {
  const sae = loadSae(dir);
  const { dIn, dSae } = sae.config;
  const x = randomNormal(seededRandom(99), T * dIn, 1.2, 0.1);
  const a = encodeSae(sae, x, T);
  const xHat = reconstruct(sae, a, x, T);
  const ref = direct(cls, raw, k);
  let fired = 0;
  for (let t = 0; t < T; t++) {
    const xt = [...x.subarray(t * dIn, (t + 1) * dIn)];
    const f = ref.encode(xt);
    fired += f.filter((v) => v > 0).length;
    assertClose(a.subarray(t * dSae, (t + 1) * dSae), f, `${cls} latents, token ${t}`);
    assertClose(xHat.subarray(t * dIn, (t + 1) * dIn), ref.decode(f), `${cls} reconstruction, token ${t}`);
  }
  assert.ok(fired > 0, `${cls}: some latents fire, so the comparison means something`);
}

describe('dictionary_learning: every dict class encodes and decodes as its own forward pass', () => {
  const classes: DictClass[] = [
    'AutoEncoder',
    'AutoEncoderNew',
    'AutoEncoderTopK',
    'BatchTopKSAE',
    'MatryoshkaBatchTopKSAE',
    'JumpReluAutoEncoder',
    'GatedAutoEncoder',
  ];
  classes.forEach((cls, i) => {
    test(cls, () => {
      const tensors = classTensors(cls, 10 + i);
      const dir = writeFolder(config({ dict_class: cls, ...(cls.includes('TopK') ? { k: 4 } : {}) }), tensors);
      const raw = Object.fromEntries(Object.entries(tensors).map(([k, t]) => [k, Float32Array.from(t.data)]));
      checkAgainstDirect(dir, cls, raw, 4);
      const sae = loadSae(dir);
      assert.equal(sae.source.format, 'dictionary_learning');
      assert.equal(sae.config.hookName, 'blocks.3.hook_resid_post');
      assert.equal(sae.config.modelName, 'pythia-70m-deduped');
      assert.equal(sae.config.contextSize, 128);
      if (cls === 'AutoEncoderTopK') assert.equal(sae.config.k, 4);
    });
  });
});

describe('dictionary_learning fixtures (written by torch.save)', () => {
  for (const [name, cls] of [
    ['rw-dictlearn-relu-gpt2-l2post', 'AutoEncoder'],
    ['rw-dictlearn-topk-gpt2-l1post', 'AutoEncoderTopK'],
  ] as const) {
    test(name, () => {
      const caseDir = path.join(realworld, name);
      const expected = JSON.parse(fs.readFileSync(path.join(caseDir, 'expected.json'), 'utf8')) as { hook: string; architecture: string };
      const cfg = JSON.parse(fs.readFileSync(path.join(caseDir, 'sae', 'config.json'), 'utf8')) as {
        trainer: { k?: number; activation_dim: number; dict_size: number };
      };
      const sae = loadSae(path.join(caseDir, 'sae'));
      assert.equal(sae.config.architecture, expected.architecture);
      assert.equal(sae.config.hookName, expected.hook);
      assert.equal(sae.source.dtype, 'F32');
      if (cls === 'AutoEncoderTopK') assert.equal(sae.config.k, cfg.trainer.k);
      const sd = readTorchStateDict(path.join(caseDir, 'sae', 'ae.pt'));
      const raw = Object.fromEntries([...sd.entries.keys()].map((k) => [k, sd.tensor(k).data]));
      assert.deepEqual([sae.config.dIn, sae.config.dSae], [cfg.trainer.activation_dim, cfg.trainer.dict_size]);
      checkAgainstDirectDims(path.join(caseDir, 'sae'), cls, raw, cfg.trainer.k ?? 0, sae.config.dIn, sae.config.dSae);
    });
  }
});

/** As checkAgainstDirect, for the fixtures' own sizes. */
function checkAgainstDirectDims(dir: string, cls: DictClass, raw: Record<string, Vec>, k: number, dIn: number, dSae: number): void {
  const sae = loadSae(dir);
  const x = randomNormal(seededRandom(7), T * dIn, 3, 0.2);
  const a = encodeSae(sae, x, T);
  const b = (name: string): Vec => raw[name] ?? new Float32Array(0);
  for (let t = 0; t < T; t++) {
    const xt = [...x.subarray(t * dIn, (t + 1) * dIn)];
    const bDec = cls === 'AutoEncoder' ? b('bias') : b('b_dec');
    let f = linear(b('encoder.weight'), dSae, dIn, sub(xt, bDec), b('encoder.bias')).map(relu);
    if (cls === 'AutoEncoderTopK') f = keepTopK(f, k);
    assertClose(a.subarray(t * dSae, (t + 1) * dSae), f, `${cls} latents, token ${t}`);
  }
}

describe('dictionary_learning config.json', () => {
  const F = '/s/config.json';
  const parse = (trainer: Record<string, unknown>, buffer?: Record<string, unknown>): ReturnType<typeof parseDictLearningCfg> =>
    parseDictLearningCfg(config(trainer, buffer), F);

  test('the hook comes from submodule_name, else from layer as SAELens derives it', () => {
    assert.equal(parse({ dict_class: 'AutoEncoder' }).hookName, 'blocks.3.hook_resid_post');
    assert.equal(parse({ submodule_name: 'mlp_out_layer_3' }).hookName, 'blocks.3.hook_mlp_out');
    assert.equal(parse({ submodule_name: 'attn_out_layer_3' }).hookName, 'blocks.3.hook_attn_out');
    assert.equal(parse({ submodule_name: undefined, layer: 5 }).hookName, 'blocks.5.hook_resid_post');
    assert.equal(parse({ submodule_name: 'embed' }).hookName, undefined, 'an unknown submodule names no hook');
    assert.equal(parse({}, { io: 'in' }).hookName, undefined, "a module's input is not a hook we can name");
  });

  test('refuses transcoders, contradicting layers, unknown classes and bad dims, naming the field', () => {
    expectError(() => parse({}, { io: 'in_and_out' }), F, /buffer\.io is in_and_out: this is a transcoder/);
    expectError(() => parse({ layer: 4 }), F, /submodule_name resid_post_layer_3 says layer 3 but trainer\.layer is 4/);
    expectError(() => parse({ dict_class: 'CrossCoder' }), F, /trainer\.dict_class "CrossCoder" is not supported/);
    expectError(() => parse({ dict_size: 0 }), F, /trainer\.dict_size must be a positive integer/);
    expectError(() => parseDictLearningCfg({ buffer: {} }, F), F, /trainer is missing/);
  });

  test("refuses a k that disagrees with ae.pt's k buffer", () => {
    const dir = writeFolder(config({ dict_class: 'AutoEncoderTopK', k: 5 }), classTensors('AutoEncoderTopK', 3));
    expectError(() => loadSae(dir), path.join(dir, 'config.json'), /trainer\.k is 5 but .*ae\.pt holds k = 4/);
  });

  test('refuses tensors whose shape disagrees with activation_dim / dict_size', () => {
    const dir = writeFolder(config({ dict_class: 'AutoEncoder', dict_size: D_SAE * 2 }), classTensors('AutoEncoder', 4));
    expectError(
      () => loadSae(dir),
      path.join(dir, 'ae.pt'),
      /tensor encoder\.weight has shape \[24, 8\] but config\.json says trainer\.dict_size=48/,
    );
  });
});

describe('a malicious ae.pt is refused, never run', () => {
  test("Python's os.system payload as data.pkl", () => {
    // pickle.dumps(obj, protocol=2) for an object whose __reduce__ is (os.system, ('echo pwned',)).
    const payload = Buffer.from('\x80\x02cposix\nsystem\nq\x00X\n\x00\x00\x00echo pwnedq\x01\x85q\x02Rq\x03.', 'latin1');
    const dir = writeFolder(config({ dict_class: 'AutoEncoder' }), {}, payload);
    expectError(
      () => loadSae(dir),
      path.join(dir, 'ae.pt'),
      /pickle ae\/data\.pkl: names the Python global posix\.system, which is not on the allow-list/,
    );
  });

  test('a state_dict whose value is built by builtins eval', () => {
    const payload = Buffer.from('\x80\x02}q\x00X\x01\x00\x00\x00wc__builtin__\neval\nX\x03\x00\x00\x001+1\x85Rs.', 'latin1');
    const dir = writeFolder(config({ dict_class: 'AutoEncoder' }), {}, payload);
    expectError(() => loadSae(path.join(dir, 'ae.pt')), path.join(dir, 'ae.pt'), /global __builtin__\.eval/);
  });
});
