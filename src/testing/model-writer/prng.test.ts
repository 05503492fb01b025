import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Rng } from './prng.ts';
import { makeWeights } from './weights.ts';
import { resolveSpec } from './spec.ts';

test('same seed, same stream; different seed, different stream', () => {
  assert.deepEqual(new Rng(42).normals(16), new Rng(42).normals(16));
  assert.notDeepEqual(new Rng(42).normals(16), new Rng(43).normals(16));
  // pinned: mulberry32(1)'s known first value; written weights must not drift between versions
  const u = new Rng(1);
  assert.equal(u.uniform().toFixed(8), '0.62707394');
});

test('normals have the requested moments', () => {
  const x = new Rng(3).normals(200_000, 2, 1);
  const mean = x.reduce((a, v) => a + v, 0) / x.length;
  const sd = Math.sqrt(x.reduce((a, v) => a + (v - mean) ** 2, 0) / x.length);
  assert.ok(Math.abs(mean - 1) < 0.02, `mean ${mean}`);
  assert.ok(Math.abs(sd - 2) < 0.02, `sd ${sd}`);
});

test('weights are seeded and shaped as HF state dicts', () => {
  const s = resolveSpec({ family: 'llama', d: 32, heads: 4, kvHeads: 2, layers: 1 });
  const w = makeWeights(s);
  assert.deepEqual(w.get('model.layers.0.self_attn.k_proj.weight')!.dims, [16, 32]);
  assert.deepEqual(w.get('lm_head.weight')!.dims, [256, 32]);
  assert.deepEqual(makeWeights(s).get('lm_head.weight')!.data, w.get('lm_head.weight')!.data);
  const g = makeWeights(resolveSpec({ family: 'gpt2', d: 32, layers: 1 }));
  assert.deepEqual(g.get('transformer.h.0.attn.c_attn.weight')!.dims, [32, 96]);
  assert.equal(makeWeights(resolveSpec({ family: 'gemma', d: 32, layers: 1 })).has('lm_head.weight'), false);
});
