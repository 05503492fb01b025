import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { referenceCases, sharedRealworldDir } from '#testing/fixtures.ts';
import { openModelFolder } from '../model-folder.ts';
import { ModelRunner } from '../runner.ts';
import { fuseTanhGelu, MS_DOMAIN } from './fuse-gelu.ts';
import { encodeModel, readModel, type ModelProto } from './proto.ts';

const [gpt2] = referenceCases();
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fuse-gelu-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const count = (m: ModelProto, op: string): number => (m.graph!.node ?? []).filter((n) => n.opType === op).length;

/** The model's logits for one prompt, run from `model` written beside the original's files. */
async function logits(modelDir: string, model: ModelProto, name: string): Promise<Float32Array> {
  const file = path.join(tmp, name);
  fs.writeFileSync(file, encodeModel(model));
  const runner = await ModelRunner.create(file, ['cpu'], { config: openModelFolder(modelDir).config });
  try {
    const { outputs } = await runner.forward({ ids: [[72, 101, 108, 108, 111, 32, 119, 111, 114, 108, 100, 46]] });
    return outputs['logits']!.data as Float32Array;
  } finally {
    await runner.release();
  }
}

describe('tanh GELU → FastGelu', () => {
  test("fuses each GELU of a torch-exported GPT-2 into one FastGelu; the logits stay the model's", async () => {
    const original = readModel(`${gpt2!.modelDir}/model.onnx`).model;
    const fused = readModel(`${gpt2!.modelDir}/model.onnx`).model;
    assert.equal(fuseTanhGelu(fused.graph!), 4, 'one GELU per block');
    assert.equal(count(fused, 'Tanh'), 0);
    assert.equal(count(fused, 'FastGelu'), 4);
    assert.ok((fused.graph!.node ?? []).filter((n) => n.opType === 'FastGelu').every((n) => n.domain === MS_DOMAIN));
    fused.opsetImport = [...(fused.opsetImport ?? []), { domain: MS_DOMAIN, version: 1 }];
    // the GELUs' inputs and outputs keep their names: every other node reads what it read
    assert.equal(count(fused, 'Mul') + 4 * 6, count(original, 'Mul'), 'the six Muls of each GELU go');

    const a = await logits(gpt2!.modelDir, original, 'original.onnx');
    const b = await logits(gpt2!.modelDir, fused, 'fused.onnx');
    assert.equal(a.length, b.length);
    let scale = 0;
    let diff = 0;
    for (let i = 0; i < a.length; i++) {
      scale = Math.max(scale, Math.abs(a[i]!));
      diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
    }
    assert.ok(scale > 0, 'the model computes nonzero logits');
    assert.ok(diff <= 1e-5 * scale, `logits differ by ${diff} (largest ${scale})`);
  });

  test('leaves a GELU whole when anything else reads one of its intermediates', () => {
    const m = readModel(`${gpt2!.modelDir}/model.onnx`).model;
    const tanh = (m.graph!.node ?? []).find((n) => n.opType === 'Tanh')!;
    m.graph!.output = [...(m.graph!.output ?? []), { name: tanh.output![0]! }];
    assert.equal(fuseTanhGelu(m.graph!), 3, 'the GELU whose tanh is a graph output stays');
    assert.equal(count(m, 'Tanh'), 1);
  });

  test("fuses Gemma-2's GELUs (GeGLU) but not its tanh soft-capping of attention and logits", () => {
    const dir = path.join(sharedRealworldDir, 'rw-gemma2-gemmascope-l1post', 'model');
    const m = readModel(path.join(dir, 'model.onnx')).model;
    const tanhs = count(m, 'Tanh');
    const layers = Number(openModelFolder(dir).config['num_hidden_layers']);
    assert.equal(fuseTanhGelu(m.graph!), layers);
    assert.equal(count(m, 'Tanh'), tanhs - layers, 'the soft-capping tanhs stay');
  });
});
