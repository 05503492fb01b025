import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';

import { referenceCases } from '#testing/fixtures.ts';
import { SaeFileError } from './errors.ts';
import { loadSae } from './load.ts';
import { encodeNpy } from './npz.ts';
import { encodeSae, reconstruct } from '#testing/sae/reference.ts';
import type { TensorToWrite } from './safetensors.ts';
import {
  randomNormal,
  saeLensCfg,
  seededRandom,
  syntheticSaeTensors,
  writeGemmaScopeNpz,
  writeSaeLensFolder,
  writeSparsifyFolder,
} from '#testing/sae/synthetic.ts';
import type { Sae, SaeArchitecture } from './types.ts';
import { encodeZip } from './zip.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sae-load-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));
let n = 0;
/** A new path under the temp dir; its parent folder exists. */
const fresh = (name: string): string => {
  const p = path.join(tmp, `${n++}`, name);
  fs.mkdirSync(path.dirname(p), { recursive: true });
  return p;
};

function expectFileError(fn: () => unknown, file: string, pattern: RegExp): SaeFileError {
  let caught: SaeFileError | undefined;
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof SaeFileError, `expected SaeFileError, got ${String(err)}`);
    assert.equal(err.file, file);
    assert.ok(err.message.startsWith(`${file}: `), err.message);
    assert.match(err.message, pattern);
    caught = err;
    return true;
  });
  return caught!;
}

function assertTensorsEqual(sae: Sae, tensors: Record<string, TensorToWrite>, names: readonly string[]): void {
  const params = sae.params as unknown as Record<string, { data: Float32Array; shape: readonly number[] } | undefined>;
  for (const name of names) {
    const got = params[name];
    const want = tensors[name];
    assert.ok(got && want, name);
    assert.deepEqual(got.shape, want.shape, name);
    assert.deepEqual(got.data, want.data, name);
  }
}

/** A token batch with a few large and negative values, so every architecture has work to do. */
function inputs(dIn: number, nTokens: number, seed = 11): Float32Array {
  return randomNormal(seededRandom(seed), dIn * nTokens, 1.5, 0.2);
}

describe('reference fixtures (made by PyTorch)', () => {
  const cases = referenceCases();
  test('there are reference cases to load', () => assert.ok(cases.length >= 2));
  for (const c of cases) {
    test(`${c.name}: loads with the expected format, architecture, hook and shapes`, () => {
      const sae = loadSae(c.saeDir);
      // The switch layout is SAELens-like on disk; we report it as its own format.
      const format = c.expected.architecture === 'switch' ? 'switch' : c.expected.sae_format;
      assert.equal(sae.source.format, format);
      assert.equal(sae.source.dtype, 'F32');
      assert.equal(sae.config.architecture, c.expected.architecture);
      assert.equal(sae.config.hookName, c.expected.hook);
      const { dIn, dSae } = sae.config;
      assert.deepEqual(sae.params.W_enc.shape, [dIn, dSae]);
      assert.deepEqual(sae.params.W_dec.shape, [dSae, dIn]);
      assert.deepEqual(sae.params.b_dec.shape, [dIn]);
      assert.equal(sae.params.W_enc.data.length, dIn * dSae);
      for (const row of c.expected.latents) for (const [f] of row) assert.ok(f >= 0 && f < dSae);
      const cfgFile = path.join(c.saeDir, 'cfg.json');
      if (fs.existsSync(cfgFile)) {
        const cfg = JSON.parse(fs.readFileSync(cfgFile, 'utf8')) as Record<string, unknown>;
        assert.equal(dIn, cfg['d_in']);
        assert.equal(dSae, cfg['d_sae']);
        assert.equal(sae.config.prependBos, cfg['prepend_bos']);
        if (cfg['k'] !== undefined) assert.equal(sae.config.k, cfg['k']);
        if (cfg['n_experts'] !== undefined) assert.equal(sae.config.nExperts, cfg['n_experts']);
      } else {
        assert.equal(sae.config.applyBDecToInput, false); // Gemma Scope
      }
      if (sae.config.k !== undefined) for (const l0 of c.expected.l0) assert.ok(l0 <= sae.config.k);
      // The encoder produces latents of the right size and at most k nonzero per token for topk.
      const a = encodeSae(sae, inputs(dIn, 3), 3);
      assert.equal(a.length, 3 * dSae);
    });
  }
});

