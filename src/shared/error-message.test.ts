import assert from 'node:assert/strict';
import { test } from 'node:test';
import { errorFirstLine, errorMessage } from './error-message.ts';

test('errorMessage: an Error gives its message, anything else its text', () => {
  assert.equal(errorMessage(new TypeError('bad shape')), 'bad shape');
  assert.equal(errorMessage('disk full'), 'disk full');
  assert.equal(errorMessage(42), '42');
  assert.equal(errorMessage(undefined), 'undefined');
});

test('errorFirstLine keeps the first line only', () => {
  assert.equal(errorFirstLine(new Error('engine was closed\n    at Engine.capture (engine.ts:1:1)')), 'engine was closed');
  assert.equal(errorFirstLine('one line'), 'one line');
  assert.equal(errorFirstLine(new Error('')), '');
});
