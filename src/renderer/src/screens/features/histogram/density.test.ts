import assert from 'node:assert/strict';
import { test } from 'node:test';
import { log10Label, placeDensity } from './density.ts';

const bins = [
  { lo: -4, hi: -3, count: 10 },
  { lo: -3, hi: -2, count: 30 },
  { lo: -2, hi: -1, count: 50 },
  { lo: -1, hi: 0, count: 10 },
];

test('finds the bin and the share of sparser features', () => {
  const p = placeDensity(bins, 10 ** -2.5);
  assert.equal(p.bin, 1);
  assert.ok(Math.abs(p.log10 + 2.5) < 1e-12);
  assert.ok(Math.abs(p.sparserShare - 0.25) < 1e-9, `10 below + half of 30 = 25 of 100, got ${p.sparserShare}`);
  assert.equal(placeDensity(bins, 1).bin, 3, 'density 1 sits in the last bin');
  assert.ok(Math.abs(placeDensity(bins, 1).sparserShare - 1) < 1e-9);
});

test('dead features and densities outside the bins', () => {
  assert.deepEqual(placeDensity(bins, 0), { bin: null, log10: Number.NEGATIVE_INFINITY, sparserShare: 0 });
  assert.equal(placeDensity(bins, 1e-6).bin, null);
  assert.equal(placeDensity(bins, 1e-6).sparserShare, 0);
  assert.equal(placeDensity([], 0.1).bin, null);
});

test('labels log10 densities as percentages', () => {
  assert.equal(log10Label(-2), '1%');
  assert.equal(log10Label(-4), '0.01%');
  assert.equal(log10Label(0), '100%');
});
