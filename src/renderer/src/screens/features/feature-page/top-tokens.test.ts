import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { FeatureExample } from '#shared/contract.ts';
import { topTokenSummary } from './top-tokens.ts';

/** An example activating on `token` with `value`, its context around it. */
const ex = (token: string, value: number, window: number): FeatureExample => ({
  window,
  position: 3,
  value,
  start: 2,
  tokens: [' two', token, '.'],
  values: [0, value, 0],
});

test('the activating tokens of the top examples, counted, most first, then strongest', () => {
  const got = topTokenSummary([ex(' years', 9, 0), ex(' months', 9.5, 1), ex(' years', 7, 2), ex(' weeks', 6, 3), ex(' days', 6, 4)]);
  assert.deepEqual(got, [
    { text: ' years', count: 2, max: 9 },
    { text: ' months', count: 1, max: 9.5 },
    { text: ' weeks', count: 1, max: 6 },
    { text: ' days', count: 1, max: 6 },
  ]);
  assert.deepEqual(topTokenSummary([]), []);
});
