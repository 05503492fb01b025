import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { externalDataOf, externalFiles, onnx, readFloatTensor, readModel } from '../../core/model/onnx/proto.ts';
import { sharedReferenceDir } from '../fixtures.ts';
import { cpuSession, maxAbsDiff, runModel, withHookOutputs } from './ort-harness.ts';
import { referenceForward } from './reference.ts';
import { residualHookNames } from './spec.ts';
import { bytesToUnicode } from './tokenizer.ts';
import { writeModelFolder } from './write-model.ts';

const PROMPT = [84, 104, 101, 32, 99, 97, 116, 46];
let root: string;
before(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'writer-layout-'));
});
after(() => fs.rmSync(root, { recursive: true, force: true }));

async function logitsMatch(m: ReturnType<typeof writeModelFolder>): Promise<void> {
  const sess = await cpuSession(m.modelFile);
  const out = await runModel(sess, m.spec, { ids: [PROMPT] });
  const ref = referenceForward(m.weights, m.spec, PROMPT);
  assert.ok(maxAbsDiff(out.logits, ref.logits) <= 1e-3);
}

describe('folder layouts', () => {
  test('external data: weights in model.onnx_data with location/offset/length, loadable', async () => {
    const dir = path.join(root, 'ext');
    const m = writeModelFolder(dir, { family: 'llama', externalData: true, d: 32 });
    assert.equal(m.externalDataFile, path.join(dir, 'model.onnx_data'));
    const { model, dir: mdir } = readModel(m.modelFile);
    assert.deepEqual(externalFiles(model), ['model.onnx_data']);
    const inits = model.graph?.initializer ?? [];
    const ext = inits.filter((t) => t.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL);
    assert.ok(ext.length > 10);
    for (const t of ext) {
      const e = externalDataOf(t)!;
      assert.ok(e.has('offset') && e.has('length'));
      assert.equal(Number(e.get('offset')) % 64, 0);
    }
    // the stored bytes are the weights
    const emb = ext.find((t) => t.name === 'model.embed_tokens.weight')!;
    assert.deepEqual(readFloatTensor(emb, mdir), m.weights.get('model.embed_tokens.weight')!.data);
    assert.ok(fs.statSync(m.modelFile).size < 64 * 1024, 'model.onnx holds the graph only');
    await logitsMatch(m);
  });

  test('onnx/ subfolder (HF repo layout), with external data beside the model', async () => {
    const dir = path.join(root, 'sub');
    const m = writeModelFolder(dir, { family: 'gpt2', onnxSubfolder: true, externalData: true, d: 32 });
    assert.equal(m.modelFile, path.join(dir, 'onnx', 'model.onnx'));
    assert.ok(fs.existsSync(path.join(dir, 'onnx', 'model.onnx_data')));
    for (const f of ['config.json', 'tokenizer.json', 'tokenizer_config.json']) assert.ok(fs.existsSync(path.join(dir, f)), f);
    await logitsMatch(m);
  });

  test("externalData 'auto' keeps small models in one file", () => {
    const m = writeModelFolder(path.join(root, 'auto'), { family: 'gemma', externalData: 'auto', d: 32 });
    assert.equal(m.externalDataFile, undefined);
    assert.deepEqual(externalFiles(readModel(m.modelFile).model), []);
  });

  test('config.json per family', () => {
    const read = (dir: string): Record<string, unknown> => JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8')) as Record<string, unknown>;
    const g = writeModelFolder(path.join(root, 'cfg-g'), { family: 'gpt2', d: 48, heads: 6, layers: 3, ctx: 64 });
    assert.deepEqual(
      { t: read(path.join(root, 'cfg-g'))['model_type'], e: read(path.join(root, 'cfg-g'))['n_embd'], h: read(path.join(root, 'cfg-g'))['n_head'] },
      { t: 'gpt2', e: 48, h: 6 },
    );
    assert.equal(g.spec.headDim, 8);
    const l = read((writeModelFolder(path.join(root, 'cfg-l'), { family: 'llama', heads: 4, kvHeads: 2 }), path.join(root, 'cfg-l')));
    assert.equal(l['model_type'], 'llama');
    assert.equal(l['num_key_value_heads'], 2);
    assert.equal(l['tie_word_embeddings'], false);
    const gm = read((writeModelFolder(path.join(root, 'cfg-gm'), { family: 'gemma' }), path.join(root, 'cfg-gm')));
    assert.equal(gm['model_type'], 'gemma');
    assert.equal(gm['hidden_act'], 'gelu_pytorch_tanh');
  });
});

describe('tokenizer', () => {
  const fixture = path.join(sharedReferenceDir, 'gpt2-relu-l2pre', 'model');
  test('byte-identical to refgen.py write_tokenizer', { skip: !fs.existsSync(fixture) && 'no shared fixtures' }, () => {
    const dir = path.join(root, 'tok');
    writeModelFolder(dir, { family: 'gpt2', d: 16, heads: 2, layers: 1 });
    for (const f of ['tokenizer.json', 'tokenizer_config.json']) {
      assert.equal(fs.readFileSync(path.join(dir, f), 'utf8'), fs.readFileSync(path.join(fixture, f), 'utf8'), f);
    }
  });

  test('vocab maps every byte to its own id', () => {
    const tok = JSON.parse(fs.readFileSync(path.join(root, 'tok', 'tokenizer.json'), 'utf8')) as { model: { vocab: Record<string, number> } };
    const b2u = bytesToUnicode();
    for (let b = 0; b < 256; b++) assert.equal(tok.model.vocab[b2u.get(b)!], b);
  });
});