describe('SAELens round trips', () => {
  const archs: SaeArchitecture[] = ['standard', 'topk', 'jumprelu', 'gated'];
  const names: Record<string, string[]> = {
    standard: ['W_enc', 'W_dec', 'b_enc', 'b_dec'],
    topk: ['W_enc', 'W_dec', 'b_enc', 'b_dec'],
    jumprelu: ['W_enc', 'W_dec', 'b_enc', 'b_dec', 'threshold'],
    gated: ['W_enc', 'W_dec', 'b_dec', 'b_gate', 'r_mag', 'b_mag'],
  };
  for (const layout of ['flat', 'v6'] as const) {
    for (const arch of archs) {
      test(`${layout} ${arch}`, () => {
        const dir = fresh('sae');
        const tensors = syntheticSaeTensors({ architecture: arch, dIn: 6, dSae: 20, seed: 5 });
        const k = arch === 'topk' ? 3 : undefined;
        const cfg = saeLensCfg({ architecture: arch, dIn: 6, dSae: 20, k, hookName: 'blocks.2.hook_resid_pre', layout, normalize: 'layer_norm' });
        writeSaeLensFolder(dir, cfg, tensors);
        const sae = loadSae(dir);
        assert.equal(sae.source.format, 'saelens');
        assert.equal(sae.source.path, dir);
        assert.equal(sae.source.weightsFile, path.join(dir, 'sae_weights.safetensors'));
        assert.equal(sae.config.architecture, arch);
        assert.equal(sae.config.hookName, 'blocks.2.hook_resid_pre');
        assert.equal(sae.config.normalize, 'layer_norm');
        assert.equal(sae.config.k, k);
        assertTensorsEqual(sae, tensors, names[arch]!);
        if (arch === 'gated') assert.equal(sae.params.b_enc, undefined);
        // Also loadable by naming a file inside the folder; the hook option overrides the cfg.
        const again = loadSae(path.join(dir, 'cfg.json'), { hook: 'blocks.0.hook_resid_post' });
        assert.equal(again.config.hookName, 'blocks.0.hook_resid_post');
      });
    }
  }

  test('jumprelu with log_threshold is exponentiated', () => {
    const dir = fresh('sae');
    const t = syntheticSaeTensors({ architecture: 'jumprelu', dIn: 4, dSae: 8 });
    const threshold = t['threshold']!;
    const { threshold: _drop, ...rest } = t;
    writeSaeLensFolder(dir, saeLensCfg({ architecture: 'jumprelu', dIn: 4, dSae: 8, hookName: 'blocks.0.hook_resid_pre' }), {
      ...rest,
      log_threshold: { data: threshold.data.map(Math.log), shape: [8] },
    });
    const got = loadSae(dir).params.threshold!.data;
    got.forEach((v, i) => assert.ok(Math.abs(v - threshold.data[i]!) < 1e-6 * threshold.data[i]!));
  });

  test('old finetuning scaling factor is folded into W_dec rows; refused when the cfg disowns it', () => {
    const dir = fresh('sae');
    const t = syntheticSaeTensors({ architecture: 'standard', dIn: 3, dSae: 4 });
    const s = new Float32Array([1, 2, 0.5, 3]);
    const cfg = saeLensCfg({ architecture: 'standard', dIn: 3, dSae: 4, hookName: 'blocks.0.hook_resid_pre', extra: { finetuning_scaling_factor: true } });
    writeSaeLensFolder(dir, cfg, { ...t, scaling_factor: { data: s, shape: [4] } });
    const w = loadSae(dir).params.W_dec.data;
    for (let i = 0; i < 4; i++) for (let j = 0; j < 3; j++) assert.equal(w[i * 3 + j], Math.fround(t['W_dec']!.data[i * 3 + j]! * s[i]!));

    writeSaeLensFolder(dir, { ...cfg, finetuning_scaling_factor: false }, { ...t, scaling_factor: { data: s, shape: [4] } });
    expectFileError(() => loadSae(dir), path.join(dir, 'sae_weights.safetensors'), /scaling_factor is not all ones/);
  });

  test('F16 and BF16 weights equal the F32 ones within rounding', () => {
    const t = syntheticSaeTensors({ architecture: 'jumprelu', dIn: 8, dSae: 24, seed: 9 });
    const cfg = saeLensCfg({ architecture: 'jumprelu', dIn: 8, dSae: 24, hookName: 'blocks.1.hook_resid_post' });
    const load = (dtype: 'F32' | 'F16' | 'BF16'): Sae => {
      const dir = fresh(dtype);
      writeSaeLensFolder(dir, cfg, t, dtype);
      return loadSae(dir);
    };
    const f32 = load('F32');
    for (const [dtype, rel] of [
      ['F16', 2 ** -11],
      ['BF16', 2 ** -8],
    ] as const) {
      const half = load(dtype);
      assert.equal(half.source.dtype, dtype);
      for (const name of ['W_enc', 'W_dec', 'b_enc', 'b_dec', 'threshold'] as const) {
        const a = f32.params[name]!.data;
        const b = half.params[name]!.data;
        assert.equal(a.length, b.length);
        let worst = 0;
        a.forEach((v, i) => {
          worst = Math.max(worst, Math.abs(v - b[i]!) / Math.abs(v));
          assert.ok(Math.abs(v - b[i]!) <= Math.abs(v) * rel, `${dtype} ${name}[${i}] ${b[i]} vs ${v}`);
        });
        assert.ok(worst > 0, `${dtype} ${name} should actually be rounded`);
      }
    }
  });
});

