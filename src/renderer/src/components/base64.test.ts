import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bytesToBase64 } from './base64.ts';

test('bytes to base64, past one slice, equal to Node’s encoder', () => {
  const bytes = Uint8Array.from({ length: 100_003 }, (_, i) => (i * 7919) % 256);
  assert.equal(bytesToBase64(bytes), Buffer.from(bytes).toString('base64'));
  assert.equal(bytesToBase64(new Uint8Array()), '');
});
