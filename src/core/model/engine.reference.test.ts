import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { referenceCases, sharedRealworldDir } from '#testing/fixtures.ts';
import { assertLatentsMatch, assertLogprobsClose, saePathOf } from '#testing/reference-asserts.ts';
import { fractionOfVarianceUnexplained } from '#testing/sae/metrics.ts';
import { Engine } from './engine.ts';

/**
 * Every reference case (made by the independent PyTorch implementation) reproduced
 * through the core API: latents within 1e-3 relative, FVU, greedy ids exact and
 * log-probabilities within 1e-3, with and without clamped latents.
 */
const cases = referenceCases();
const realworld = referenceCases([sharedRealworldDir]);
const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sae-engine-ref-'));
after(() => fs.rmSync(cacheDir, { recursive: true, force: true }));

describe('engine reproduces the PyTorch reference cases', () => {
  assert.ok(cases.length >= 2, 'reference cases present (../shared/fixtures/reference)');
  assert.ok(realworld.length >= 10, 'real-world cases present (../shared/fixtures/reference-realworld)');
  for (const c of [...cases, ...realworld]) {
    test(c.name, async () => {
      const e = c.expected;
      const engine = await Engine.open({ model: c.modelDir, sae: saePathOf(c), hook: e.hook, cacheDir });
      try {
        assert.equal(engine.hook, e.hook);
        const tokens = await engine.encode(e.prompt_ids, e.top);
        tokens.forEach((tok, t) => assertLatentsMatch(tok.latents, e.latents[t]!, `${c.name} position ${t}`));

        // full L0 and FVU over the prompt from the capture graph's hook input and reconstruction
        const all = await engine.encode(e.prompt_ids, engine.sae.config.dSae);
        assert.deepEqual(
          all.map((t) => t.latents.length),
          e.l0,
          'L0 per position',
        );
        const cap = await engine.capture([e.prompt_ids], 1, { reconstruction: true });
        const hx = cap.hookInput!;
        const rx = cap.reconstruction!;
        const fvu = fractionOfVarianceUnexplained(hx, rx, e.prompt_ids.length, engine.sae.config.dIn);
        assert.ok(Math.abs(fvu - e.fvu) <= 1e-3 * Math.max(1, e.fvu), `FVU ${fvu} vs ${e.fvu}`);

        const interventions = e.clamps.map(([feature, value]) => ({ feature, mode: 'clamp' as const, value }));
        const { baseline, steered } = await engine.compare(e.prompt_ids, { maxNewTokens: e.max_new_tokens, interventions });
        assert.deepEqual(baseline.ids, e.baseline_ids, 'baseline ids');
        assertLogprobsClose(baseline.logprobs, e.baseline_logprobs, 'baseline logprobs');
        assert.deepEqual(steered.ids, e.steered_ids, 'steered ids');
        assertLogprobsClose(steered.logprobs, e.steered_logprobs, 'steered logprobs');
      } finally {
        await engine.close();
      }
    });
  }
});
