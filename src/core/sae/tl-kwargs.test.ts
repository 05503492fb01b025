import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';

import { repoRoot } from '#testing/fixtures.ts';
import { SaeFileError } from './errors.ts';
import { loadSae, type LoadSaeOptions } from './load.ts';
import { describePreprocessing } from './preprocessing.ts';
import { saeLensCfg, syntheticSaeTensors, writeGemmaScopeNpz, writeSaeLensFolder } from '#testing/sae/synthetic.ts';
import { modelKwargsEffect } from './tl-kwargs.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sae-tlkwargs-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));
let n = 0;
const tensors = syntheticSaeTensors({ architecture: 'standard', dIn: 8, dSae: 16, seed: 4 });

/** A SAELens folder at `hook` with these cfg fields (flat, or under v6 metadata). */
function folder(hook: string, fields: Record<string, unknown>, layout: 'flat' | 'v6' = 'flat'): string {
  const dir = path.join(tmp, `${n++}`);
  const cfg = saeLensCfg({ architecture: 'standard', dIn: 8, dSae: 16, hookName: hook, layout });
  const withFields = layout === 'v6' ? { ...cfg, metadata: { ...(cfg['metadata'] as object), ...fields } } : { ...cfg, ...fields };
  writeSaeLensFolder(dir, withFields, tensors);
  return dir;
}

function expectError(fn: () => unknown, file: string, pattern: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof SaeFileError, `expected SaeFileError, got ${String(err)}`);
    assert.equal(err.file, file);
    assert.ok(err.message.startsWith(`${file}: `), err.message);
    assert.match(err.message, pattern);
    return true;
  });
}

const load = (dir: string, opts?: LoadSaeOptions): ReturnType<typeof loadSae> => loadSae(dir, opts);

describe('model_from_pretrained_kwargs in cfg.json', () => {
  test('center_writing_weights=true at a residual hook → centerWritingWeights, flat and v6 alike', () => {
    for (const layout of ['flat', 'v6'] as const) {
      const kwargs = { center_writing_weights: true };
      const c = load(folder('blocks.2.hook_resid_post', { model_from_pretrained_kwargs: kwargs }, layout)).config;
      assert.equal(c.centerWritingWeights, true, layout);
      assert.deepEqual(c.modelFromPretrainedKwargs, kwargs);
      assert.equal(describePreprocessing(c), 'center_writing_weights: mean over d_model subtracted at the hook');
    }
    assert.equal(
      load(folder('blocks.1.hook_mlp_out', { model_from_pretrained_kwargs: { center_writing_weights: true } })).config.centerWritingWeights,
      true,
    );
    assert.equal(
      load(folder('blocks.1.hook_attn_out', { model_from_pretrained_kwargs: { center_writing_weights: true } })).config
        .centerWritingWeights,
      true,
    );
  });

  test('the real TransformerLens-centred fixture parses to centerWritingWeights=true', () => {
    const dir = path.resolve(repoRoot, '../shared/fixtures/reference-realworld/rw-gpt2-tlcentred-standard-l2post/sae');
    const c = loadSae(dir).config;
    assert.equal(c.centerWritingWeights, true);
    assert.equal(c.prependBos, false);
  });

  test('center_writing_weights has no effect at attn.hook_z (before W_O)', () => {
    const c = load(folder('blocks.1.attn.hook_z', { model_from_pretrained_kwargs: { center_writing_weights: true } })).config;
    assert.equal(c.centerWritingWeights, false);
    assert.equal(describePreprocessing(c), 'none');
  });

  test('a kwarg that changes the activations at the hook is refused, naming cfg.json and the kwarg', () => {
    let dir = folder('blocks.1.attn.hook_z', { model_from_pretrained_kwargs: { fold_value_biases: true } }, 'v6');
    expectError(
      () => load(dir),
      path.join(dir, 'cfg.json'),
      /metadata\.model_from_pretrained_kwargs\.fold_value_biases is true: .* changes the activations at hook blocks\.1\.attn\.hook_z/,
    );
    dir = folder('blocks.1.attn.hook_z', { model_from_pretrained_kwargs: { refactor_factored_attn_matrices: true } });
    expectError(() => load(dir), path.join(dir, 'cfg.json'), /^.*: model_from_pretrained_kwargs\.refactor_factored_attn_matrices is true/);
    dir = folder('blocks.1.hook_resid_pre', { model_from_pretrained_kwargs: { checkpoint_value: 1000 } });
    expectError(
      () => load(dir),
      path.join(dir, 'cfg.json'),
      /model_from_pretrained_kwargs\.checkpoint_value \(1000\) is not supported: it may change the model's activations/,
    );
    dir = folder('blocks.1.hook_resid_pre', { model_from_pretrained_kwargs: { center_writing_weights: 'yes' } });
    expectError(() => load(dir), path.join(dir, 'cfg.json'), /model_from_pretrained_kwargs\.center_writing_weights must be true or false/);
    dir = folder('blocks.1.hook_resid_pre', { model_from_pretrained_kwargs: ['center_writing_weights'] });
    expectError(() => load(dir), path.join(dir, 'cfg.json'), /model_from_pretrained_kwargs must be an object/);
  });

  test('the same kwargs are fine where they change nothing; the --hook override is what counts', () => {
    const dir = folder('blocks.1.hook_resid_post', {
      model_from_pretrained_kwargs: {
        fold_value_biases: true,
        fold_ln: true,
        center_unembed: true,
        device: 'cuda',
        n_devices: 2,
        dtype: 'bfloat16',
      },
    });
    assert.equal(load(dir).config.centerWritingWeights, false);
    expectError(() => load(dir, { hook: 'blocks.1.attn.hook_z' }), path.join(dir, 'cfg.json'), /fold_value_biases is true/);
    expectError(() => load(dir, { hook: 'blocks.1.ln2.hook_normalized' }), path.join(dir, 'cfg.json'), /fold_ln is true/);
  });

  test('default_prepend_bos sets prependBos', () => {
    const c = load(
      folder('blocks.0.hook_resid_post', { prepend_bos: true, model_from_pretrained_kwargs: { default_prepend_bos: false } }),
    ).config;
    assert.equal(c.prependBos, false);
  });

  test('modelKwargsEffect on an unknown hook refuses centring it cannot place', () => {
    expectError(
      () => modelKwargsEffect({ center_writing_weights: true }, 'blocks.0.hook_something', '/c.json'),
      '/c.json',
      /hook blocks\.0\.hook_something is not one whose centring we know/,
    );
    assert.deepEqual(modelKwargsEffect({ center_writing_weights: true }, undefined, '/c.json'), { centerWritingWeights: true });
  });
});

