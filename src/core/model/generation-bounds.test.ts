/**
 * The generation checks on real runs of the embedded demo (256 positions): past the model's
 * positions and steering values past their bound are refused before any run, and logits
 * that stop being numbers (an overflow let through below the engine) end the generation
 * with a clear error instead of picking token 0 over and over.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { AppError } from '#shared/reply.ts';
import { STEER_VALUE_MAX } from '#shared/steer-bounds.ts';
import { steerFeeds } from './steer-feeds.ts';
import { Engine } from './engine.ts';
import { generate } from './generate.ts';
import { checkFiniteLogits } from './generation-bounds.ts';
import { ModelRunner } from './runner.ts';
import { variantFile } from './variant-cache.ts';

const demo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../resources/demo');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sae-gen-bounds-'));
let engine: Engine;
before(async () => {
  engine = await Engine.open({ model: path.join(demo, 'model'), sae: path.join(demo, 'sae'), cacheDir: tmp, provider: 'cpu' });
});
after(async () => {
  await engine.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

const badRequest = (words: RegExp) => (e: unknown) => e instanceof AppError && e.code === 'bad_request' && words.test(e.message);

test("generation past the model's positions is refused before running, saying what to lower", async () => {
  const ids = engine.tokenize('The cat sat on the mat');
  assert.equal(engine.maxPositions, 256);
  await assert.rejects(
    engine.generate(ids, { maxNewTokens: 257 - ids.length }),
    badRequest(
      new RegExp(
        `the prompt is ${ids.length} tokens and ${257 - ids.length} new tokens would pass the model's 256 positions: lower max new tokens to ${256 - ids.length}`,
      ),
    ),
  );
  await assert.rejects(engine.compare(ids, { maxNewTokens: 512 }), badRequest(/would pass the model's 256 positions/));
  const fits = await engine.generate(ids, { maxNewTokens: 2 });
  assert.equal(fits.ids.length, 2);
});

test('steering values must be finite and within the bound', async () => {
  const ids = engine.tokenize('The cat');
  for (const value of [1e39, -1e308, Number.NaN, STEER_VALUE_MAX * 2]) {
    await assert.rejects(
      engine.generate(ids, { maxNewTokens: 2, interventions: [{ feature: 5, mode: 'clamp', value }] }),
      badRequest(/feature 5: the steering value .* is out of range: it must be a finite number from -1000000 to 1000000/),
    );
  }
});

test('logits that are not numbers end the generation with a clear error (here: add 1e39 fed to the steer graph directly)', async () => {
  const ids = engine.tokenize('The cat');
  const file = variantFile(engine.folder.onnxFile, engine.sae, { kind: 'steer', hook: engine.hook }, tmp).file;
  const runner = await ModelRunner.create(file, ['cpu']);
  try {
    const overflow = [{ feature: 5, mode: 'add' as const, value: 1e39 }];
    await assert.rejects(
      generate(runner, { promptIds: ids, maxNewTokens: 3, extraFeeds: (start, T) => steerFeeds(overflow, ids.length, start, T) }),
      badRequest(
        /the model's logits are not finite numbers at generated token 1 \(logit 0 is NaN\): the steering overflows float32, use smaller values/,
      ),
    );
  } finally {
    await runner.release();
  }
});

test('checkFiniteLogits: NaN and +Infinity are refused, -Infinity (a masked token) is not, all -Infinity is', () => {
  assert.doesNotThrow(() => checkFiniteLogits(Float32Array.of(1, -Infinity, 3), 0, false));
  assert.throws(() => checkFiniteLogits(Float32Array.of(1, Number.NaN), 4, false), badRequest(/at generated token 5 \(logit 1 is NaN\)$/));
  assert.throws(() => checkFiniteLogits(Float32Array.of(Infinity), 0, true), badRequest(/logit 0 is Infinity\): the steering overflows/));
  assert.throws(() => checkFiniteLogits(Float32Array.of(-Infinity, -Infinity), 0, false), badRequest(/every logit is -Infinity/));
});
