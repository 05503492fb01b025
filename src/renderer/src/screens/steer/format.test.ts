import assert from 'node:assert/strict';
import { test } from 'node:test';
import { baseName, divergence, percent, short, visibleToken } from './format.ts';

test('divergence: the first differing index, the shorter length when one is a prefix, null when equal', () => {
  assert.equal(divergence([1, 2, 3], [1, 2, 3]), null);
  assert.equal(divergence([1, 2, 3], [1, 5, 3]), 1);
  assert.equal(divergence([7], [8]), 0);
  assert.equal(divergence([1, 2], [1, 2, 3]), 2);
  assert.equal(divergence([], []), null);
  assert.equal(divergence([], [4]), 0);
});

test('percent turns log-probabilities into readable percentages', () => {
  assert.equal(percent(0), '100.0%');
  assert.equal(percent(Math.log(0.127)), '12.7%');
  assert.equal(percent(Math.log(0.0123)), '1.23%');
  assert.equal(percent(Math.log(0.00005)), '0.005%');
  assert.equal(percent(-50), '<0.001%');
  assert.equal(percent(null), '–');
});

test('tokens show their edges: spaces, line breaks, empty', () => {
  assert.equal(visibleToken(' years'), '·years');
  assert.equal(visibleToken('\n'), '↵');
  assert.equal(visibleToken('a '), 'a·');
  assert.equal(visibleToken(''), '∅');
});

test('short numbers and base names', () => {
  assert.equal(short(13.0912), '13.1');
  assert.equal(short(0.04213), '0.0421');
  assert.equal(short(12345), '1.2e+4');
  assert.equal(baseName('/a/b/model/'), 'model');
  assert.equal(baseName('C:\\x\\sae'), 'sae');
});