describe('rescale_acts_by_decoder_norm (TopK) is folded at load time', () => {
  const dIn = 6;
  const dSae = 24;
  const k = 4;
  const nTok = 5;
  const t = syntheticSaeTensors({ architecture: 'topk', dIn, dSae, seed: 21 });
  // Decoder rows with very different norms, so rescaling changes which latents win.
  const rand = seededRandom(4);
  const norms = Array.from({ length: dSae }, () => 0.05 + 3 * rand());
  const wDec = t['W_dec']!.data;
  for (let i = 0; i < dSae; i++) for (let j = 0; j < dIn; j++) wDec[i * dIn + j] = wDec[i * dIn + j]! * norms[i]!;

  /** SAELens TopKSAE.encode / decode with the flag, written out directly on the unfolded weights. */
  function saeLensFormula(x: Float32Array): { a: Float64Array; xHat: Float64Array } {
    const wEnc = t['W_enc']!.data;
    const bEnc = t['b_enc']!.data;
    const bDec = t['b_dec']!.data;
    const nrm = Array.from({ length: dSae }, (_, i) => Math.hypot(...wDec.subarray(i * dIn, (i + 1) * dIn)));
    const a = new Float64Array(nTok * dSae);
    const xHat = new Float64Array(nTok * dIn);
    for (let tok = 0; tok < nTok; tok++) {
      const hidden = Array.from({ length: dSae }, (_, j) => {
        let s = bEnc[j]!;
        for (let i = 0; i < dIn; i++) s += (x[tok * dIn + i]! - bDec[i]!) * wEnc[i * dSae + j]!;
        return s * nrm[j]!; // hidden_pre * W_dec.norm(dim=-1)
      });
      const top = hidden.map((v, j) => [v, j] as const).sort((p, q) => q[0] - p[0]).slice(0, k);
      for (const [v, j] of top) a[tok * dSae + j] = Math.max(0, v);
      for (let i = 0; i < dIn; i++) {
        let s = bDec[i]!;
        for (let j = 0; j < dSae; j++) s += (a[tok * dSae + j]! / nrm[j]!) * wDec[j * dIn + i]!; // (a / norm) @ W_dec
        xHat[tok * dIn + i] = s;
      }
    }
    return { a, xHat };
  }

  const write = (flag: boolean, layout: 'flat' | 'v6'): Sae => {
    const dir = fresh('sae');
    const cfg = saeLensCfg({ architecture: 'topk', dIn, dSae, k, hookName: 'blocks.0.hook_resid_post', layout, extra: { rescale_acts_by_decoder_norm: flag } });
    writeSaeLensFolder(dir, cfg, t);
    return loadSae(dir);
  };

  for (const layout of ['flat', 'v6'] as const) {
    test(`${layout}: latents and reconstruction equal SAELens' formula`, () => {
      const sae = write(true, layout);
      assert.equal(sae.config.architecture, 'topk');
      // Folded decoder rows are unit norm.
      for (let i = 0; i < dSae; i++) assert.ok(Math.abs(Math.hypot(...sae.params.W_dec.data.subarray(i * dIn, (i + 1) * dIn)) - 1) < 1e-5);
      const x = inputs(dIn, nTok);
      const want = saeLensFormula(x);
      const a = encodeSae(sae, x, nTok);
      const xHat = reconstruct(sae, a, x, nTok);
      let nonzero = 0;
      a.forEach((v, i) => {
        if (v !== 0) nonzero++;
        assert.ok(Math.abs(v - want.a[i]!) <= 1e-4 * (1 + Math.abs(want.a[i]!)), `a[${i}] ${v} vs ${want.a[i]}`);
      });
      assert.ok(nonzero > 0);
      xHat.forEach((v, i) => assert.ok(Math.abs(v - want.xHat[i]!) <= 1e-4 * (1 + Math.abs(want.xHat[i]!)), `x_hat[${i}] ${v} vs ${want.xHat[i]}`));
    });
  }

  test('without the flag the same weights select different latents (so the fold matters)', () => {
    const x = inputs(dIn, nTok);
    const plain = encodeSae(write(false, 'flat'), x, nTok);
    const want = saeLensFormula(x).a;
    const active = (arr: ArrayLike<number>): string => Array.from(arr, (v) => (v > 0 ? 1 : 0)).join('');
    assert.notEqual(active(plain), active(want));
  });
});

