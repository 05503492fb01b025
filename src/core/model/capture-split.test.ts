/**
 * A capture batch larger than one call's memory budget runs as several calls: the numbers are
 * those of running every row on its own (the demo's 1,536 latents: two 128-token rows per call).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { demoEngineForTests } from '#testing/demo-engine.ts';
import { CAPTURE_TENSOR_BYTES, captureRowsPerCall } from './capture-split.ts';

const { engine } = demoEngineForTests('sae-capture-split-');

test('rows per call follow the dense pre-activation budget, at least one', () => {
  assert.equal(captureRowsPerCall(128, 1536), Math.floor(CAPTURE_TENSOR_BYTES / (128 * 1536 * 4)));
  assert.equal(captureRowsPerCall(128, 1536), 2);
  assert.equal(captureRowsPerCall(128, 24576), 1, 'one GPT-2-small window is over the budget alone');
  assert.equal(captureRowsPerCall(1, 16), CAPTURE_TENSOR_BYTES / 64);
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
