/** Which files of a repo listing a pull takes, for each SAE format and for ONNX model repos. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AppError } from '#shared/reply.ts';
import { detectKind, externalDataByName, selectFiles, type ListedFile } from './select.ts';

const listing = (...paths: string[]): ListedFile[] => paths.map((p) => ({ path: p, size: 1 }));

test('SAE layouts: SAELens, sparsify and Gemma Scope; extra files are left behind', () => {
  const files = listing(
    'README.md',
    'blocks.8.hook_resid_pre/cfg.json',
    'blocks.8.hook_resid_pre/sae_weights.safetensors',
    'blocks.8.hook_resid_pre/sparsity.safetensors',
    'layers.3/cfg.json',
    'layers.3/sae.safetensors',
    'layer_5/width_16k/average_l0_71/params.npz',
  );
  assert.deepEqual(selectFiles(files, 'blocks.8.hook_resid_pre', 'r').files, [
    'blocks.8.hook_resid_pre/cfg.json',
    'blocks.8.hook_resid_pre/sae_weights.safetensors',
  ]);
  assert.deepEqual(selectFiles(files, 'layers.3', 'r').files, ['layers.3/cfg.json', 'layers.3/sae.safetensors']);
  const gs = selectFiles(files, 'layer_5', 'r');
  assert.deepEqual(gs.files, ['layer_5/width_16k/average_l0_71/params.npz']);
  assert.equal(gs.open, 'layer_5/width_16k/average_l0_71', 'a single SAE below the path is followed');
  assert.equal(selectFiles(files, 'layers.3/sae.safetensors', 'r').open, 'layers.3');
  assert.throws(
    () => selectFiles(files, '', 'r', 'sae'),
    (e: unknown) => e instanceof AppError && /holds 3 SAEs/.test(e.message),
  );
  assert.throws(() => selectFiles(listing('README.md', 'docs/x.txt'), 'docs', 'r'), /neither an ONNX model nor an SAE/);
});

test('models: config and tokenizer files, one ONNX file chosen as the engine would, its external data', () => {
  const repo = listing(
    'config.json',
    'tokenizer.json',
    'tokenizer_config.json',
    'special_tokens_map.json',
    'vocab.json',
    'onnx/decoder_model_merged.onnx',
    'onnx/decoder_model.onnx',
    'onnx/decoder_model.onnx_data',
    'onnx/decoder_with_past_model.onnx',
    'onnx/model_q4.onnx',
    'onnx/model_q4.onnx_data',
  );
  assert.equal(detectKind(repo, ''), 'model');
  const s = selectFiles(repo, '', 'r');
  assert.deepEqual(s.files, [
    'config.json',
    'tokenizer.json',
    'tokenizer_config.json',
    'special_tokens_map.json',
    'onnx/decoder_model.onnx',
    'onnx/decoder_model.onnx_data',
  ]);
  assert.equal(s.open, '');
  const q4 = selectFiles(repo, '', 'r', 'model', 'onnx/model_q4.onnx');
  assert.ok(q4.files.includes('onnx/model_q4.onnx_data') && !q4.files.includes('onnx/decoder_model.onnx'));
  assert.equal(q4.open, 'onnx/model_q4.onnx', 'a chosen file is opened as that file');
  assert.throws(() => selectFiles(repo, '', 'r', 'model', 'onnx/decoder_model_merged.onnx'), /merged decoder/);
  assert.throws(
    () => selectFiles(listing('config.json', 'onnx/decoder_model_merged.onnx', 'tokenizer.json'), '', 'r'),
    /only merged decoders/,
  );
  assert.throws(() => selectFiles(listing('model.onnx'), '', 'r'), /no tokenizer\.json/);
  assert.deepEqual(
    externalDataByName(listing('m/model.onnx', 'm/model.onnx.data', 'm/model.onnx_data_1', 'm/other.onnx_data'), 'm/model.onnx'),
    ['m/model.onnx.data', 'm/model.onnx_data_1'],
  );
});
