import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { saeLensCfg, writeSaeLensFolder } from '#testing/sae/synthetic.ts';
import { referenceCases, sharedRealworldDir } from '#testing/fixtures.ts';
import { Engine } from './engine.ts';
import { locateHooks } from './onnx/hooks.ts';
import { readModel } from './onnx/proto.ts';
import { pickOnnxFile } from './model-folder.ts';

/**
 * Every hook point of real exports (torch.onnx GPT-2 with Conv1D/Gemm, GPT-NeoX parallel
 * blocks, Gemma-2 with casts and sandwich norms, a transformers.js uint8-embedding Llama)
 * takes the splice in every variant. The SAE is an exact identity (W_enc = [I, −I],
 * W_dec = [I; −I], ReLU: x̂ = ReLU(x) − ReLU(−x) = x), so the SAE-replaced model must give the
 * untouched model's logits, the capture must reconstruct with zero error, and zero
 * ablation must change the logits: a hook spliced at the wrong tensor or reshaped wrongly
 * (hook_z) fails one of these.
 */
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sae-hook-kinds-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const models = ['rw-gpt2-z-l1', 'rw-neox-topk-l1post', 'rw-gemma2-gemmascope-l1post', 'rw-llama-int8emb-standard-l2post'];
const cases = referenceCases([sharedRealworldDir]).filter((c) => models.includes(c.name));

function identitySae(dir: string, d: number, hook: string, extra: Record<string, unknown> = {}): string {
  const wEnc = new Float32Array(d * 2 * d);
  const wDec = new Float32Array(2 * d * d);
  for (let i = 0; i < d; i++) {
    wEnc[i * 2 * d + i] = 1; // W_enc [d, 2d] = [I, −I]
    wEnc[i * 2 * d + d + i] = -1;
    wDec[i * d + i] = 1; // W_dec [2d, d] = [I; −I]
    wDec[(d + i) * d + i] = -1;
  }
  const cfg = saeLensCfg({
    architecture: 'standard',
    dIn: d,
    dSae: 2 * d,
    hookName: hook,
    applyBDecToInput: false,
    extra: { prepend_bos: false, ...extra },
  });
  writeSaeLensFolder(dir, cfg, {
    W_enc: { data: wEnc, shape: [d, 2 * d] },
    W_dec: { data: wDec, shape: [2 * d, d] },
    b_enc: { data: new Float32Array(2 * d), shape: [2 * d] },
    b_dec: { data: new Float32Array(d), shape: [d] },
  });
  return dir;
}

const maxAbsDiff = (a: Float32Array, b: Float32Array): number => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);

describe('every hook kind of real exports takes capture, replace, zero and steer', () => {
  test('the real-world model fixtures are here', () => assert.equal(cases.length, models.length));
  for (const c of cases) {
    const { model } = readModel(pickOnnxFile(c.modelDir));
    const sites = locateHooks(model.graph!);
    const layers = new Set(sites.map((s) => s.layer));
    test(`${c.name}: ${layers.size} blocks, six (or five, parallel) hook kinds each`, () => {
      assert.ok(layers.size >= 2);
      const parallel = /neox/.test(c.name);
      for (const L of layers) {
        const kinds = sites.filter((s) => s.layer === L).map((s) => s.kind);
        const want = [
          'attn.hook_z',
          'hook_attn_out',
          'hook_mlp_out',
          'hook_resid_post',
          'hook_resid_pre',
          ...(parallel ? [] : ['hook_resid_mid']),
        ];
        assert.deepEqual(kinds.sort(), want.sort(), `block ${L}`);
      }
    });
    const d = Number((c.expected as { d_model?: number }).d_model ?? 64);
    for (const kind of ['hook_resid_post', 'hook_attn_out', 'hook_mlp_out', 'attn.hook_z']) {
      const hook = `blocks.1.${kind}`;
      test(`${c.name} ${hook}: identity SAE replaces exactly, zero ablation does not`, async () => {
        const sae = identitySae(path.join(tmp, `${c.name}-${kind}`), d, hook);
        const engine = await Engine.open({ model: c.modelDir, sae, hook, cacheDir: path.join(tmp, 'cache'), provider: 'cpu' });
        try {
          const ids = c.expected.prompt_ids.slice(0, 12);
          const cap = await engine.capture([ids], 4, { reconstruction: true });
          assert.ok(maxAbsDiff(cap.hookInput!, cap.reconstruction!) < 1e-5, 'x̂ = x');
          assert.ok(
            cap.hookInput!.some((v) => v !== 0),
            'the hook holds values',
          );
          const base = await engine.logits([ids], 'base');
          const replaced = await engine.logits([ids], 'replace');
          const zero = await engine.logits([ids], 'zero');
          assert.ok(maxAbsDiff(base.data, replaced.data) < 2e-3, `replace = base (max diff ${maxAbsDiff(base.data, replaced.data)})`);
          assert.ok(maxAbsDiff(base.data, zero.data) > 1e-2, 'zero ablation changes the logits');
          // steering by adding a decoder row changes the continuation's log-probabilities
          const { baseline, steered } = await engine.compare(ids, {
            maxNewTokens: 3,
            interventions: [{ feature: 0, mode: 'add', value: 50 }],
          });
          assert.notDeepEqual(steered.logprobs, baseline.logprobs);
        } finally {
          await engine.close();
        }
      });
    }
  }

  test('a parallel-residual model has no hook_resid_mid, and says why', async () => {
    const c = cases.find((x) => /neox/.test(x.name))!;
    const sae = identitySae(path.join(tmp, 'neox-mid'), 64, 'blocks.1.hook_resid_mid');
    await assert.rejects(
      Engine.open({ model: c.modelDir, sae, cacheDir: path.join(tmp, 'cache'), provider: 'cpu' }),
      /blocks\.1\.hook_resid_mid.*parallel \(x \+ attn\(ln1 x\) \+ mlp\(ln2 x\)\): there is no point between attention and MLP/,
    );
  });
});