describe('sparsify', () => {
  const dIn = 6;
  const dSae = 24;
  const t = syntheticSaeTensors({ architecture: 'topk', dIn, dSae, seed: 13 });

  test('encoder.weight is transposed, hook comes from the layers.L folder, encodes like the SAELens form', () => {
    const dir = fresh(path.join('EleutherAI-sae-x', 'layers.4'));
    writeSparsifyFolder(dir, t, 5);
    const sae = loadSae(dir);
    assert.equal(sae.source.format, 'sparsify');
    assert.equal(sae.source.weightsFile, path.join(dir, 'sae.safetensors'));
    assert.equal(sae.config.hookName, 'blocks.4.hook_resid_post');
    assert.equal(sae.config.k, 5);
    assert.equal(sae.config.applyBDecToInput, true);
    assertTensorsEqual(sae, t, ['W_enc', 'W_dec', 'b_enc', 'b_dec']);

    const ref = fresh('saelens');
    writeSaeLensFolder(ref, saeLensCfg({ architecture: 'topk', dIn, dSae, k: 5, hookName: 'x' }), t);
    const x = inputs(dIn, 4);
    assert.deepEqual(encodeSae(sae, x, 4), encodeSae(loadSae(ref), x, 4));
  });

  test('hook: .mlp folders, unknown folders, and the hook option', () => {
    const mlp = fresh('layers.2.mlp');
    writeSparsifyFolder(mlp, t, 2);
    assert.equal(loadSae(mlp).config.hookName, 'blocks.2.hook_mlp_out');
    const plain = fresh('my-sae');
    writeSparsifyFolder(plain, t, 2);
    assert.equal(loadSae(plain).config.hookName, undefined);
    assert.equal(loadSae(plain, { hook: 'blocks.9.hook_resid_pre' }).config.hookName, 'blocks.9.hook_resid_pre');
  });

  test('skip connections are refused naming cfg.json', () => {
    const dir = fresh('layers.1');
    writeSparsifyFolder(dir, t, 2, { skip_connection: true });
    expectFileError(() => loadSae(dir), path.join(dir, 'cfg.json'), /skip_connection is true/);
  });

  test('a multi-layer repo folder points at its SAE subfolders', () => {
    const root = fresh('repo');
    writeSparsifyFolder(path.join(root, 'layers.0'), t, 2);
    writeSparsifyFolder(path.join(root, 'layers.1'), t, 2);
    expectFileError(() => loadSae(root), root, /no SAE found: looked for .*pick one: layers\.0, layers\.1/);
  });
});

