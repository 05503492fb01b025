import assert from 'node:assert/strict';
import { test } from 'node:test';
import { activationAlpha, activationColour } from './colour.ts';

test('alpha is value over max, clamped to [0, 1]', () => {
  assert.equal(activationAlpha(5, 10), 0.5);
  assert.equal(activationAlpha(10, 10), 1);
  assert.equal(activationAlpha(12, 10), 1, 'a value above the scale (another feature max) saturates');
  assert.equal(activationAlpha(0, 10), 0);
  assert.equal(activationAlpha(-1, 10), 0);
  assert.equal(activationAlpha(3, 0), 0, 'a dead feature colours nothing');
});

test('inactive tokens get no colour; stronger ones get more alpha, in both themes', () => {
  for (const dark of [false, true]) {
    assert.equal(activationColour(0, 10, dark), undefined);
    const alpha = (v: number) => Number(/([\d.]+)\)$/.exec(activationColour(v, 10, dark) ?? '')?.[1]);
    assert.ok(alpha(1) < alpha(5) && alpha(5) < alpha(10), `${dark ? 'dark' : 'light'} is monotone`);
    assert.ok(alpha(10) <= 1 && alpha(0.01) > 0);
  }
  assert.notEqual(activationColour(5, 10, true), activationColour(5, 10, false));
});