describe('catalog facts (opts.release)', () => {
  const release = { modelFromPretrainedKwargs: { center_writing_weights: true }, neuronpediaId: 'gpt2-small/2-res-jb' };

  test('apply when the cfg says nothing; the cfg wins when it does', () => {
    const bare = load(folder('blocks.2.hook_resid_pre', {}), { release }).config;
    assert.equal(bare.centerWritingWeights, true);
    assert.deepEqual(bare.modelFromPretrainedKwargs, release.modelFromPretrainedKwargs);
    assert.equal(bare.neuronpediaId, 'gpt2-small/2-res-jb');

    const own = load(folder('blocks.2.hook_resid_pre', { model_from_pretrained_kwargs: {}, neuronpedia_id: 'gpt2-small/2-res-own' }), {
      release,
    }).config;
    assert.equal(own.centerWritingWeights, false);
    assert.deepEqual(own.modelFromPretrainedKwargs, {});
    assert.equal(own.neuronpediaId, 'gpt2-small/2-res-own');
    const v6 = load(folder('blocks.2.hook_resid_pre', { neuronpedia_id: 'gpt2-small/2-res-v6' }, 'v6')).config;
    assert.equal(v6.neuronpediaId, 'gpt2-small/2-res-v6');
    assert.equal(v6.centerWritingWeights, undefined, 'no kwargs anywhere: nothing to say');
  });

  test('apply to formats without a cfg of their own (Gemma Scope), and refusals name the SAE and the catalog', () => {
    const file = path.join(tmp, `${n++}`, 'layer_3', 'params.npz');
    writeGemmaScopeNpz(file, syntheticSaeTensors({ architecture: 'jumprelu', dIn: 8, dSae: 16, seed: 2 }), { deflate: false });
    assert.equal(load(file, { release }).config.centerWritingWeights, true);
    expectError(
      () => load(file, { hook: 'blocks.3.attn.hook_z', release: { modelFromPretrainedKwargs: { fold_value_biases: true } } }),
      file,
      /the catalog entry's model_from_pretrained_kwargs\.fold_value_biases is true/,
    );
  });
});