describe('Gemma Scope params.npz', () => {
  const t = syntheticSaeTensors({ architecture: 'jumprelu', dIn: 6, dSae: 16, seed: 17 });
  for (const [deflate, zip64] of [
    [false, true], // np.savez
    [true, false], // np.savez_compressed style
    [false, false],
  ] as const) {
    test(`${deflate ? 'deflated' : 'stored'}${zip64 ? ' with zip64 records' : ''}: folder or file, hook from layer_L`, () => {
      const file = fresh(path.join('gemma-scope-2b-pt-res', 'layer_12', 'width_16k', 'average_l0_41', 'params.npz'));
      writeGemmaScopeNpz(file, t, { deflate, zip64 });
      for (const p of [file, path.dirname(file)]) {
        const sae = loadSae(p);
        assert.equal(sae.source.format, 'gemmascope');
        assert.equal(sae.source.weightsFile, file);
        assert.equal(sae.source.dtype, 'F32');
        assert.equal(sae.config.architecture, 'jumprelu');
        assert.equal(sae.config.applyBDecToInput, false);
        assert.equal(sae.config.dIn, 6);
        assert.equal(sae.config.dSae, 16);
        assert.equal(sae.config.hookName, 'blocks.12.hook_resid_post');
        assertTensorsEqual(sae, t, ['W_enc', 'W_dec', 'b_enc', 'b_dec', 'threshold']);
      }
    });
  }

  test('mlp release and no layer segment; hook option', () => {
    const mlp = fresh(path.join('models--google--gemma-scope-2b-pt-mlp', 'snapshots', 'abc', 'layer_3', 'width_16k', 'x', 'params.npz'));
    writeGemmaScopeNpz(mlp, t, { deflate: false });
    assert.equal(loadSae(mlp).config.hookName, 'blocks.3.hook_mlp_out');
    const bare = fresh('params.npz');
    writeGemmaScopeNpz(bare, t, { deflate: true });
    assert.equal(loadSae(bare).config.hookName, undefined);
    assert.equal(loadSae(bare, { hook: 'blocks.1.hook_resid_post' }).config.hookName, 'blocks.1.hook_resid_post');
  });

  test('shapes are checked against W_enc', () => {
    const file = fresh('params.npz');
    writeGemmaScopeNpz(file, { ...t, threshold: { data: new Float32Array(15), shape: [15] } }, { deflate: false });
    expectFileError(
      () => loadSae(file),
      file,
      /^.*: tensor threshold has shape \[15\] but W_enc's shape \[6, 16\] says d_sae=16 → expected \[16\]$/,
    );
  });

  test('corrupt archive, bad npy header and fortran order name the file (and entry)', () => {
    const garbage = fresh('params.npz');
    fs.writeFileSync(garbage, Buffer.from('definitely not a zip file'));
    expectFileError(() => loadSae(garbage), garbage, /not a zip archive/);

    const good = (name: string): { name: string; data: Buffer } => ({
      name: `${name}.npy`,
      data: encodeNpy(t[name]!.data, t[name]!.shape),
    });
    const badHeader = fresh('params.npz');
    const w = encodeNpy(t['W_dec']!.data, t['W_dec']!.shape);
    fs.writeFileSync(
      badHeader,
      encodeZip([good('W_enc'), { name: 'W_dec.npy', data: Buffer.from(w.toString('latin1').replace("'descr'", "'dscr' "), 'latin1') }, good('b_enc'), good('b_dec'), good('threshold')], { deflate: true }),
    );
    expectFileError(() => loadSae(badHeader), badHeader, /entry W_dec\.npy: bad \.npy header/);

    const fortran = fresh('params.npz');
    const e = encodeNpy(t['W_enc']!.data, t['W_enc']!.shape);
    fs.writeFileSync(
      fortran,
      encodeZip([{ name: 'W_enc.npy', data: Buffer.from(e.toString('latin1').replace('False', 'True '), 'latin1') }, good('W_dec')], { deflate: false }),
    );
    expectFileError(() => loadSae(fortran), fortran, /entry W_enc\.npy: array is stored in Fortran \(column-major\) order/);
  });
});

describe('switch SAE', () => {
  const dIn = 6;
  const dSae = 24;
  const t = syntheticSaeTensors({ architecture: 'switch', dIn, dSae, nExperts: 4, seed: 23 });
  const cfg = saeLensCfg({ architecture: 'switch', dIn, dSae, k: 3, nExperts: 4, hookName: 'blocks.1.hook_resid_post' });

  test('round trip', () => {
    const dir = fresh('switch');
    writeSaeLensFolder(dir, cfg, t);
    const sae = loadSae(dir);
    assert.equal(sae.source.format, 'switch');
    assert.equal(sae.config.architecture, 'switch');
    assert.equal(sae.config.nExperts, 4);
    assert.equal(sae.config.k, 3);
    assertTensorsEqual(sae, t, ['W_enc', 'W_dec', 'b_dec', 'W_router', 'b_router']);
  });

  test('d_sae not divisible by n_experts', () => {
    const dir = fresh('switch');
    writeSaeLensFolder(dir, { ...cfg, n_experts: 5 }, t);
    expectFileError(() => loadSae(dir), path.join(dir, 'cfg.json'), /d_sae=24 is not divisible by n_experts=5/);
  });

  test('W_router shape is checked against n_experts', () => {
    const dir = fresh('switch');
    writeSaeLensFolder(dir, { ...cfg, n_experts: 6 }, t);
    expectFileError(
      () => loadSae(dir),
      path.join(dir, 'sae_weights.safetensors'),
      /tensor W_router has shape \[6, 4\] but cfg.json says d_in=6, n_experts=6 → expected \[6, 6\]/,
    );
  });
});

