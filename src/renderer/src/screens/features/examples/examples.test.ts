import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { FeatureExample } from '#shared/contract.ts';
import { collapseDuplicates, prepareExamples, trimExample, visibleToken } from './examples.ts';

/** An example whose tokens are t0..t(n-1) starting at window position `start`, activating at `position`. */
function example(n: number, start: number, position: number, window = 0, text = (i: number) => `t${i}`): FeatureExample {
  const tokens = Array.from({ length: n }, (_, i) => text(i));
  const values = tokens.map((_, i) => (start + i === position ? 5 : 0));
  return { window, position, value: 5, start, tokens, values };
}

describe('trimming examples to a context size', () => {
  test('keeps `context` tokens on each side of the activating token', () => {
    const ex = example(129, 1, 65); // activating token at index 64
    const shown = trimExample(ex, 5);
    assert.equal(shown.tokens.length, 11);
    assert.equal(shown.active, 5);
    assert.equal(shown.tokens[shown.active], 't64');
    assert.equal(shown.values[shown.active], 5);
    assert.equal(shown.values.length, shown.tokens.length);
  });

  test('stops at the window edges', () => {
    const early = trimExample(example(20, 1, 3), 16); // activating at index 2
    assert.equal(early.active, 2);
    assert.equal(early.tokens.length, 19, 'all 2 before, 16 after');
    const late = trimExample(example(10, 100, 109), 5); // activating at the last token
    assert.equal(late.active, 5);
    assert.equal(late.tokens.length, 6);
    assert.equal(late.tokens.at(-1), 't9');
  });

  test('a context larger than what arrived keeps everything', () => {
    const ex = example(11, 10, 15);
    const shown = trimExample(ex, 64);
    assert.deepEqual(shown.tokens, ex.tokens);
    assert.equal(shown.active, 5);
  });
});

describe('collapsing duplicates', () => {
  test('identical token sequences become one with a count, first one kept, order of first sight', () => {
    const a = trimExample(
      example(11, 0, 5, 1, (i) => `a${i}`),
      5,
    );
    const b = trimExample(
      example(11, 0, 5, 2, (i) => `b${i}`),
      5,
    );
    const a2 = trimExample(
      example(11, 0, 5, 3, (i) => `a${i}`),
      5,
    );
    const out = collapseDuplicates([a, b, a2, a2]);
    assert.deepEqual(
      out.map((c) => [c.example.window, c.count]),
      [
        [1, 3],
        [2, 1],
      ],
    );
    assert.notEqual(out[0]!.key, out[1]!.key);
  });

  test('the same tokens activating at a different place are not duplicates', () => {
    const one = trimExample(example(11, 0, 5), 5);
    const other = { ...one, active: 4 };
    assert.equal(collapseDuplicates([one, other]).length, 2);
  });

  test('examples that differ only outside the shown context collapse at small sizes only', () => {
    const x = example(40, 0, 20, 1, (i) => (i < 5 ? `x${i}` : `s${i}`));
    const y = example(40, 0, 20, 2, (i) => (i < 5 ? `y${i}` : `s${i}`));
    assert.equal(prepareExamples([x, y], 5).length, 1);
    assert.equal(prepareExamples([x, y], 16).length, 2);
  });
});

test('line breaks and tabs are made visible', () => {
  assert.equal(visibleToken('\n'), '↵');
  assert.equal(visibleToken('a\tb'), 'a→b');
  assert.equal(visibleToken(' Paris'), ' Paris');
});
