import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isTypingTarget, listKey, listNav, type ListNavAction, type ListNavState } from './list-nav.ts';

function run(state: ListNavState, ...actions: ListNavAction[]): ListNavState {
  return actions.reduce(listNav, state);
}

describe('list navigation reducer', () => {
  test('j from nothing lands on the first row, k on the last', () => {
    assert.equal(listNav({ active: -1, count: 5 }, { type: 'move', delta: 1 }).active, 0);
    assert.equal(listNav({ active: -1, count: 5 }, { type: 'move', delta: -1 }).active, 4);
  });

  test('moves stop at the ends', () => {
    const s = run({ active: 0, count: 3 }, { type: 'move', delta: -1 });
    assert.equal(s.active, 0);
    assert.equal(
      run({ active: 1, count: 3 }, { type: 'move', delta: 1 }, { type: 'move', delta: 1 }, { type: 'move', delta: 1 }).active,
      2,
    );
    assert.equal(run({ active: 1, count: 300 }, { type: 'move', delta: 10 }).active, 11);
    assert.equal(run({ active: 5, count: 300 }, { type: 'move', delta: -10 }).active, 0);
  });

  test('first, last and set', () => {
    assert.equal(run({ active: 4, count: 9 }, { type: 'first' }).active, 0);
    assert.equal(run({ active: 4, count: 9 }, { type: 'last' }).active, 8);
    assert.equal(run({ active: 4, count: 9 }, { type: 'set', index: 7 }).active, 7);
    assert.equal(run({ active: 4, count: 9 }, { type: 'set', index: 70 }).active, 8);
    assert.equal(run({ active: 4, count: 9 }, { type: 'set', index: -1 }).active, -1);
  });

  test('an empty list has no active row', () => {
    assert.equal(run({ active: -1, count: 0 }, { type: 'move', delta: 1 }).active, -1);
    assert.equal(run({ active: 3, count: 9 }, { type: 'count', count: 0 }).active, -1);
  });

  test('a shrinking list pulls the active row in; growing keeps it', () => {
    assert.deepEqual(run({ active: 8, count: 9 }, { type: 'count', count: 4 }), { active: 3, count: 4 });
    assert.deepEqual(run({ active: 2, count: 4 }, { type: 'count', count: 400 }), { active: 2, count: 400 });
    assert.deepEqual(run({ active: -1, count: 4 }, { type: 'count', count: 40 }), { active: -1, count: 40 });
  });
});

describe('keys', () => {
  test('j/k and arrows move, Enter opens, modifiers and other keys do nothing', () => {
    assert.deepEqual(listKey({ key: 'j' }), { type: 'move', delta: 1 });
    assert.deepEqual(listKey({ key: 'ArrowUp' }), { type: 'move', delta: -1 });
    assert.deepEqual(listKey({ key: 'PageDown' }, 20), { type: 'move', delta: 20 });
    assert.deepEqual(listKey({ key: 'End' }), { type: 'last' });
    assert.equal(listKey({ key: 'Enter' }), 'open');
    assert.equal(listKey({ key: 'j', ctrlKey: true }), null);
    assert.equal(listKey({ key: 'x' }), null);
  });

  test('typing targets: text inputs, textareas, selects, contenteditable; not checkboxes or buttons', () => {
    assert.equal(isTypingTarget({ tagName: 'INPUT', type: 'text' }), true);
    assert.equal(isTypingTarget({ tagName: 'input' }), true);
    assert.equal(isTypingTarget({ tagName: 'TEXTAREA' }), true);
    assert.equal(isTypingTarget({ tagName: 'DIV', isContentEditable: true }), true);
    assert.equal(isTypingTarget({ tagName: 'INPUT', type: 'checkbox' }), false);
    assert.equal(isTypingTarget({ tagName: 'BUTTON' }), false);
    assert.equal(isTypingTarget(null), false);
  });
});
