/**
 * LogitEffects on engines over writer-made models with synthetic SAEs: the effects equal a
 * float64 brute force W_dec[i] · diag(γ) · W_U with the writer's own weights (γ the final
 * norm's scale, as TransformerLens folds it); SAEs off the residual stream (and off hook_z) are refused;
 * only the current model's W_U is held and revisited features are answered from the cache.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { Engine } from '../model/engine.ts';
import { writeModelFolder, type ModelFamily, type NormStyle, type WrittenModel } from '#testing/model-writer/index.ts';
import { saeLensCfg, syntheticSaeTensors, writeSaeLensFolder } from '#testing/sae/synthetic.ts';
import { LogitEffects, logitHookProblem } from './logits.ts';
import { assertLogitEffects } from '#testing/explorer/logits-asserts.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'logits-'));
const cacheDir = path.join(tmp, 'cache');
const engines: Engine[] = [];
after(async () => {
  for (const e of engines) await e.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

const D = 64;
const D_SAE = 96;
const HOOK = 'blocks.1.hook_resid_post';

async function open(family: ModelFamily, norm: NormStyle, seed: number): Promise<{ engine: Engine; model: WrittenModel }> {
  const model = writeModelFolder(path.join(tmp, `${family}-${norm}-${seed}`), { family, norm, seed });
  const sae = path.join(tmp, `sae-${family}-${norm}-${seed}`);
  const tensors = syntheticSaeTensors({ architecture: 'standard', dIn: D, dSae: D_SAE, seed });
  writeSaeLensFolder(
    sae,
    saeLensCfg({ architecture: 'standard', dIn: D, dSae: D_SAE, hookName: HOOK, extra: { prepend_bos: false } }),
    tensors,
  );
  const engine = await Engine.open({ model: path.dirname(model.modelFile), sae, hook: HOOK, cacheDir });
  engines.push(engine);
  return { engine, model };
}

/** W_dec[id] · diag(γ) · Uᵀ for the writer's HF-layout unembedding U [vocab, d], in float64. */
function brute(engine: Engine, m: WrittenModel, id: number): number[] {
  const u = m.weights.get('lm_head.weight') ?? m.weights.get('transformer.wte.weight') ?? m.weights.get('model.embed_tokens.weight')!;
  const norm = (m.weights.get('transformer.ln_f.weight') ?? m.weights.get('model.norm.weight'))!.data;
  const gamma = Array.from(norm, (g) => (m.spec.family === 'gemma' ? 1 + g : g));
  const w = engine.sae.params.W_dec.data.subarray(id * D, (id + 1) * D);
  return Array.from({ length: m.spec.vocab }, (_, v) => {
    let s = 0;
    for (let j = 0; j < D; j++) s += w[j]! * gamma[j]! * u.data[v * D + j]!;
    return s;
  });
}

test('effects equal W_dec[i] · diag(γ) · W_U on writer models (decomposed, op and fused final norms)', async () => {
  const logits = new LogitEffects();
  for (const [family, norm] of [
    ['gpt2', 'decomposed'],
    ['llama', 'op'],
    ['gemma', 'fused'],
    ['gemma', 'decomposed'],
  ] as const) {
    const { engine, model } = await open(family, norm, 5);
    for (const id of [0, 17, D_SAE - 1]) assertLogitEffects(logits.effects(engine, id, 8), brute(engine, model, id), 8);
  }
});

test('SAEs off the residual stream and off attention z are refused; residual, attention, MLP outputs and hook_z are not', () => {
  for (const ok of [
    'blocks.0.hook_resid_pre',
    'blocks.3.hook_resid_mid',
    'blocks.11.hook_resid_post',
    'blocks.2.hook_mlp_out',
    'blocks.2.hook_attn_out',
    'blocks.0.attn.hook_z',
  ])
    assert.equal(logitHookProblem(ok), undefined, ok);
  for (const bad of [
    'blocks.0.mlp.hook_post',
    'blocks.5.attn.hook_result',
    'hook_embed',
    'blocks.0.ln1.hook_normalized',
    'blocks.0.attn.hook_q',
  ])
    assert.match(logitHookProblem(bad) ?? '', new RegExp(`reads ${bad.replace(/\./g, '\\.')}, which is not the residual stream`), bad);
});

test('only the current model’s W_U is held; a revisited feature is answered from the cache', async () => {
  const a = await open('llama', 'decomposed', 7);
  const b = await open('gpt2', 'fused', 8);
  const logits = new LogitEffects();
  const first = logits.effects(a.engine, 4, 10);
  assert.equal(logits.effects(a.engine, 4, 10), first, 'the same answer object: not recomputed');
  const heldA = logits.held.model;
  assert.ok(heldA?.startsWith(a.model.modelFile));
  const other = logits.effects(b.engine, 4, 10);
  assertLogitEffects(other, brute(b.engine, b.model, 4), 10);
  assert.ok(logits.held.model?.startsWith(b.model.modelFile), 'switching models replaces the held W_U');
  // a's effects are still cached (small), and computing a new feature of a loads it again
  assert.equal(logits.effects(a.engine, 4, 10), first);
  assert.ok(logits.held.model?.startsWith(b.model.modelFile));
  assertLogitEffects(logits.effects(a.engine, 5, 10), brute(a.engine, a.model, 5), 10);
  assert.equal(logits.held.model, heldA);
  // the effects cache is bounded
  for (let id = 0; id < D_SAE; id++) logits.effects(a.engine, id, 3);
  assert.ok(logits.held.effects <= 64, `${logits.held.effects} effects kept`);
  assert.notEqual(logits.effects(a.engine, 4, 10), first, 'evicted from the cache: computed again');
  assert.deepEqual(logits.effects(a.engine, 4, 10), first);
});