describe('bad inputs give a SaeFileError naming the file and the problem', () => {
  const t = syntheticSaeTensors({ architecture: 'standard', dIn: 64, dSae: 128 });

  test('tensor shape disagrees with cfg', () => {
    const dir = fresh('sae');
    writeSaeLensFolder(dir, saeLensCfg({ architecture: 'standard', dIn: 64, dSae: 256, hookName: 'blocks.0.hook_resid_pre' }), t);
    const file = path.join(dir, 'sae_weights.safetensors');
    const err = expectFileError(() => loadSae(dir), file, /tensor W_enc/);
    assert.equal(err.message, `${file}: tensor W_enc has shape [64, 128] but cfg.json says d_in=64, d_sae=256 → expected [64, 256]`);
    assert.equal(err.tensor, 'W_enc');
  });

  test('unknown architecture', () => {
    const dir = fresh('sae');
    writeSaeLensFolder(dir, saeLensCfg({ architecture: 'crosscoder', dIn: 64, dSae: 128, hookName: 'h' }), t);
    expectFileError(() => loadSae(dir), path.join(dir, 'cfg.json'), /unknown SAE architecture "crosscoder" \(known: standard, topk, jumprelu, gated/);
  });

  test('missing tensor', () => {
    const dir = fresh('sae');
    const { b_enc: _drop, ...rest } = t;
    writeSaeLensFolder(dir, saeLensCfg({ architecture: 'standard', dIn: 64, dSae: 128, hookName: 'h' }), rest);
    expectFileError(() => loadSae(dir), path.join(dir, 'sae_weights.safetensors'), /tensor b_enc is missing \(architecture standard needs it; the file holds: W_enc, W_dec, b_dec\)/);
  });

  test('NaN and Inf in weights', () => {
    for (const bad of [NaN, Infinity]) {
      const dir = fresh('sae');
      const wDec = Float32Array.from(t['W_dec']!.data);
      wDec[77] = bad;
      writeSaeLensFolder(dir, saeLensCfg({ architecture: 'standard', dIn: 64, dSae: 128, hookName: 'h' }), { ...t, W_dec: { data: wDec, shape: [128, 64] } });
      expectFileError(() => loadSae(dir), path.join(dir, 'sae_weights.safetensors'), new RegExp(`tensor W_dec holds ${bad} at flat index 77`));
    }
  });

  test('truncated safetensors', () => {
    const dir = fresh('sae');
    writeSaeLensFolder(dir, saeLensCfg({ architecture: 'standard', dIn: 64, dSae: 128, hookName: 'h' }), t);
    const file = path.join(dir, 'sae_weights.safetensors');
    const raw = fs.readFileSync(file);
    fs.writeFileSync(file, raw.subarray(0, raw.length - 100));
    expectFileError(() => loadSae(dir), file, /data_offsets \[\d+, \d+\] out of range/);
    fs.writeFileSync(file, raw.subarray(0, 100));
    expectFileError(() => loadSae(dir), file, /header length \d+ goes beyond the end of the file/);
    fs.writeFileSync(file, raw.subarray(0, 5));
    expectFileError(() => loadSae(dir), file, /shorter than the 8-byte header length/);
  });

  test('a folder with none of the files lists what was looked for', () => {
    const dir = fresh('empty');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'README.md'), 'hello');
    expectFileError(
      () => loadSae(dir),
      dir,
      /no SAE found: looked for cfg\.json \+ sae_weights\.safetensors \(SAELens, switch\), cfg\.json \+ sae\.safetensors \(sparsify\), params\.npz \(Gemma Scope\), hyperparams\.json \+ checkpoints\/final\.safetensors \(Llama Scope\), or config\.json \+ ae\.pt \(dictionary_learning\)$/,
    );
  });

  test('cfg.json without weights, a missing path, an unrelated file', () => {
    const dir = fresh('cfgonly');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'cfg.json'), '{}');
    expectFileError(() => loadSae(dir), dir, /has cfg\.json but neither sae_weights\.safetensors \(SAELens\) nor sae\.safetensors \(sparsify\)/);
    const missing = path.join(tmp, 'does-not-exist');
    expectFileError(() => loadSae(missing), missing, /no such file or folder/);
    const other = path.join(dir, 'model.onnx');
    fs.writeFileSync(other, 'x');
    expectFileError(() => loadSae(other), other, /not an SAE file/);
  });
});
