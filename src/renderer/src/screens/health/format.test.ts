import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatLog10 } from './format.ts';

test('density axis edges read as shares of tokens, never as 10^-5.0', () => {
  assert.equal(formatLog10(0), '100%');
  assert.equal(formatLog10(-1), '10%');
  assert.equal(formatLog10(-3.2), '0.063%');
  assert.equal(formatLog10(-5), '0.001%');
  assert.equal(formatLog10(-6), '0.0001%');
  assert.equal(formatLog10(-9.1), '7.9×10⁻¹⁰');
  assert.doesNotMatch(formatLog10(-5.3), /\^/);
});
