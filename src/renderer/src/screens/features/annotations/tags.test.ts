import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { formatTags, parseTags } from './tags.ts';

describe('tags', () => {
  test('split on commas, trimmed, unique regardless of case, empties dropped', () => {
    assert.deepEqual(parseTags(' dates, Numbers ,, numbers, years '), ['dates', 'Numbers', 'years']);
    assert.deepEqual(parseTags(''), []);
    assert.equal(parseTags('x'.repeat(100))[0]!.length, 64);
  });
  test('round trip', () => {
    assert.deepEqual(parseTags(formatTags(['a', 'b c'])), ['a', 'b c']);
  });
});
