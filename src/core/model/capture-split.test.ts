/**
 * A capture batch larger than one call's memory budget runs as several calls: the numbers are
 * those of running every row on its own (the demo's 1,536 latents: two 128-token rows per call).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { demoEngineForTests } from '#testing/demo-engine.ts';
import { CAPTURE_MIN_TOKENS, CAPTURE_TENSOR_BYTES, captureRowsPerCall } from './capture-split.ts';

const { engine } = demoEngineForTests('sae-capture-split-');

test('rows per call: enough windows for CAPTURE_MIN_TOKENS tokens within the pre-activation budget, at least one', () => {
  assert.equal(captureRowsPerCall(128, 1536), CAPTURE_MIN_TOKENS / 128);
  assert.equal(captureRowsPerCall(128, 1536), 2);
  assert.equal(captureRowsPerCall(128, 24576), 2, 'two GPT-2-small windows (25 MB of pre-activations) fit');
  assert.equal(captureRowsPerCall(100, 1536), 3, 'rounded up to reach the token count');
  assert.equal(captureRowsPerCall(1024, 1536), 1, 'one long window has the tokens alone');
  assert.equal(captureRowsPerCall(128, 65536), 1, 'a 65k-latent window is over half the budget');
  assert.ok(128 * 65536 * 4 * 2 > CAPTURE_TENSOR_BYTES);
  assert.equal(captureRowsPerCall(4096, 262144), 1, 'at least one, even over the budget');
  assert.equal(captureRowsPerCall(1, 16), CAPTURE_MIN_TOKENS);
});

test('five 128-token rows in one capture equal each row captured alone, reconstructions included', async () => {
  const rows = Array.from({ length: 5 }, (_, r) => Array.from({ length: 128 }, (_, t) => (r * 131 + t * 17 + 3) % 4000));
  assert.ok(rows.length > captureRowsPerCall(128, 1536), 'the batch needs several calls');
  const all = await engine().capture(rows, 32, { reconstruction: true });
  assert.deepEqual([all.batch, all.length], [5, 128]);
  const K = all.k;
  for (const [r, row] of rows.entries()) {
    const one = await engine().capture([row], 32, { reconstruction: true });
    assert.equal(one.k, K);
    const span = 128 * K;
    assert.deepEqual(all.indices.subarray(r * span, (r + 1) * span), one.indices, `row ${r} indices`);
    assert.deepEqual(all.values.subarray(r * span, (r + 1) * span), one.values, `row ${r} values`);
    const d = one.hookInput!.length;
    assert.deepEqual(all.hookInput!.subarray(r * d, (r + 1) * d), one.hookInput, `row ${r} hook input`);
    assert.deepEqual(all.reconstruction!.subarray(r * d, (r + 1) * d), one.reconstruction, `row ${r} reconstruction`);
  }
});
