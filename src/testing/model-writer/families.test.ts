import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type ort from 'onnxruntime-node';
import { cpuSession, maxAbsDiff, runModel, withHookOutputs } from './ort-harness.ts';
import { referenceForward } from './reference.ts';
import { hookNames, residualHookNames, type ModelFamily, type NormStyle } from './spec.ts';
import { writeModelFolder, type WrittenModel } from './write-model.ts';

// "Hello, world" as bytes: token id = UTF-8 byte
const PROMPT = [72, 101, 108, 108, 111, 44, 32, 119, 111, 114, 108, 100];
const TOL = 1e-3;

let root: string;
before(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'writer-families-'));
});
after(() => fs.rmSync(root, { recursive: true, force: true }));

const FAMILIES: ModelFamily[] = ['gpt2', 'llama', 'gemma'];
const NORMS: NormStyle[] = ['decomposed', 'op', 'fused'];

for (const family of FAMILIES) {
  for (const norm of NORMS) {
    for (const withPast of [true, false]) {
      describe(`${family} ${norm} ${withPast ? 'with past' : 'no past'}`, () => {
        let m: WrittenModel;
        let sess: ort.InferenceSession;
        before(async () => {
          const dir = path.join(root, `${family}-${norm}-${withPast}`);
          // odd sizes on purpose: 3 layers, GQA 4:2 (llama) / 4:1 (gemma), unembedding both ways
          m = writeModelFolder(dir, {
            family,
            norm,
            withPast,
            d: 32,
            layers: 3,
            heads: 4,
            kvHeads: family === 'gemma' ? 1 : undefined,
            seed: 7 + NORMS.indexOf(norm),
            unembed: withPast ? 'transposed-initializer' : 'transpose-node',
          });
          sess = await cpuSession(m.modelFile);
        });

        test('logits match the reference forward pass', async () => {
          const ref = referenceForward(m.weights, m.spec, PROMPT);
          const out = await runModel(sess, m.spec, { ids: [PROMPT] });
          assert.ok(maxAbsDiff(out.logits, ref.logits) <= TOL, `max diff ${maxAbsDiff(out.logits, ref.logits)}`);
          // non-degenerate: logits spread, and not every position predicts the same token
          const V = m.spec.vocab;
          const argmax = PROMPT.map((_, t) => {
            const row = ref.logits.subarray(t * V, (t + 1) * V);
            return row.indexOf(Math.max(...row));
          });
          assert.ok(new Set(argmax).size > 1, `argmax ${argmax}`);
          const spread = Math.max(...ref.logits) - Math.min(...ref.logits);
          assert.ok(spread > 2 && spread < 200, `logit spread ${spread}`);
        });

        test('ORT with graph optimizations on agrees too', async () => {
          const opt = await cpuSession(m.modelFile, true);
          const ref = referenceForward(m.weights, m.spec, PROMPT);
          const out = await runModel(opt, m.spec, { ids: [PROMPT] });
          assert.ok(maxAbsDiff(out.logits, ref.logits) <= TOL);
        });

        test('hookTensors hold the reference hook values', async () => {
          assert.deepEqual(Object.keys(m.hookTensors).sort(), hookNames(m.spec).sort());
          const copy = withHookOutputs(m.modelFile, m.hookSites);
          const s2 = await cpuSession(copy.file);
          const out = await runModel(s2, m.spec, { ids: [PROMPT] });
          const ref = referenceForward(m.weights, m.spec, PROMPT);
          for (const hook of hookNames(m.spec)) {
            const got = Float32Array.from(out.outputs[copy.outputs.get(hook)!]!.data as Float32Array);
            // a bias folded into a fused norm (ORT's SkipLayerNormalization input 4) completes the value
            const fb = m.hookSites[hook]!.foldedBias;
            if (fb) {
              const bias = m.weights.get(fb.bias)!.data;
              got.forEach((v, i) => (got[i] = v + bias[i % bias.length]!));
            }
            const want = ref.hooks.get(hook)!;
            assert.ok(maxAbsDiff(got, want) <= TOL, `${hook}: max diff ${maxAbsDiff(got, want)}`);
          }
          // consecutive hooks differ (the map is not pointing several hooks at one tensor by mistake)
          const tensors = residualHookNames(m.spec.layers).filter((h) => !h.endsWith('pre') || h === 'blocks.0.hook_resid_pre');
          assert.equal(new Set(tensors.map((h) => m.hookTensors[h])).size, tensors.length);
        });

        test('hook sites name their producers', () => {
          for (const L of [0, 1, 2]) {
            const mid = m.hookSites[`blocks.${L}.hook_resid_mid`]!;
            const post = m.hookSites[`blocks.${L}.hook_resid_post`]!;
            assert.equal(m.hookTensors[`blocks.${L + 1}.hook_resid_pre`] ?? post.tensor, post.tensor);
            if (norm === 'fused') {
              assert.match(mid.op, /^Skip(Simplified)?LayerNormalization$/);
              assert.equal(mid.output, 3);
              assert.equal(post.output, 3);
            } else {
              assert.equal(mid.op, 'Add');
              const scope = family === 'gpt2' ? `/transformer/h.${L}` : `/model/layers.${L}`;
              assert.equal(mid.node, `${scope}/Add`);
              assert.equal(post.node, `${scope}/Add_1`);
            }
          }
        });

        if (withPast) {
          test('KV cache: prompt then more tokens with past = one run over all tokens', async () => {
            const full = await runModel(sess, m.spec, { ids: [PROMPT] });
            const V = m.spec.vocab;
            // 8 tokens, then 3 with past (queries offset by the past length), then 1
            const a = await runModel(sess, m.spec, { ids: [PROMPT.slice(0, 8)] });
            assert.deepEqual(a.present['present.0.key']!.dims, [1, m.spec.kvHeads, 8, m.spec.headDim]);
            const b = await runModel(sess, m.spec, { ids: [PROMPT.slice(8, 11)], past: a.present });
            const c = await runModel(sess, m.spec, { ids: [PROMPT.slice(11)], past: b.present });
            assert.deepEqual(c.present['present.0.value']!.dims, [1, m.spec.kvHeads, PROMPT.length, m.spec.headDim]);
            assert.ok(maxAbsDiff(b.logits, full.logits.subarray(8 * V, 11 * V)) <= 1e-4);
            assert.ok(maxAbsDiff(c.logits, full.logits.subarray(11 * V)) <= 1e-4);
          });
        }
      });
    }
  }
}
