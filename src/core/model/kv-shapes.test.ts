/**
 * KV caches whose head count or head size the export leaves symbolic: an onnxruntime-genai
 * shaped GroupQueryAttention model (no position_ids, `kv_cache_dim`), and a writer model
 * whose past/present dims were made symbolic. The runner sizes the empty past from the graph
 * (or config.json), and generation with the cache equals a plain forward pass at every step.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import ort from 'onnxruntime-node';
import { generate } from './generate.ts';
import { gqaReference, gqaWeights, writeGqaModel, type GqaSpec } from '#testing/model/gqa-test-model.ts';
import { emptyPastShapes } from './kv-shapes.ts';
import { encodeModel, readModel } from './onnx/proto.ts';
import { ModelRunner } from './runner.ts';
import { logSoftmax } from './sampling.ts';
import { writeModelFolder } from '#testing/model-writer/index.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kv-shapes-'));
const runners: ModelRunner[] = [];
after(async () => {
  for (const r of runners) await r.release();
  fs.rmSync(tmp, { recursive: true, force: true });
});

async function open(file: string, config: Record<string, unknown> = {}): Promise<ModelRunner> {
  const r = await ModelRunner.create(file, ['cpu'], { config });
  runners.push(r);
  return r;
}

const PROMPT = [3, 14, 15, 9, 2, 6];

/** Generates greedily with the cache and checks every step against `reference(prefix)` logits of the last position. */
async function assertGenerationMatches(
  runner: ModelRunner,
  reference: (ids: readonly number[]) => Float64Array,
  vocab: number,
): Promise<void> {
  const res = await generate(runner, { promptIds: PROMPT, maxNewTokens: 6 });
  assert.equal(res.ids.length, 6);
  const seq = [...PROMPT];
  res.ids.forEach((id, i) => {
    const all = reference(seq);
    const last = Float32Array.from(all.subarray((seq.length - 1) * vocab, seq.length * vocab));
    const lp = logSoftmax(last);
    const best = lp.indexOf(Math.max(...lp));
    assert.equal(id, best, `step ${i}: generated ${id}, reference argmax ${best}`);
    assert.ok(Math.abs(res.logprobs[i]! - lp[id]!) < 1e-4, `step ${i}: logprob ${res.logprobs[i]} vs ${lp[id]}`);
    seq.push(id);
  });
  // not a degenerate model: it does not repeat one token
  assert.ok(new Set(res.ids).size > 1, `ids ${res.ids}`);
}

describe('onnxruntime-genai style GroupQueryAttention model', () => {
  const spec: GqaSpec = { vocab: 40, d: 32, heads: 4, kvHeads: 2, headDim: 8, layers: 2 };
  const w = gqaWeights(spec, 11);

  test('a zero-width empty past is refused by GroupQueryAttention (what the symbolic dim used to become)', async () => {
    const file = writeGqaModel(path.join(tmp, 'refuse'), spec, w);
    const s = await ort.InferenceSession.create(file, { executionProviders: ['cpu'], logSeverityLevel: 4 });
    const feeds: Record<string, ort.Tensor> = {
      input_ids: new ort.Tensor('int64', BigInt64Array.from([1n, 2n]), [1, 2]),
      attention_mask: new ort.Tensor('int64', BigInt64Array.from([1n, 1n]), [1, 2]),
    };
    for (let L = 0; L < spec.layers; L++)
      for (const kv of ['key', 'value']) feeds[`past_key_values.${L}.${kv}`] = new ort.Tensor('float32', new Float32Array(0), [1, 2, 0, 0]);
    await assert.rejects(s.run(feeds));
    await s.release();
  });

  for (const [symbolicHeads, packedQkv] of [
    [false, false],
    [true, false],
    [true, true],
  ]) {
    test(`head size ${symbolicHeads ? 'and head count ' : ''}symbolic${packedQkv ? ', packed QKV' : ''}, no config.json: sized from the graph; logits and cached generation match the reference`, async () => {
      const file = writeGqaModel(path.join(tmp, `gqa-${symbolicHeads}-${packedQkv}`), { ...spec, symbolicHeads, packedQkv }, w);
      const runner = await open(file);
      const meta = runner.session.inputMetadata.find((m) => m.name === 'past_key_values.0.key');
      assert.ok(meta?.isTensor);
      assert.equal(typeof meta.shape[3], 'string', 'the export really declares the head size symbolic');
      assert.equal(typeof meta.shape[1], symbolicHeads ? 'string' : 'number');
      assert.deepEqual([...runner.session.inputNames].sort(), ['attention_mask', 'input_ids', ...runner.pastInputs].sort());
      const { outputs, present } = await runner.forward({ ids: [PROMPT] });
      assert.deepEqual(present?.get('present.1.value')?.dims, [1, spec.kvHeads, PROMPT.length, spec.headDim]);
      const ref = gqaReference(spec, w, PROMPT);
      const got = outputs['logits']!.data as Float32Array;
      let worst = 0;
      for (let i = 0; i < ref.length; i++) worst = Math.max(worst, Math.abs(got[i]! - ref[i]!));
      assert.ok(worst < 1e-4, `max logit difference ${worst}`);
      await assertGenerationMatches(runner, (ids) => gqaReference(spec, w, ids), spec.vocab);
    });
  }
});

