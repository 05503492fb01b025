/**
 * float16 models end to end: weights, activations, KV cache and logits in float16. The
 * logits are decoded from their bits (not taken as float32), generation with and without a
 * KV cache picks the same tokens as the float32 model of the same weights, and the
 * log-probabilities agree to float16 precision.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { saeLensCfg, syntheticSaeTensors, writeSaeLensFolder } from '#testing/sae/synthetic.ts';
import { Engine } from './engine.ts';
import { writeFp16Copy } from '#testing/model/fp16-test-model.ts';
import { generate } from './generate.ts';
import { ModelRunner } from './runner.ts';
import { floatData } from './tensor-data.ts';
import { writeModelFolder, type ModelFamily, type NormStyle, type WrittenModel } from '#testing/model-writer/index.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fp16-'));
const cleanup: (() => Promise<void>)[] = [];
after(async () => {
  for (const c of cleanup) await c();
  fs.rmSync(tmp, { recursive: true, force: true });
});

const PROMPT = [...Buffer.from('Hello, fp16!')];

/** A writer model folder and a copy of it whose model.onnx is float16. */
function pair(family: ModelFamily, norm: NormStyle, withPast: boolean): { f32: WrittenModel; f16Dir: string } {
  const name = `${family}-${norm}-${withPast}`;
  const f32 = writeModelFolder(path.join(tmp, name), { family, norm, withPast, seed: 4 });
  const f16Dir = path.join(tmp, `${name}-f16`);
  fs.mkdirSync(f16Dir);
  for (const f of fs.readdirSync(path.dirname(f32.modelFile)))
    if (f !== 'model.onnx') fs.copyFileSync(path.join(path.dirname(f32.modelFile), f), path.join(f16Dir, f));
  writeFp16Copy(f32.modelFile, path.join(f16Dir, 'model.onnx'));
  return { f32, f16Dir };
}

async function runner(file: string): Promise<ModelRunner> {
  const r = await ModelRunner.create(file, ['cpu']);
  cleanup.push(() => r.release());
  return r;
}

/** max |a − b| over max |b| − min |b|: 0 for equal logits, ≥ 1 for unrelated ones. */
function relativeError(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length);
  let worst = 0;
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < a.length; i++) {
    worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
    lo = Math.min(lo, b[i]!);
    hi = Math.max(hi, b[i]!);
  }
  return worst / (hi - lo);
}

describe('float16 models through the runner and the generation loop', () => {
  for (const [family, norm, withPast] of [
    ['gpt2', 'decomposed', true],
    ['llama', 'op', true],
    ['llama', 'fused', false],
  ] as const) {
    test(`${family} ${norm} ${withPast ? 'kv' : 'no-kv'}`, async () => {
      const { f32, f16Dir } = pair(family, norm, withPast);
      const a = await runner(f32.modelFile);
      const b = await runner(path.join(f16Dir, 'model.onnx'));
      assert.equal(b.hasCache, withPast);
      const la = (await a.forward({ ids: [PROMPT] })).outputs['logits']!;
      const lb = (await b.forward({ ids: [PROMPT] })).outputs['logits']!;
      assert.equal(lb.type, 'float16', 'the model really returns float16 logits');
      const err = relativeError(floatData(lb), floatData(la));
      assert.ok(err < 0.01, `float16 logits differ from float32 by ${err} of their range`);
      const ga = await generate(a, { promptIds: PROMPT, maxNewTokens: 8 });
      const gb = await generate(b, { promptIds: PROMPT, maxNewTokens: 8 });
      assert.deepEqual(gb.ids, ga.ids);
      gb.logprobs.forEach((lp, i) => {
        assert.ok(Number.isFinite(lp) && lp <= 0, `step ${i}: logprob ${lp}`);
        assert.ok(Math.abs(lp - ga.logprobs[i]!) < 0.02, `step ${i}: ${lp} vs ${ga.logprobs[i]}`);
      });
      assert.ok(new Set(ga.ids).size > 1, `a degenerate model repeats one token: ${ga.ids}`);
    });
  }
});

test('Engine on a float16 model: logits as float32 and generation, as with the float32 model', async () => {
  const { f32, f16Dir } = pair('llama', 'decomposed', true);
  const hook = 'blocks.1.hook_resid_post';
  const sae = path.join(tmp, 'sae');
  writeSaeLensFolder(
    sae,
    saeLensCfg({ architecture: 'standard', dIn: 64, dSae: 96, hookName: hook, extra: { prepend_bos: false } }),
    syntheticSaeTensors({ architecture: 'standard', dIn: 64, dSae: 96, seed: 2 }),
  );
  const open = async (dir: string): Promise<Engine> => {
    const e = await Engine.open({ model: dir, sae, hook, cacheDir: path.join(tmp, 'cache'), provider: 'cpu' });
    cleanup.push(() => e.close());
    return e;
  };
  const e32 = await open(path.dirname(f32.modelFile));
  const e16 = await open(f16Dir);
  const rows = [PROMPT.slice(0, 6), PROMPT.slice(6, 12)];
  const l32 = await e32.logits(rows, 'base');
  const l16 = await e16.logits(rows, 'base');
  assert.equal(l16.data.constructor, Float32Array);
  assert.deepEqual([l16.batch, l16.length, l16.vocab], [2, 6, f32.spec.vocab]);
  assert.ok(relativeError(l16.data, l32.data) < 0.01);
  const g32 = await e32.generate(PROMPT, { maxNewTokens: 6 });
  const g16 = await e16.generate(PROMPT, { maxNewTokens: 6 });
  assert.deepEqual(g16.ids, g32.ids);
  assert.equal(g16.text, g32.text);
});
