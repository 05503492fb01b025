import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { toPatch } from './draft-backup.ts';

describe('annotation draft backups', () => {
  test('keep only well-typed fields', () => {
    assert.deepEqual(toPatch({ label: 'x', notes: 3, tags: ['a', 1], lists: ['l'], starred: true, other: 1 }), {
      label: 'x',
      lists: ['l'],
      starred: true,
    });
    assert.equal(toPatch(null), null);
    assert.equal(toPatch('label'), null);
    assert.equal(toPatch({ notes: 1 }), null);
  });
});