test('GroupQueryAttention refuses several rows of several tokens after a past: the runner runs them one by one, same logits', async () => {
  const spec: GqaSpec = { vocab: 40, d: 32, heads: 4, kvHeads: 2, headDim: 8, layers: 2 };
  const w = gqaWeights(spec, 12);
  const runner = await open(writeGqaModel(path.join(tmp, 'rows'), spec, w));
  const rows = [
    [1, 2, 3, 4, 5, 6, 7],
    [8, 9, 10, 11, 12, 13, 14],
    [30, 2, 17, 5, 9, 1, 0],
  ];
  // a clean prefix of 3 as Engine.logits runs it: prefix batched, then the rest after its cache
  const prefix = await runner.forward({ ids: rows.map((r) => r.slice(0, 3)) });
  const rest = await runner.forward({ ids: rows.map((r) => r.slice(3)), start: 3, past: prefix.present! });
  const logits = rest.outputs['logits']!;
  assert.deepEqual(logits.dims, [3, 4, spec.vocab]);
  assert.deepEqual(rest.present?.get('present.0.key')?.dims, [3, spec.kvHeads, 7, spec.headDim]);
  rows.forEach((r, b) => {
    const ref = gqaReference(spec, w, r).subarray(3 * spec.vocab);
    const got = (logits.data as Float32Array).subarray(b * 4 * spec.vocab, (b + 1) * 4 * spec.vocab);
    const worst = ref.reduce((m, x, i) => Math.max(m, Math.abs(got[i]! - x)), 0);
    assert.ok(worst < 1e-4, `row ${b}: max logit difference ${worst}`);
  });
});

test('a writer model with symbolic past/present head dims and no config: sized from the keys concatenated onto the past', async () => {
  const m = writeModelFolder(path.join(tmp, 'llama'), { family: 'llama', layers: 2, heads: 4, kvHeads: 2, d: 32, seed: 3 });
  const plain = await open(m.modelFile);
  const edited = path.join(tmp, 'llama-symbolic.onnx');
  const { model } = readModel(m.modelFile);
  for (const v of [...(model.graph!.input ?? []), ...(model.graph!.output ?? [])]) {
    if (!/^(past_key_values|present)\./.test(v.name ?? '')) continue;
    const dims = v.type!.tensorType!.shape!.dim!;
    dims[1] = { dimParam: 'num_kv_heads' };
    dims[3] = { dimParam: 'head_dim' };
  }
  fs.writeFileSync(edited, encodeModel(model));
  const runner = await open(edited);
  const meta = runner.session.inputMetadata.find((x) => x.name === 'past_key_values.1.value');
  assert.ok(meta?.isTensor);
  assert.deepEqual(meta.shape, ['batch_size', 'num_kv_heads', 'past_sequence_length', 'head_dim']);
  const V = m.spec.vocab;
  // the reference: the same weights with fixed dims, run without a cache over the whole sequence
  const noCache = async (ids: readonly number[]): Promise<Float64Array> =>
    Float64Array.from((await plain.forward({ ids: [ids] })).outputs['logits']!.data as Float32Array);
  const refs = new Map<string, Float64Array>();
  const seq = [...PROMPT];
  for (let i = 0; i <= 6; i++) {
    refs.set(seq.join(','), await noCache(seq));
    const last = refs.get(seq.join(','))!.subarray((seq.length - 1) * V);
    seq.push(last.indexOf(Math.max(...last)));
  }
  await assertGenerationMatches(runner, (ids) => refs.get(ids.join(','))!, V);
});

describe('emptyPastShapes without a readable graph', () => {
  const past = [
    { name: 'past_key_values.0.key', type: 'float16', shape: ['batch_size', 'num_kv', 'past_sequence_length', 'kv_cache_dim'] },
  ];
  const present = [{ name: 'present.0.key', type: 'float16', shape: ['batch_size', 'num_kv', 'total_sequence_length', 'kv_cache_dim'] }];

  test('config.json fixes the dims: num_key_value_heads and head_dim, or hidden_size / num_attention_heads', () => {
    const a = emptyPastShapes(
      'm.onnx',
      past,
      present,
      { num_key_value_heads: 2, head_dim: 256, hidden_size: 2304, num_attention_heads: 8 },
      () => undefined,
    );
    assert.deepEqual(a.get('past_key_values.0.key'), { type: 'float16', dims: [-1, 2, 0, 256] });
    const b = emptyPastShapes('m.onnx', past, present, { hidden_size: 64, num_attention_heads: 4 }, () => undefined);
    assert.deepEqual(b.get('past_key_values.0.key')?.dims, [-1, 4, 0, 16]);
  });

  test('a fixed present dim is used; nothing to go on is one clear error naming the input, the dim and the config keys', () => {
    const fixed = [{ ...present[0]!, shape: ['batch_size', 3, 'total_sequence_length', 'kv_cache_dim'] }];
    assert.throws(
      () => emptyPastShapes('m.onnx', past, fixed, {}, () => undefined),
      /^ModelFileError: m\.onnx: past input past_key_values\.0\.key \[batch_size, num_kv, past_sequence_length, kv_cache_dim\] leaves dim 3 \("kv_cache_dim", the head size\) symbolic.*add head_dim/,
    );
    const ok = emptyPastShapes('m.onnx', past, fixed, { head_dim: 8 }, () => undefined);
    assert.deepEqual(ok.get('past_key_values.0.key')?.dims, [-1, 3, 0, 8]);
  });
});
