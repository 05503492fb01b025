/** Small pure parts of the explorer: id lists and sparkline resampling. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseIds } from './id-query.ts';
import { downsample } from './spark.ts';

test('parseIds: numbers, ranges (either order), separators; out-of-range and junk noted', () => {
  assert.deepEqual(parseIds('12', 100), { ids: [12], note: null });
  assert.deepEqual(parseIds('5-3, 9;9 1–2', 100).ids, [1, 2, 3, 4, 5, 9]);
  const r = parseIds('98-102 abc', 100);
  assert.deepEqual(r.ids, [98, 99]);
  assert.match(r.note!, /ids above 99 left out/);
  assert.match(r.note!, /not ids: abc/);
});

test('downsample keeps the total and splits straddling bins by overlap', () => {
  const bins = Array.from({ length: 50 }, (_, i) => (i * 7) % 5);
  const out = downsample(bins, 16);
  assert.equal(out.length, 16);
  assert.ok(Math.abs(out.reduce((a, b) => a + b, 0) - bins.reduce((a, b) => a + b, 0)) < 1e-9);
  // 50 → 16: output bin 0 covers source [0, 3.125): bins 0, 1, 2 and an eighth of bin 3
  assert.ok(Math.abs(out[0]! - (bins[0]! + bins[1]! + bins[2]! + bins[3]! / 8)) < 1e-12);
  assert.deepEqual(downsample([1, 2, 3, 4], 2), [3, 7]);
  assert.deepEqual(downsample([], 3), [0, 0, 0]);
});
