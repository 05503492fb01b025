/** Which shard a process is: --shard I/N, or the scheduler's environment (Kubernetes, Slurm). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ownsRecord, parseShard, shardFromEnvironment } from './shard.ts';

test('--shard I/N is 0-based and checked', () => {
  assert.deepEqual(parseShard('2/3'), { index: 2, count: 3 });
  assert.deepEqual(parseShard(' 0 / 1 '), { index: 0, count: 1 });
  assert.throws(() => parseShard('3/3'), /shard 3 is not one of 0…2 \(shard numbers are 0-based\)/);
  assert.throws(() => parseShard('1/0'), /number of shards must be ≥ 1/);
  assert.throws(() => parseShard('1of3'), /--shard must be I\/N/);
});

test('records are dealt round-robin by ordinal: every record in exactly one shard', () => {
  for (let n = 1; n <= 5; n++) {
    for (let r = 0; r < 50; r++) {
      const owners = Array.from({ length: n }, (_, i) => i).filter((i) => ownsRecord({ index: i, count: n }, r));
      assert.deepEqual(owners, [r % n]);
    }
  }
});

test('Kubernetes Indexed Job: JOB_COMPLETION_INDEX with --shards N', () => {
  assert.deepEqual(shardFromEnvironment('4', { JOB_COMPLETION_INDEX: '3' }), { index: 3, count: 4 });
  assert.throws(
    () => shardFromEnvironment('4', { JOB_COMPLETION_INDEX: '4' }),
    /JOB_COMPLETION_INDEX=4 with --shards 4: shard 4 is not one of 0…3/,
  );
  assert.throws(() => shardFromEnvironment('auto', { JOB_COMPLETION_INDEX: '0' }), /pass --shards N \(= completions\)/);
});

test('Slurm array: the task id less SLURM_ARRAY_TASK_MIN, so 1-based arrays work too', () => {
  const slurm = (id: number, min: number, count: number): NodeJS.ProcessEnv => ({
    SLURM_ARRAY_TASK_ID: String(id),
    SLURM_ARRAY_TASK_MIN: String(min),
    SLURM_ARRAY_TASK_MAX: String(min + count - 1),
    SLURM_ARRAY_TASK_COUNT: String(count),
    SLURM_ARRAY_TASK_STEP: '1',
  });
  assert.deepEqual(shardFromEnvironment('auto', slurm(0, 0, 3)), { index: 0, count: 3 });
  assert.deepEqual(shardFromEnvironment('auto', slurm(3, 1, 3)), { index: 2, count: 3 });
  assert.deepEqual(shardFromEnvironment('3', slurm(1, 1, 3)), { index: 0, count: 3 });
  assert.throws(() => shardFromEnvironment('4', slurm(1, 1, 3)), /--shards 4 but the Slurm array has 3 tasks/);
  // ids that are not one range: --array=1,3,7 or a step
  assert.throws(
    () => shardFromEnvironment('auto', { ...slurm(3, 1, 3), SLURM_ARRAY_TASK_MAX: '7' }),
    /not one contiguous range of 3 tasks: submit with --array=0-2/,
  );
  assert.throws(() => shardFromEnvironment('auto', { ...slurm(2, 0, 3), SLURM_ARRAY_TASK_STEP: '2' }), /step 1/);
  // without SLURM_ARRAY_TASK_MIN the ids are taken as 0-based
  assert.deepEqual(shardFromEnvironment('auto', { SLURM_ARRAY_TASK_ID: '2', SLURM_ARRAY_TASK_COUNT: '3' }), { index: 2, count: 3 });
  assert.throws(() => shardFromEnvironment('auto', { SLURM_ARRAY_TASK_ID: '3', SLURM_ARRAY_TASK_COUNT: '3' }), /0-based/);
  assert.throws(() => shardFromEnvironment('3', {}), /neither JOB_COMPLETION_INDEX .* nor SLURM_ARRAY_TASK_ID/);
});
