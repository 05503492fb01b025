import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { annotationSetPayload, TAG_MAX_CHARS, TAGS_MAX } from '#shared/annotation-types.ts';
import { checkTags } from './tag-check.ts';

describe('tag check', () => {
  test('split on commas, trimmed, unique regardless of case, empties dropped', () => {
    assert.deepEqual(checkTags(' dates, Numbers ,, numbers, years '), { tags: ['dates', 'Numbers', 'years'], error: null });
    assert.deepEqual(checkTags(''), { tags: [], error: null });
  });

  test('a tag over the limit is an error naming it, not cut short', () => {
    const long = `${'x'.repeat(TAG_MAX_CHARS)}y`;
    const r = checkTags(`ok, ${long}`);
    assert.equal(r.tags, null);
    assert.match(r.error ?? '', new RegExp(`has ${TAG_MAX_CHARS + 1} characters; a tag may have at most ${TAG_MAX_CHARS}`));
    assert.deepEqual(checkTags(` ${'x'.repeat(TAG_MAX_CHARS)} `).tags, ['x'.repeat(TAG_MAX_CHARS)], 'the limit itself is fine');
  });

  test('too many tags is an error; repeats do not count', () => {
    const many = Array.from({ length: TAGS_MAX + 1 }, (_, i) => `t${i}`);
    assert.match(checkTags(many.join(',')).error ?? '', new RegExp(`${TAGS_MAX + 1} tags; a feature may have at most ${TAGS_MAX}`));
    assert.equal(checkTags([...many.slice(0, TAGS_MAX), 'T0'].join(',')).tags?.length, TAGS_MAX);
  });

  test('what passes the check, annotation.set accepts; what fails it, annotation.set refuses', () => {
    const cases = [
      'a, b',
      'x'.repeat(TAG_MAX_CHARS),
      'x'.repeat(TAG_MAX_CHARS + 1),
      Array.from({ length: TAGS_MAX }, (_, i) => `t${i}`).join(','),
      Array.from({ length: TAGS_MAX + 1 }, (_, i) => `t${i}`).join(','),
    ];
    for (const text of cases) {
      const r = checkTags(text);
      const naive = text.split(',').map((t) => t.trim());
      const accepted = annotationSetPayload.safeParse({ feature: 1, tags: r.tags ?? naive }).success;
      assert.equal(accepted, r.error === null, text.slice(0, 40));
    }
  });
});