describe('graph shapes that hook locators meet', () => {
  test('trimFinalSkipSum: last resid_post is an unnamed output 3; naming it yields the reference value', async () => {
    for (const family of ['gpt2', 'llama'] as const) {
      const m = writeModelFolder(path.join(root, `trim-${family}`), { family, fused: true, trimFinalSkipSum: true, d: 32, layers: 2 });
      const last = 'blocks.1.hook_resid_post';
      assert.equal(m.hookTensors[last], undefined);
      const site = m.hookSites[last]!;
      assert.equal(site.tensor, '');
      assert.equal(site.output, 3);
      assert.match(site.op, /^Skip(Simplified)?LayerNormalization$/);
      const node = readModel(m.modelFile).model.graph!.node!.find((n) => n.name === site.node)!;
      assert.equal(node.output?.length, 1);
      await logitsMatch(m);
      const copy = withHookOutputs(m.modelFile, m.hookSites);
      const out = await runModel(await cpuSession(copy.file), m.spec, { ids: [PROMPT] });
      const ref = referenceForward(m.weights, m.spec, PROMPT);
      for (const h of residualHookNames(2)) {
        assert.ok(maxAbsDiff(out.outputs[copy.outputs.get(h)!]!.data as Float32Array, ref.hooks.get(h)!) <= 1e-3, `${family} ${h}`);
      }
    }
  });

  test('torch-style names (gpt2), genai-style names and domains (fused llama)', () => {
    const g = writeModelFolder(path.join(root, 'names-g'), { family: 'gpt2', d: 32 });
    const gn = readModel(g.modelFile).model.graph!.node!;
    const byName = new Map(gn.map((n) => [n.name, n]));
    assert.equal(byName.get('/transformer/h.0/ln_1/ReduceMean')?.opType, 'ReduceMean');
    assert.equal(byName.get('/transformer/h.1/Add_1')?.output?.[0], '/transformer/h.1/Add_1_output_0');
    assert.equal(byName.get('/transformer/wte/Gather')?.input?.[1], 'input_ids');
    assert.equal(g.hookTensors['blocks.0.hook_resid_pre'], '/transformer/Add_output_0');

    const f = writeModelFolder(path.join(root, 'names-f'), { family: 'gpt2', fused: true, d: 32 });
    assert.equal(f.hookSites['blocks.0.hook_resid_pre']!.op, 'SkipLayerNormalization'); // embeddings sum = Skip output 3
    assert.equal(f.hookTensors['blocks.0.hook_resid_mid'], '/transformer/h.0/Add_output_0');

    const l = writeModelFolder(path.join(root, 'names-l'), { family: 'llama', fused: true, d: 32, layers: 2 });
    const lm = readModel(l.modelFile).model;
    assert.deepEqual(
      (lm.opsetImport ?? []).map((o) => [o.domain, Number(o.version)]),
      [
        ['', 17],
        ['com.microsoft', 1],
      ],
    );
    const ln = new Map(lm.graph!.node!.map((n) => [n.name, n]));
    const first = ln.get('/model/layers.0/input_layernorm/LayerNorm')!;
    assert.deepEqual([first.opType, first.domain], ['SimplifiedLayerNormalization', '']);
    const skip = ln.get('/model/layers.1/input_layernorm/SkipLayerNorm')!;
    assert.deepEqual([skip.opType, skip.domain], ['SkipSimplifiedLayerNormalization', 'com.microsoft']);
    const fin = ln.get('/model/layers.2/final_norm_layernorm/SkipLayerNorm')!;
    assert.equal(ln.get('/lm_head/MatMul')?.input?.[0], fin.output?.[0]);
    assert.equal(l.hookTensors['blocks.0.hook_resid_pre'], '/model/embed_tokens/Gather/output_0');
    assert.equal(l.hookTensors['blocks.1.hook_resid_pre'], '/model/layers.1/input_layernorm/output_3');
    assert.equal(l.hookTensors['blocks.1.hook_resid_post'], '/model/layers.2/final_norm_layernorm/output_3');
  });

  for (const family of ['gpt2', 'llama', 'gemma'] as const) {
    test(`${family}: dynamic batch with left padding matches unpadded runs`, async () => {
      const m = writeModelFolder(path.join(root, `batch-${family}`), { family, d: 32, layers: 2 });
      const sess = await cpuSession(m.modelFile);
      const a = PROMPT.slice(0, 6);
      const b = [0, 0, ...PROMPT.slice(2, 6)];
      // HF-style positions for left padding: cumsum(mask) - 1, pads at 1 (any value: they are masked)
      const out = await runModel(sess, m.spec, {
        ids: [a, b],
        attentionMask: [
          [1, 1, 1, 1, 1, 1],
          [0, 0, 1, 1, 1, 1],
        ],
        positions: [
          [0, 1, 2, 3, 4, 5],
          [1, 1, 0, 1, 2, 3],
        ],
      });
      const V = m.spec.vocab;
      assert.ok(maxAbsDiff(out.logits.subarray(0, 6 * V), referenceForward(m.weights, m.spec, a).logits) <= 1e-3);
      assert.ok(maxAbsDiff(out.logits.subarray(8 * V, 12 * V), referenceForward(m.weights, m.spec, PROMPT.slice(2, 6)).logits) <= 1e-3);
    });
  }
});
