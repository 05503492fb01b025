import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { readFloatTensor, readModel, toNumber } from '../../core/model/onnx/proto.ts';
import { referenceCases } from '../fixtures.ts';
import { referenceForward } from './reference.ts';
import type { ModelWeights } from './weights.ts';

// The reference forward pass checks the written graphs; here it is itself checked against
// refgen.py's PyTorch model: same weights (read from the torch export), same greedy decode.
const cases = referenceCases().filter((c) => {
  const cfg = JSON.parse(fs.readFileSync(path.join(c.modelDir, 'config.json'), 'utf8')) as { model_type?: string };
  return cfg.model_type === 'gpt2';
});

test('referenceForward reproduces the PyTorch reference greedy decode', { skip: cases.length === 0 && 'no gpt2 reference fixtures' }, () => {
  for (const c of cases) {
    const cfg = JSON.parse(fs.readFileSync(path.join(c.modelDir, 'config.json'), 'utf8')) as Record<string, number>;
    const file = path.join(c.modelDir, 'model.onnx');
    const { model, dir } = readModel(file);
    const weights: ModelWeights = new Map();
    for (const t of model.graph?.initializer ?? []) {
      if (t.name?.startsWith('transformer.')) weights.set(t.name, { data: readFloatTensor(t, dir), dims: (t.dims ?? []).map(toNumber) });
    }
    const spec = {
      family: 'gpt2' as const,
      vocab: cfg['vocab_size']!,
      d: cfg['n_embd']!,
      layers: cfg['n_layer']!,
      heads: cfg['n_head']!,
      ctx: cfg['n_positions']!,
    };
    const ids = [...c.expected.prompt_ids];
    for (let step = 0; step < c.expected.baseline_ids.length; step++) {
      const { logits } = referenceForward(weights, spec, ids);
      const row = logits.subarray((ids.length - 1) * spec.vocab);
      let best = 0;
      for (let i = 1; i < row.length; i++) if (row[i]! > row[best]!) best = i;
      const max = row[best]!;
      const lse = max + Math.log(row.reduce((a, v) => a + Math.exp(v - max), 0));
      assert.equal(best, c.expected.baseline_ids[step], `${c.name} step ${step}`);
      assert.ok(Math.abs(row[best]! - lse - c.expected.baseline_logprobs[step]!) < 1e-3, `${c.name} step ${step} logprob`);
      ids.push(best);
    }
  }
});
