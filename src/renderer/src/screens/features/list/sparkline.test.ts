import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { sparkHeights } from './sparkline.ts';

describe('sparklines', () => {
  test('relative to the tallest bin, square-root scaled, rare bins stay visible', () => {
    const h = sparkHeights([0, 100, 25, 1]);
    assert.equal(h[0], 0);
    assert.equal(h[1], 1);
    assert.equal(h[2], 0.5);
    assert.equal(h[3], 0.1);
    assert.equal(sparkHeights([0, 10000, 1])[2], 0.06, 'minimum height');
    assert.deepEqual(sparkHeights([0, 0]), [0, 0]);
  });
});
