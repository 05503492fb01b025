import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AppError } from '#shared/reply.ts';
import { EventBus } from './events.ts';
import { JobFailure, JobRegistry } from './jobs.ts';

const failing =
  (message: string, remedies: readonly 'replace-invalid-utf8'[] = []) =>
  async () => {
    throw remedies.length ? new JobFailure('bad_request', message, remedies) : new Error(message);
  };

test('a failed job with a retry runs again, with the remedy its failure offered, once', async () => {
  const jobs = new JobRegistry(new EventBus());
  const calls: (string | undefined)[] = [];
  const retry = async (remedy: string | undefined): Promise<string> => {
    calls.push(remedy);
    return jobs.start('index', 'Index again', async () => {}).id;
  };
  const first = jobs.start('index', 'Index corpus', failing('corpus.jsonl line 2: invalid UTF-8 at byte 7', ['replace-invalid-utf8']), {
    retry,
  });
  const failed = await jobs.wait(first.id);
  assert.equal(failed.state, 'failed');
  assert.equal(failed.retryable, true);
  assert.deepEqual(failed.remedies, ['replace-invalid-utf8']);

  const [a, b] = await Promise.all([jobs.retry(first.id, 'replace-invalid-utf8'), jobs.retry(first.id, 'replace-invalid-utf8')]);
  assert.equal(a.id, b.id, 'a second ask answers the same retry');
  assert.deepEqual(calls, ['replace-invalid-utf8']);
  assert.equal((await jobs.wait(a.id)).state, 'done');
  const old = jobs.get(first.id);
  assert.equal(old?.retriedAs, a.id);
  assert.equal(old?.retryable, false);
});

test('retry refuses what cannot be retried, naming why', async () => {
  const jobs = new JobRegistry(new EventBus());
  const code = async (p: Promise<unknown>): Promise<string> =>
    p.then(
      () => 'ok',
      (e: unknown) => (e instanceof AppError ? e.code : 'not an AppError'),
    );

  const done = jobs.start('eval', 'Evaluate', async () => {}, { retry: async () => 'x' });
  await jobs.wait(done.id);
  assert.equal(await code(jobs.retry(done.id)), 'conflict');

  const plain = jobs.start('download', 'Download', failing('offline'));
  const failed = await jobs.wait(plain.id);
  assert.equal(failed.retryable, undefined);
  assert.equal(failed.remedies, undefined);
  assert.equal(await code(jobs.retry(plain.id)), 'conflict');

  const noRemedy = jobs.start('index', 'Index', failing('disk full'), {
    retry: async () => jobs.start('index', 'again', async () => {}).id,
  });
  await jobs.wait(noRemedy.id);
  assert.equal(await code(jobs.retry(noRemedy.id, 'replace-invalid-utf8')), 'bad_request');
  assert.equal(await code(jobs.retry('no-such-job')), 'not_found');
});

test('setRetry makes a cancelled job retryable by its owner', async () => {
  const jobs = new JobRegistry(new EventBus());
  const info = jobs.start(
    'index',
    'Index',
    (ctx) => new Promise((_, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason))),
  );
  jobs.setRetry(info.id, async () => jobs.start('index', 'Index (resumed)', async () => {}).id);
  jobs.cancel(info.id);
  const cancelled = await jobs.wait(info.id);
  assert.equal(cancelled.state, 'cancelled');
  assert.equal(cancelled.retryable, true);
  const next = await jobs.retry(info.id);
  assert.equal(next.title, 'Index (resumed)');
});
