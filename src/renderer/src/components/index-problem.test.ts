import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { JobInfo } from '#shared/contract.ts';
import type { IndexStatus } from '#shared/index-types.ts';
import type { WorkspaceInfo } from '#shared/workspace-types.ts';
import { indexProblem } from './index-problem.ts';

const job = (over: Partial<JobInfo>): JobInfo => ({
  id: 'index-1',
  kind: 'index',
  title: 'Index demo',
  state: 'running',
  createdAt: 0,
  ...over,
});
const status = (state: IndexStatus['state']): IndexStatus => ({
  db: '/d/c.sqlite',
  state,
  model: '/m',
  sae: '/s',
  hook: 'blocks.0.hook_resid_pre',
  architecture: 'topk',
  dSae: 8,
  context: 16,
  corpus: '/c.jsonl',
  tokens: 0,
  documents: 0,
  windows: 0,
  activations: 0,
  bytes: 0,
});
const info = (over: Partial<WorkspaceInfo>): WorkspaceInfo => ({
  selection: { model: '/m', sae: '/s', corpus: '/c.jsonl' },
  engine: null,
  db: '/d/c.sqlite',
  index: null,
  indexJob: null,
  lastIndexJob: null,
  error: null,
  ...over,
});

test('a failed index job is a failure with its error and, when retryable, the job to retry', () => {
  const failed = job({
    state: 'failed',
    error: 'c.jsonl line 2: invalid UTF-8 at byte 9',
    retryable: true,
    remedies: ['replace-invalid-utf8'],
  });
  const p = indexProblem(info({ lastIndexJob: failed, index: status('indexing') }));
  assert.deepEqual(p, { state: 'failed', message: failed.error, job: failed });
  assert.equal(indexProblem(info({ lastIndexJob: { ...failed, retryable: false } }))?.job, null);
});

test('a cancelled job is a stop that can be resumed', () => {
  const p = indexProblem(info({ lastIndexJob: job({ state: 'cancelled', retryable: true }) }));
  assert.equal(p?.state, 'stopped');
  assert.equal(p?.job?.id, 'index-1');
});

test('nothing is wrong while a job runs, once the index is complete, or without a corpus', () => {
  assert.equal(indexProblem(info({ indexJob: 'index-2', lastIndexJob: job({ id: 'index-2' }) })), null);
  const complete = status('complete');
  assert.equal(indexProblem(info({ index: complete, lastIndexJob: job({ state: 'failed' }) })), null);
  assert.equal(indexProblem(info({ selection: { model: '/m', sae: '/s' }, lastIndexJob: job({ state: 'failed' }) })), null);
  assert.equal(indexProblem(info({})), null);
});

test('a half-built index nothing resumes says so, with the reason when there is one', () => {
  const index = status('indexing');
  assert.equal(indexProblem(info({ index }))?.state, 'stopped');
  assert.deepEqual(indexProblem(info({ index, error: 'indexing c.jsonl could not start: locked' })), {
    state: 'failed',
    message: 'indexing c.jsonl could not start: locked',
    job: null,
  });
});
