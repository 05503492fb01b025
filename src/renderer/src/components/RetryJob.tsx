import { useState } from 'react';
import type { JobInfo, JobRemedy } from '#shared/contract.ts';
import { useApi } from '../api/api-context.tsx';
import { Checkbox } from './Checkbox.tsx';
import { Button } from './ui.tsx';

/** How each remedy is offered. */
const remedyLabels: Record<JobRemedy, string> = {
  'replace-invalid-utf8': 'Replace invalid bytes (read them as U+FFFD)',
};

/**
 * Retry (or, for a cancelled job, Resume) with the remedies the job's failure offers as
 * choices, checked: retrying as it was would fail the same way unless its input changed.
 */
export function RetryJob({ job }: { job: JobInfo }) {
  const api = useApi();
  const remedies = job.remedies ?? [];
  const [chosen, setChosen] = useState<JobRemedy | null>(remedies[0] ?? null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const verb = job.state === 'cancelled' ? 'Resume' : 'Retry';

  const retry = async (): Promise<void> => {
    setBusy(true);
    setError(null);
    const reply = await api.request('jobs.retry', { job: job.id, ...(chosen ? { remedy: chosen } : {}) });
    setBusy(false);
    // success shows as the job's events: the new job runs, the old one says what retried it
    if (!reply.ok) setError(reply.error.message);
  };

  return (
    <div className="flex flex-wrap items-center gap-x-4 gap-y-2 text-xs" data-testid="retry-job">
      {remedies.map((r) => (
        <Checkbox key={r} checked={chosen === r} onChange={(on) => setChosen(on ? r : null)}>
          {remedyLabels[r]}
        </Checkbox>
      ))}
      <Button onClick={() => void retry()} disabled={busy} label={`${verb} ${job.title}`}>
        {busy ? `${verb === 'Retry' ? 'Retrying' : 'Resuming'}…` : verb}
      </Button>
      {error && (
        <p role="alert" className="basis-full text-rose-600 dark:text-rose-400">
          {error}
        </p>
      )}
    </div>
  );
}
