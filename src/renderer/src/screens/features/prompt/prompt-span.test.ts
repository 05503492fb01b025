import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { inSpan, spanOf, spanText } from './prompt-span.ts';

describe('prompt spans', () => {
  test('from two clicks in either order, both included', () => {
    assert.deepEqual(spanOf(5, 2), { from: 2, to: 6 });
    assert.deepEqual(spanOf(3, 3), { from: 3, to: 4 });
    assert.equal(inSpan({ from: 2, to: 6 }, 5), true);
    assert.equal(inSpan({ from: 2, to: 6 }, 6), false);
    assert.equal(inSpan(null, 0), false);
  });
  test('captions shorten long spans in the middle', () => {
    assert.equal(spanText(['The', ' house', ' was'], { from: 1, to: 3 }), ' house was');
    const long = spanText(
      Array.from({ length: 50 }, () => 'abcd'),
      { from: 0, to: 50 },
      21,
    );
    assert.equal(long.length, 21);
    assert.ok(long.includes('…'));
  });
});
