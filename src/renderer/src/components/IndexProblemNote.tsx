import type { IndexProblem } from './index-problem.ts';
import { RetryJob } from './RetryJob.tsx';

/** An index that stopped short: why, and Retry / Resume with the remedies its failure offers. */
export function IndexProblemNote({ problem }: { problem: IndexProblem }) {
  const failed = problem.state === 'failed';
  return (
    <div
      role={failed ? 'alert' : 'status'}
      data-testid="index-problem"
      data-state={problem.state}
      className={
        failed
          ? 'rounded-lg border border-rose-200 bg-rose-50 p-4 text-sm dark:border-rose-900/60 dark:bg-rose-950/40'
          : 'rounded-lg border border-amber-200 bg-amber-50 p-4 text-sm dark:border-amber-900/60 dark:bg-amber-950/30'
      }
    >
      <p className={failed ? 'font-medium text-rose-800 dark:text-rose-200' : 'font-medium text-amber-900 dark:text-amber-200'}>
        {failed ? 'Indexing failed' : 'Indexing stopped'}
      </p>
      <p className={failed ? 'mt-1 break-words text-rose-700 dark:text-rose-300' : 'mt-1 break-words text-amber-800 dark:text-amber-300'}>
        {problem.message}
      </p>
      {problem.job && (
        <div className="mt-3">
          <RetryJob job={problem.job} />
        </div>
      )}
    </div>
  );
}
