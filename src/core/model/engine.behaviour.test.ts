import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { saeLensCfg, syntheticSaeTensors, writeSaeLensFolder } from '#testing/sae/synthetic.ts';
import { referenceCases } from '#testing/fixtures.ts';
import { Engine } from './engine.ts';
import { variantKey } from './variant-cache.ts';
import { writeModelFolder } from '#testing/model-writer/index.ts';
import { loadSae } from '../sae/load.ts';

const ref = referenceCases().find((c) => c.name === 'gpt2-relu-l2pre')!;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sae-engine-behaviour-'));
const cacheDir = path.join(tmp, 'cache');
let engine: Engine;
before(async () => {
  engine = await Engine.open({ model: ref.modelDir, sae: ref.saeDir, cacheDir });
});
after(async () => {
  await engine.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});
const prompt = [...Buffer.from('Once upon a time')];

describe('generation', () => {
  test('the same seed gives the same sample; another seed (very likely) another', async () => {
    const s = { temperature: 1.2, topK: 50, topP: 0.95 };
    const a = await engine.generate(prompt, { maxNewTokens: 16, sampling: { ...s, seed: 1 } });
    const b = await engine.generate(prompt, { maxNewTokens: 16, sampling: { ...s, seed: 1 } });
    const c = await engine.generate(prompt, { maxNewTokens: 16, sampling: { ...s, seed: 2 } });
    assert.deepEqual(a.ids, b.ids);
    assert.deepEqual(a.logprobs, b.logprobs);
    assert.notDeepEqual(a.ids, c.ids);
  });

  test('top-k 1 sampling equals greedy', async () => {
    const greedy = await engine.generate(prompt, { maxNewTokens: 8 });
    const k1 = await engine.generate(prompt, { maxNewTokens: 8, sampling: { temperature: 0.7, topK: 1, seed: 9 } });
    assert.deepEqual(k1.ids, greedy.ids);
  });

  test('tokens stream as they are produced, and a stop id ends generation', async () => {
    const greedy = await engine.generate(prompt, { maxNewTokens: 8 });
    const streamed: number[] = [];
    const stopAt = greedy.ids[3]!;
    const firstStop = greedy.ids.indexOf(stopAt);
    const out = await engine.generate(prompt, { maxNewTokens: 8, stopIds: [stopAt], onToken: (t) => streamed.push(t.id) });
    assert.equal(out.finish, 'stop');
    assert.deepEqual(out.ids, greedy.ids.slice(0, firstStop + 1));
    assert.deepEqual(streamed, out.ids);
  });

  test('cancel stops between tokens and says so', async () => {
    const ctl = new AbortController();
    const out = await engine.generate(prompt, {
      maxNewTokens: 50,
      signal: ctl.signal,
      onToken: (t) => {
        if (t.index === 2) ctl.abort();
      },
    });
    assert.equal(out.finish, 'cancelled');
    assert.equal(out.ids.length, 3);
  });

  test('positions: a clamp on generated tokens only leaves the first token alone', async () => {
    const base = await engine.generate(prompt, { maxNewTokens: 6 });
    const ivs = [{ feature: 5, mode: 'clamp' as const, value: 40, positions: 'generated' as const }];
    const gen = await engine.generate(prompt, { maxNewTokens: 6, interventions: ivs });
    assert.equal(gen.ids[0], base.ids[0], 'the first token is predicted from the prompt alone');
    assert.ok(Math.abs(gen.logprobs[0]! - base.logprobs[0]!) < 1e-6);
    assert.notDeepEqual(gen.ids, base.ids);
    const all = await engine.generate(prompt, { maxNewTokens: 6, interventions: [{ ...ivs[0]!, positions: 'all' }] });
    assert.notEqual(all.logprobs[0], base.logprobs[0]);
  });

  test('scale by 1 and add 0 change nothing', async () => {
    const base = await engine.generate(prompt, { maxNewTokens: 6 });
    const same = await engine.generate(prompt, {
      maxNewTokens: 6,
      interventions: [
        { feature: 5, mode: 'scale', value: 1 },
        { feature: 9, mode: 'add', value: 0 },
      ],
    });
    assert.deepEqual(same.ids, base.ids);
    same.logprobs.forEach((v, i) => assert.ok(Math.abs(v - base.logprobs[i]!) < 1e-4));
  });
});

