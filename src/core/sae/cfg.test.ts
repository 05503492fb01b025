import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';

import { parseSaeLensCfg, parseSparsifyCfg, readCfgJson } from './cfg.ts';
import { SaeFileError } from './errors.ts';
import { saeLensCfg } from '#testing/sae/synthetic.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sae-cfg-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));
const F = '/some/sae/cfg.json';

function expectCfgError(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof SaeFileError, `expected SaeFileError, got ${String(err)}`);
    assert.equal(err.file, F);
    assert.ok(err.message.startsWith(`${F}: `), err.message);
    assert.match(err.message, pattern);
    return true;
  });
}

describe('SAELens cfg', () => {
  test('flat (≤ v5) and v6 layouts give the same config', () => {
    const spec = { architecture: 'topk', dIn: 16, dSae: 64, k: 5, hookName: 'blocks.3.hook_resid_mid', modelName: 'm' };
    const flat = parseSaeLensCfg(saeLensCfg({ ...spec, layout: 'flat' }), F);
    const v6 = parseSaeLensCfg(saeLensCfg({ ...spec, layout: 'v6' }), F);
    assert.deepEqual(flat.config, v6.config);
    assert.deepEqual(flat.config, {
      architecture: 'topk',
      dIn: 16,
      dSae: 64,
      k: 5,
      hookName: 'blocks.3.hook_resid_mid',
      applyBDecToInput: true,
      normalize: 'none',
      prependBos: true,
      modelName: 'm',
      contextSize: 128,
      cfgDtype: 'float32',
    });
  });

  test('v6 metadata wins over stale top-level fields; prepend_bos false is kept', () => {
    const raw = {
      architecture: 'jumprelu',
      d_in: 8,
      d_sae: 32,
      hook_name: 'blocks.0.hook_resid_pre',
      metadata: { hook_name: 'blocks.5.hook_resid_post', prepend_bos: false, model_name: 'gemma-2-2b', context_size: 1024 },
    };
    const c = parseSaeLensCfg(raw, F).config;
    assert.equal(c.hookName, 'blocks.5.hook_resid_post');
    assert.equal(c.prependBos, false);
    assert.equal(c.modelName, 'gemma-2-2b');
    assert.equal(c.contextSize, 1024);
  });

  test('old names: hook_point, activation_fn_str topk on a standard SAE, k only in activation_fn_kwargs', () => {
    const raw = {
      d_in: 8,
      d_sae: 32,
      hook_point: 'blocks.1.hook_resid_pre',
      activation_fn_str: 'topk',
      activation_fn_kwargs: { k: 7 },
      dtype: 'torch.bfloat16',
    };
    const c = parseSaeLensCfg(raw, F).config;
    assert.equal(c.architecture, 'topk');
    assert.equal(c.k, 7);
    assert.equal(c.hookName, 'blocks.1.hook_resid_pre');
    assert.equal(c.cfgDtype, 'bfloat16');
    assert.equal(c.prependBos, true); // pre-6 default
    assert.equal(c.applyBDecToInput, true);
  });

  test('architectures: batchtopk loads as jumprelu, gated, standard relu', () => {
    const base = { d_in: 8, d_sae: 32, hook_name: 'blocks.0.hook_resid_pre' };
    assert.equal(parseSaeLensCfg({ ...base, architecture: 'batchtopk', k: 4 }, F).config.architecture, 'jumprelu');
    assert.equal(parseSaeLensCfg({ ...base, architecture: 'gated' }, F).config.architecture, 'gated');
    assert.equal(parseSaeLensCfg({ ...base, architecture: 'standard' }, F).config.architecture, 'standard');
    assert.equal(parseSaeLensCfg({ ...base, architecture: 'standard' }, F).config.k, undefined);
  });

  test('normalize_activations in all its historical spellings', () => {
    const base = { architecture: 'standard', d_in: 8, d_sae: 32 };
    const norm = (v: unknown): string => parseSaeLensCfg({ ...base, normalize_activations: v }, F).config.normalize;
    assert.equal(norm(false), 'none');
    assert.equal(norm(null), 'none');
    assert.equal(norm('none'), 'none');
    assert.equal(norm(true), 'none'); // old SAELens: true meant expected_average_only_in
    assert.equal(norm('expected_average_only_in'), 'none');
    assert.equal(norm('constant_norm_rescale'), 'constant_norm_rescale');
    assert.equal(norm('layer_norm'), 'layer_norm');
    expectCfgError(() => norm('batch_norm'), /normalize_activations "batch_norm" is not supported/);
  });

  test('rescale_acts_by_decoder_norm is reported for topk only', () => {
    const base = { d_in: 8, d_sae: 32, k: 2, rescale_acts_by_decoder_norm: true };
    assert.equal(parseSaeLensCfg({ ...base, architecture: 'topk' }, F).rescaleActsByDecoderNorm, true);
    assert.equal(parseSaeLensCfg({ ...base, architecture: 'standard' }, F).rescaleActsByDecoderNorm, false);
    assert.equal(parseSaeLensCfg({ ...base, architecture: 'topk', rescale_acts_by_decoder_norm: false }, F).rescaleActsByDecoderNorm, false);
  });

  test('unknown architecture names the value and lists the known ones', () => {
    expectCfgError(
      () => parseSaeLensCfg({ architecture: 'matching_pursuit', d_in: 8, d_sae: 32 }, F),
      /unknown SAE architecture "matching_pursuit" \(known: standard, topk, jumprelu, gated, batchtopk, matryoshka_batchtopk, switch\)/,
    );
  });

  test('bad fields are named', () => {
    expectCfgError(() => parseSaeLensCfg({ architecture: 'standard', d_sae: 32 }, F), /d_in must be a positive integer, got undefined/);
    expectCfgError(() => parseSaeLensCfg({ architecture: 'standard', d_in: 8, d_sae: -1 }, F), /d_sae must be a positive integer, got -1/);
    expectCfgError(() => parseSaeLensCfg({ architecture: 'topk', d_in: 8, d_sae: 32 }, F), /k \(or activation_fn_kwargs.k\) must be a positive integer/);
    expectCfgError(() => parseSaeLensCfg({ architecture: 'topk', d_in: 8, d_sae: 32, k: 33 }, F), /k=33 is larger than d_sae=32/);
    expectCfgError(
      () => parseSaeLensCfg({ architecture: 'standard', d_in: 8, d_sae: 32, metadata: { prepend_bos: 'yes' } }, F),
      /metadata.prepend_bos must be true or false, got "yes"/,
    );
    expectCfgError(
      () => parseSaeLensCfg({ architecture: 'standard', activation_fn_str: 'tanh-relu', d_in: 8, d_sae: 32 }, F),
      /activation function "tanh-relu" is not supported/,
    );
  });
});

