/**
 * Test helper: checks a `feature.logits` answer against a brute-force W_dec[i]·diag(γ)·W_U
 * row (one value per vocabulary id): the same top and bottom k tokens (ties by id), values
 * within 1e-4 relative, and the 40-bin histogram of every token's value.
 */
import assert from 'node:assert/strict';
import type { FeatureLogits } from '#shared/explorer-types.ts';

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
  // the histogram covers every token over [min, max]: bin counts agree with the brute values
  // (a token within rounding of a bin edge may fall on either side)
  const h = got.histogram;
  assert.equal(h.barHeights.length, 40);
  assert.equal(
    h.barHeights.reduce((a, b) => a + b, 0),
    expected.length,
  );
  const lo = Math.min(...expected);
  const hi = Math.max(...expected);
  assert.ok(Math.abs(h.barValues[0]! - h.binWidth / 2 - lo) <= 1e-4 * (1 + Math.abs(lo)), `first bin starts at the minimum ${lo}`);
  assert.ok(Math.abs(h.binWidth * 40 - (hi - lo)) <= 1e-4 * (1 + hi - lo), `bins span [${lo}, ${hi}]`);
  const counts = new Array<number>(40).fill(0);
  for (const v of expected) counts[Math.min(39, Math.floor((v - lo) / ((hi - lo) / 40)))]!++;
  const moved = counts.reduce((a, c, i) => a + Math.abs(c - h.barHeights[i]!), 0);
  assert.ok(moved <= Math.max(2, expected.length * 1e-3), `histogram ${h.barHeights.join(',')} vs ${counts.join(',')}`);
}