describe('execution providers and the graph cache', () => {
  test('cpu can be forced; a provider that is not there is a clear error', async () => {
    const cpu = await Engine.open({ model: ref.modelDir, sae: ref.saeDir, cacheDir, provider: 'cpu' });
    assert.deepEqual(cpu.providers, ['cpu']);
    await cpu.close();
    if (process.platform === 'linux' && !fs.existsSync('/usr/lib/x86_64-linux-gnu/libcudart.so.12')) {
      await assert.rejects(Engine.open({ model: ref.modelDir, sae: ref.saeDir, cacheDir, provider: 'cuda' }), /execution provider "cuda" is not available/);
    }
  });

  test('variants are keyed by content: editing the SAE rebuilds, the same inputs reuse', () => {
    const dir = path.join(tmp, 'sae-edit');
    const hook = 'blocks.1.hook_resid_pre';
    const cfg = saeLensCfg({ architecture: 'standard', dIn: 64, dSae: 32, hookName: hook });
    writeSaeLensFolder(dir, cfg, syntheticSaeTensors({ architecture: 'standard', dIn: 64, dSae: 32, seed: 1 }));
    const onnx = path.join(ref.modelDir, 'model.onnx');
    const k1 = variantKey(onnx, loadSae(dir), { kind: 'capture', hook }, cacheDir);
    assert.equal(variantKey(onnx, loadSae(dir), { kind: 'capture', hook }, cacheDir), k1);
    assert.notEqual(variantKey(onnx, loadSae(dir), { kind: 'steer', hook }, cacheDir), k1);
    writeSaeLensFolder(dir, cfg, syntheticSaeTensors({ architecture: 'standard', dIn: 64, dSae: 32, seed: 2 }));
    assert.notEqual(variantKey(onnx, loadSae(dir), { kind: 'capture', hook }, cacheDir), k1);
  });

  test('a model with external data in onnx/ loads, and its variants find the data', async () => {
    const m = writeModelFolder(path.join(tmp, 'ext'), { family: 'llama', externalData: true, onnxSubfolder: true, layers: 2 });
    assert.ok(m.externalDataFile && fs.existsSync(m.externalDataFile));
    const sae = path.join(tmp, 'ext-sae');
    writeSaeLensFolder(
      sae,
      saeLensCfg({ architecture: 'topk', dIn: 64, dSae: 64, k: 4, hookName: 'blocks.1.hook_resid_mid' }),
      syntheticSaeTensors({ architecture: 'topk', dIn: 64, dSae: 64 }),
    );
    const e = await Engine.open({ model: path.join(tmp, 'ext'), sae, cacheDir });
    try {
      assert.equal(e.folder.onnxFile, m.modelFile);
      const toks = await e.encode([1, 2, 3], 4);
      assert.equal(toks.length, 3);
      const out = await e.compare([1, 2, 3], { maxNewTokens: 3, interventions: [{ feature: 0, mode: 'add', value: 50 }] });
      assert.equal(out.steered.ids.length, 3);
    } finally {
      await e.close();
    }
  });
});

describe('closing while a call runs', () => {
  test('a generation in flight finishes on its sessions; calls after the close fail plainly', async () => {
    const own = await Engine.open({ model: ref.modelDir, sae: ref.saeDir, cacheDir });
    const expected = await engine.generate(prompt, { maxNewTokens: 24 });
    let tokens = 0;
    let closing: Promise<void> | undefined;
    const running = own.generate(prompt, {
      maxNewTokens: 24,
      // close as soon as the first token is out: the run must still complete
      onToken: () => {
        if (tokens++ === 0) closing = own.close();
      },
    });
    const result = await running;
    assert.deepEqual(result.ids, expected.ids);
    await closing;
    await assert.rejects(own.generate(prompt, { maxNewTokens: 2 }), /engine was closed/);
    await assert.rejects(own.capture([prompt], 4), /engine was closed/);
  });
});
