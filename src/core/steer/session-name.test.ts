import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defaultName } from './run.ts';

test('a session is named after its prompt in quotes, never doubled', () => {
  const clamp = [{ feature: 118, mode: 'clamp' as const, value: 8, positions: 'all' as const }];
  assert.equal(defaultName('The meeting was held on May', clamp), '"The meeting was held on May" · clamp 118=8');
  const name = defaultName('"We will win", the governor', clamp);
  assert.equal(name, '“"We will win", the governor” · clamp 118=8');
  assert.doesNotMatch(name, /""/);
});
