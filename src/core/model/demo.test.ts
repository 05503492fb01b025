import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Engine } from './engine.ts';

/**
 * The embedded demo (resources/demo, made by tools/demo/): it loads through the engine,
 * encodes text into sensible tokens and sparse latents, the README's features fire where
 * features.json says they do, and clamping each of them changes the greedy continuation
 * exactly as the PyTorch run recorded in features.json.
 */
const demo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../resources/demo');

interface DemoFeature {
  id: number;
  label: string;
  examples: { doc: number; pos: number; value: number; context: string }[];
  steer: { prompt: string; value: number; max_new_tokens: number; baseline_ids: number[]; steered_ids: number[] };
}

const features = JSON.parse(fs.readFileSync(path.join(demo, 'features.json'), 'utf8')) as DemoFeature[];
const corpus = fs
  .readFileSync(path.join(demo, 'corpus.jsonl'), 'utf8')
  .split('\n')
  .filter((l) => l.trim())
  .map((l) => (JSON.parse(l) as { text: string }).text);

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sae-demo-'));
let engine: Engine;
before(async () => {
  engine = await Engine.open({ model: path.join(demo, 'model'), sae: path.join(demo, 'sae'), cacheDir: tmp });
});
after(async () => {
  await engine.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('embedded demo', () => {
  test('opens with its own hook, BOS and a TopK SAE that fits the model', () => {
    assert.equal(engine.hook, 'blocks.2.hook_resid_pre');
    const c = engine.sae.config;
    assert.equal(c.architecture, 'topk');
    assert.equal(c.dIn, 192);
    assert.ok(c.prependBos);
    assert.equal(engine.tokenizer.bosId, 4095);
    assert.equal(engine.tokenizer.token(4095), '<|endoftext|>');
  });

  test('encodes text into its tokens, each with a few active latents', async () => {
    const text = 'The cat sat on the mat.';
    const ids = engine.tokenize(text);
    assert.equal(ids[0], 4095, 'BOS first');
    assert.ok(ids.length >= 5 && ids.length <= 10, `${ids.length} tokens`);
    const toks = await engine.encode(ids, 64);
    assert.equal(toks.map((t) => t.text).join(''), '<|endoftext|>' + text);
    assert.deepEqual(
      toks.slice(1, 4).map((t) => t.text),
      ['The', ' cat', ' sat'],
    );
    for (const t of toks) {
      assert.ok(t.latents.length > 0 && t.latents.length <= engine.sae.config.k!, `${t.text}: ${t.latents.length} latents`);
      for (const [f, v] of t.latents) assert.ok(f >= 0 && f < engine.sae.config.dSae && v > 0);
    }
  });

  test('five features, each firing on its strongest corpus example as features.json says', async () => {
    assert.equal(features.length, 5);
    for (const f of features) {
      const ex = f.examples[0]!;
      const toks = await engine.encode(engine.tokenize(corpus[ex.doc]!), engine.sae.config.k!);
      const hit = toks[ex.pos]!.latents.find(([id]) => id === f.id);
      assert.ok(hit, `feature ${f.id} (${f.label}) active at document ${ex.doc} position ${ex.pos}`);
      assert.ok(Math.abs(hit[1] - ex.value) <= 1e-3 * Math.max(1, ex.value), `value ${hit[1]} vs ${ex.value}`);
    }
  });

  test('clamping each README feature changes the greedy continuation (as in PyTorch)', async () => {
    for (const f of features) {
      const s = f.steer;
      const { baseline, steered } = await engine.compare(engine.tokenize(s.prompt), {
        maxNewTokens: s.max_new_tokens,
        interventions: [{ feature: f.id, mode: 'clamp', value: s.value }],
      });
      assert.notDeepEqual(steered.ids, baseline.ids, `feature ${f.id} (${f.label}) changes the continuation`);
      assert.deepEqual(baseline.ids, s.baseline_ids, `feature ${f.id}: baseline as in features.json`);
      assert.deepEqual(steered.ids, s.steered_ids, `feature ${f.id}: steered as in features.json`);
    }
  });
});
