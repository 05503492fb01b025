import { formatProgress } from '#shared/format.ts';
import type { AutointerpJobView } from './use-autointerp-job.ts';

/** The batch job's state and progress. */
export function BatchJobStatus({ view }: { view: AutointerpJobView }) {
  const p = view.progress;
  return (
    <div className="mt-2" data-testid="batch-explain-job" data-state={view.state}>
      {p && p.total ? (
        <progress className="h-1.5 w-full accent-violet-600" max={1} value={Math.min(1, p.done / p.total)} aria-label="explain progress" />
      ) : null}
      <p className="mt-1 text-zinc-500 dark:text-zinc-400">
        {view.state}
        {p ? ` · ${formatProgress(p, { unit: 'features', rateDigits: 2 })}` : ''}
        {view.stored ? ` · ${view.stored.toLocaleString()} already stored` : ''}
        {view.failed ? ` · ${view.failed} failed` : ''}
      </p>
    </div>
  );
}
