import assert from 'node:assert/strict';
import { test } from 'node:test';
import { chatMessages, DEFAULT_SWEEP, emptyDraft, parseFactors } from './draft.ts';

test('sweep factors as typed: commas or spaces, numbers only, 1 to 16 of them', () => {
  assert.deepEqual(parseFactors(DEFAULT_SWEEP), { factors: [0, 0.5, 1, 2, 4, 8] });
  assert.deepEqual(parseFactors('0 4  16'), { factors: [0, 4, 16] });
  assert.deepEqual(parseFactors('-1, 1e1'), { factors: [-1, 10] });
  assert.deepEqual(parseFactors(' , '), { problem: 'Sweep: type the factors, e.g. 0, 0.5, 1, 2, 4, 8.' });
  assert.deepEqual(parseFactors('1, x'), { problem: 'Sweep: “x” is not a number.' });
  assert.deepEqual(parseFactors(Array.from({ length: 17 }, (_, i) => i).join(',')), { problem: 'Sweep: at most 16 factors.' });
});

test('a chat draft sends its system message only when one is typed', () => {
  const turns = [
    { role: 'user' as const, content: 'Hi' },
    { role: 'assistant' as const, content: 'Hello' },
  ];
  assert.deepEqual(chatMessages({ ...emptyDraft.chat, turns }), turns);
  assert.deepEqual(chatMessages({ ...emptyDraft.chat, system: '  ', turns }), turns);
  assert.deepEqual(chatMessages({ ...emptyDraft.chat, system: 'Be brief.', turns }), [{ role: 'system', content: 'Be brief.' }, ...turns]);
});
