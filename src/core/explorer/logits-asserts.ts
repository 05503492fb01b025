/**
 * Test helper: checks a `feature.logits` answer against a brute-force W_dec[i]·diag(γ)·W_U
 * row (one value per vocabulary id): the same top and bottom k tokens (ties by id) and
 * values within 1e-4 relative.
 */
import assert from 'node:assert/strict';
import type { FeatureLogits } from '../../shared/explorer-types.ts';

export function assertLogitEffects(got: FeatureLogits, expected: readonly number[], k: number): void {
  assert.ok(got.available, got.available ? '' : got.reason);
  assert.equal(got.foldedNorm, true);
  const order = expected.map((v, i) => [i, v] as const);
  const up = [...order].sort((a, b) => b[1] - a[1] || a[0] - b[0]).slice(0, k);
  const down = [...order].sort((a, b) => a[1] - b[1] || a[0] - b[0]).slice(0, k);
  assert.deepEqual(
    got.promoted.map((e) => e.token),
    up.map(([i]) => i),
  );
  assert.deepEqual(
    got.suppressed.map((e) => e.token),
    down.map(([i]) => i),
  );
  for (const e of [...got.promoted, ...got.suppressed])
    assert.ok(
      Math.abs(e.value - expected[e.token]!) <= 1e-4 * (1 + Math.abs(e.value)),
      `token ${e.token}: ${e.value} vs ${expected[e.token]}`,
    );
}