describe('switch cfg', () => {
  const base = { architecture: 'switch', d_in: 8, d_sae: 32, k: 4, n_experts: 4, hook_name: 'blocks.1.hook_resid_post' };
  test('parses experts and k; b_dec is always subtracted', () => {
    const p = parseSaeLensCfg({ ...base, apply_b_dec_to_input: false }, F);
    assert.equal(p.kind, 'switch');
    assert.equal(p.config.architecture, 'switch');
    assert.equal(p.config.nExperts, 4);
    assert.equal(p.config.k, 4);
    assert.equal(p.config.applyBDecToInput, true);
  });
  test('d_sae not divisible by n_experts', () => {
    expectCfgError(() => parseSaeLensCfg({ ...base, n_experts: 5 }, F), /d_sae=32 is not divisible by n_experts=5/);
  });
  test('n_experts missing', () => {
    expectCfgError(() => parseSaeLensCfg({ ...base, n_experts: undefined }, F), /n_experts must be a positive integer/);
  });
});

describe('sparsify cfg', () => {
  const base = { activation: 'topk', expansion_factor: 4, normalize_decoder: true, num_latents: 0, k: 3, multi_topk: false, skip_connection: false, d_in: 8 };
  test('num_latents 0 → expansion_factor × d_in; explicit num_latents wins', () => {
    const a = parseSparsifyCfg(base, F, 'blocks.2.hook_resid_post').config;
    assert.equal(a.dSae, 32);
    assert.equal(a.architecture, 'topk');
    assert.equal(a.k, 3);
    assert.equal(a.applyBDecToInput, true);
    assert.equal(a.hookName, 'blocks.2.hook_resid_post');
    assert.equal(parseSparsifyCfg({ ...base, num_latents: 48 }, F, undefined).config.dSae, 48);
  });
  test('refuses skip connections, transcoders, groupmax, signed', () => {
    expectCfgError(() => parseSparsifyCfg({ ...base, skip_connection: true }, F, undefined), /skip_connection is true/);
    expectCfgError(() => parseSparsifyCfg({ ...base, transcode: true }, F, undefined), /transcode is true: this is a transcoder/);
    expectCfgError(() => parseSparsifyCfg({ ...base, activation: 'groupmax' }, F, undefined), /activation "groupmax" is not supported/);
    expectCfgError(() => parseSparsifyCfg({ ...base, signed: true }, F, undefined), /signed TopK is not supported/);
  });
});

test('readCfgJson: invalid JSON and non-object', () => {
  const bad = path.join(tmp, 'cfg.json');
  fs.writeFileSync(bad, '{"architecture": "topk",');
  assert.throws(() => readCfgJson(bad), (e: unknown) => e instanceof SaeFileError && e.message.startsWith(`${bad}: config is not valid JSON`));
  fs.writeFileSync(bad, '[1, 2]');
  assert.throws(() => readCfgJson(bad), (e: unknown) => e instanceof SaeFileError && e.message === `${bad}: config is not a JSON object`);
});
