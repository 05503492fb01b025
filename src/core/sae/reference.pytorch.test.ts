import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';

import { Engine } from '../model/engine.ts';
import { referenceCases } from '#testing/fixtures.ts';
import { assertLatentsMatch, saePathOf } from '#testing/reference-asserts.ts';
import { loadSae } from './load.ts';
import { encodeSae, reconstruct } from '#testing/sae/reference.ts';
import { fractionOfVarianceUnexplained } from '#testing/sae/metrics.ts';

/**
 * reference.ts against the independent PyTorch implementation: the hook activations come
 * from the ONNX model (the engine's capture graph), the latents, L0 and FVU are computed
 * here in plain TypeScript and compared with expected.json.
 */
const cases = referenceCases();
const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sae-ref-pt-'));
after(() => fs.rmSync(cacheDir, { recursive: true, force: true }));

describe('reference.ts reproduces the PyTorch latents, L0 and FVU', () => {
  for (const c of cases) {
    test(c.name, async () => {
      const e = c.expected;
      const engine = await Engine.open({ model: c.modelDir, sae: saePathOf(c), hook: e.hook, cacheDir, provider: 'cpu' });
      let x: Float32Array;
      try {
        x = (await engine.capture([e.prompt_ids], 1, { reconstruction: true })).hookInput!;
      } finally {
        await engine.close();
      }
      const sae = loadSae(saePathOf(c), { hook: e.hook });
      const T = e.prompt_ids.length;
      const { dIn, dSae } = sae.config;
      assert.equal(x.length, T * dIn);

      const a = encodeSae(sae, x, T);
      for (let t = 0; t < T; t++) {
        const row = Array.from(a.subarray(t * dSae, (t + 1) * dSae), (v, f) => [f, v] as [number, number]).filter(([, v]) => v > 0);
        assert.equal(row.length, e.l0[t], `${c.name} L0 at position ${t}`);
        row.sort((p, q) => q[1] - p[1]);
        assertLatentsMatch(row.slice(0, e.top), e.latents[t]!, `${c.name} position ${t}`);
      }

      const xHat = reconstruct(sae, a, x, T);
      const fvu = fractionOfVarianceUnexplained(x, xHat, T, dIn);
      assert.ok(Math.abs(fvu - e.fvu) <= 1e-3 * Math.max(1, e.fvu), `FVU ${fvu} vs ${e.fvu}`);
    });
  }
});
