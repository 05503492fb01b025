/**
 * Which part of a corpus one shard indexes, and how a scheduler's environment names it.
 *
 * Shard i of n owns the corpus records whose ordinal (reading order, counting documents,
 * empty documents and bad lines alike) is i mod n: round-robin, so shards get similar work,
 * and stable under reruns as long as the corpus is unchanged. Shard numbers are 0-based.
 *
 * - `--shard I/N`: given outright.
 * - `--shards N` in a Kubernetes Indexed Job: I = JOB_COMPLETION_INDEX (0 … completions − 1).
 * - `--shards N|auto` in a Slurm job array: I = SLURM_ARRAY_TASK_ID − SLURM_ARRAY_TASK_MIN, so
 *   `--array=1-8` and `--array=0-7` both work; N = SLURM_ARRAY_TASK_COUNT with `auto`. The ids
 *   must be one contiguous range with step 1 (`--array=0-7%4` throttling is fine, `1,3,7` or
 *   `0-14:2` are refused). Without SLURM_ARRAY_TASK_MIN (very old Slurm) the ids are taken as
 *   0-based: submit with `--array=0-(N-1)`.
 */
import { AppError } from '#shared/reply.ts';
import type { ShardSpec } from './types.ts';

/** Does shard `s` own the corpus record with this ordinal? */
export function ownsRecord(s: ShardSpec, ordinal: number): boolean {
  return ordinal % s.count === s.index;
}

/** `I/N` as a shard, with a clear error for anything else. */
export function parseShard(text: string): ShardSpec {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  if (!m) throw new AppError('bad_request', `--shard must be I/N (shard I of N, 0-based), got "${text}"`);
  return checkShard(Number(m[1]), Number(m[2]), `--shard ${text}`);
}

function checkShard(index: number, count: number, what: string): ShardSpec {
  if (!Number.isSafeInteger(count) || count < 1) throw new AppError('bad_request', `${what}: the number of shards must be ≥ 1`);
  if (!Number.isSafeInteger(index) || index < 0 || index >= count)
    throw new AppError('bad_request', `${what}: shard ${index} is not one of 0…${count - 1} (shard numbers are 0-based)`);
  return { index, count };
}

function envInt(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const v = env[name];
  if (v === undefined || v.trim() === '') return undefined;
  if (!/^\d+$/.test(v.trim())) throw new AppError('bad_request', `${name} must be a non-negative integer, got "${v}"`);
  return Number(v);
}

/**
 * The shard of this process from `--shards N|auto` and the scheduler's environment:
 * JOB_COMPLETION_INDEX (Kubernetes Indexed Job) first, else the Slurm array variables.
 */
export function shardFromEnvironment(shards: string, env: NodeJS.ProcessEnv = process.env): ShardSpec {
  const auto = shards.trim() === 'auto';
  if (!auto && !/^\d+$/.test(shards.trim())) throw new AppError('bad_request', `--shards must be a number or auto, got "${shards}"`);
  const given = auto ? undefined : Number(shards);
  const k8s = envInt(env, 'JOB_COMPLETION_INDEX');
  if (k8s !== undefined) {
    if (given === undefined)
      throw new AppError(
        'bad_request',
        '--shards auto: a Kubernetes Indexed Job does not tell its completions; pass --shards N (= completions)',
      );
    return checkShard(k8s, given, `JOB_COMPLETION_INDEX=${k8s} with --shards ${given}`);
  }
  const id = envInt(env, 'SLURM_ARRAY_TASK_ID');
  if (id === undefined) {
    throw new AppError(
      'bad_request',
      '--shards: neither JOB_COMPLETION_INDEX (Kubernetes Indexed Job) nor SLURM_ARRAY_TASK_ID (Slurm job array) is set; pass --shard I/N',
    );
  }
  const count = envInt(env, 'SLURM_ARRAY_TASK_COUNT');
  const min = envInt(env, 'SLURM_ARRAY_TASK_MIN');
  const max = envInt(env, 'SLURM_ARRAY_TASK_MAX');
  const step = envInt(env, 'SLURM_ARRAY_TASK_STEP');
  if (step !== undefined && step !== 1)
    throw new AppError(
      'bad_request',
      `SLURM_ARRAY_TASK_STEP=${step}: submit the array as one range with step 1 (--array=0-${(count ?? 1) - 1})`,
    );
  if (min !== undefined && max !== undefined && count !== undefined && max - min + 1 !== count) {
    throw new AppError(
      'bad_request',
      `the Slurm array ids ${min}…${max} are not one contiguous range of ${count} tasks: submit with --array=0-${count - 1}`,
    );
  }
  const n = given ?? count;
  if (n === undefined) throw new AppError('bad_request', '--shards auto: SLURM_ARRAY_TASK_COUNT is not set; pass --shards N');
  if (given !== undefined && count !== undefined && given !== count)
    throw new AppError('bad_request', `--shards ${given} but the Slurm array has ${count} tasks (SLURM_ARRAY_TASK_COUNT)`);
  const what = `SLURM_ARRAY_TASK_ID=${id}${min !== undefined ? ` − SLURM_ARRAY_TASK_MIN=${min}` : ''} of ${n}`;
  return checkShard(id - (min ?? 0), n, what);
}

/** How a shard is named in messages: `shard 1/3`. */
export function shardName(s: ShardSpec): string {
  return `shard ${s.index}/${s.count}`;
}
