/** Whether the workspace's index stopped short of complete with nothing at work on it, and why. Pure. */
import type { JobInfo } from '#shared/contract.ts';
import type { WorkspaceInfo } from '#shared/workspace-types.ts';

/** An index that is not complete and that no job is building. */
export interface IndexProblem {
  /** `failed`: the job failed (or could not start); `stopped`: it was cancelled, or stopped in an earlier run of the app. */
  readonly state: 'failed' | 'stopped';
  /** What went wrong, in words. */
  readonly message: string;
  /** The job to retry (`jobs.retry`), when there is one that can be. */
  readonly job: JobInfo | null;
}

/** The workspace's index problem, or null while its index is complete, being built, or not wanted. */
export function indexProblem(info: WorkspaceInfo): IndexProblem | null {
  if (!info.selection?.corpus || info.indexJob || info.index?.state === 'complete') return null;
  const job = info.lastIndexJob;
  const retryable = job?.retryable ? job : null;
  if (job?.state === 'failed') return { state: 'failed', message: job.error ?? 'the index job failed', job: retryable };
  if (job?.state === 'cancelled') {
    return {
      state: 'stopped',
      message: 'The index job was cancelled; what it committed is kept, and resuming goes on from there.',
      job: retryable,
    };
  }
  // half built in an earlier run of the app, and this run could not resume it (why: info.error)
  if (info.index) {
    return {
      state: info.error ? 'failed' : 'stopped',
      message: info.error ?? 'Indexing stopped before the end. Open the model again on the Models screen to resume it.',
      job: null,
    };
  }
  return null;
}
