import assert from 'node:assert/strict';
import { test } from 'node:test';
import { JobFailure } from '../kernel/jobs.ts';
import { AppError } from '#shared/reply.ts';
import { indexJobFailure } from './job-failure.ts';
import { decodeUtf8 } from './utf8.ts';

test('a corpus that is not UTF-8 fails with the replace-invalid-utf8 remedy instead of CLI advice', () => {
  let thrown: unknown;
  try {
    decodeUtf8(new Uint8Array([0x61, 0xff, 0x62]), 'error', 'corpus.jsonl line 3', 100);
  } catch (e) {
    thrown = e;
  }
  // as it reaches the app: the worker passes the message on as an AppError
  const failure = indexJobFailure(new AppError('internal', (thrown as Error).message));
  assert.ok(failure instanceof JobFailure);
  assert.deepEqual(failure.remedies, ['replace-invalid-utf8']);
  assert.match(failure.message, /^corpus\.jsonl line 3: invalid UTF-8 at byte 101\. Retry with “replace invalid bytes”/);
  assert.doesNotMatch(failure.message, /--invalid-utf8/);
});

test('other index errors pass through unchanged', () => {
  const e = new AppError('unavailable', 'disk full while writing x.sqlite');
  assert.equal(indexJobFailure(e), e);
});
