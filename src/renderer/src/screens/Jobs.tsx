import { useEffect, useState } from 'react';
import type { JobInfo } from '../../../shared/contract.ts';
import { formatProgress } from '../../../shared/format.ts';
import { useApi, useEvent, useRequest } from '../api/api-context.tsx';
import { Badge, Button, Card, ErrorNote, ScreenHeader } from '../components/ui.tsx';

/** Long work (indexing, downloads, evaluation): live state and progress, cancel. */
export function Jobs() {
  const api = useApi();
  const { state, reload } = useRequest('jobs.list');
  const [jobs, setJobs] = useState<readonly JobInfo[]>([]);

  useEffect(() => {
    if (state.status === 'ready') setJobs(state.value);
  }, [state]);
  // A new or finished job: fetch the list again. Progress: patch the job in place.
  useEvent('job.state', reload);
  useEvent('job.progress', (p) => setJobs((list) => list.map((j) => (j.id === p.job ? { ...j, progress: p } : j))));

  return (
    <>
      <ScreenHeader
        title="Jobs"
        lead="Indexing, downloads and evaluations run in the background. Their progress shows here live; they can be cancelled and resumed."
      />
      {state.status === 'error' && <ErrorNote title="Could not list jobs" message={state.error.message} onRetry={reload} />}
      {state.status !== 'error' && (
        <Card title="Jobs" data-testid="jobs">
          {state.status === 'loading' && jobs.length === 0 ? (
            <p role="status" className="text-sm text-zinc-500">
              Loading…
            </p>
          ) : jobs.length === 0 ? (
            <p className="text-sm text-zinc-500 dark:text-zinc-400">No jobs yet. Jobs started from Models and Features will show here.</p>
          ) : (
            <ul className="divide-y divide-zinc-200 dark:divide-zinc-800">
              {jobs.map((job) => (
                <JobRow key={job.id} job={job} onCancel={() => void api.request('jobs.cancel', { job: job.id })} />
              ))}
            </ul>
          )}
        </Card>
      )}
    </>
  );
}

const tones = { queued: 'muted', running: 'accent', done: 'good', failed: 'bad', cancelled: 'muted' } as const;

function JobRow({ job, onCancel }: { job: JobInfo; onCancel: () => void }) {
  const p = job.progress;
  const fraction = p && p.total ? Math.min(1, p.done / p.total) : undefined;
  const open = job.state === 'queued' || job.state === 'running';
  return (
    <li className="py-3" data-testid="job" data-job={job.id}>
      <div className="flex items-center gap-3">
        <span className="min-w-0 flex-1 truncate text-sm font-medium">{job.title}</span>
        <Badge tone={tones[job.state]}>{job.state}</Badge>
        {open && <Button onClick={onCancel}>Cancel</Button>}
      </div>
      {p && (
        <div className="mt-2">
          <progress className="h-1.5 w-full accent-violet-600" max={1} value={fraction} aria-label={`${job.title} progress`} />
          <p className="mt-1 text-xs text-zinc-500">{formatProgress(p, { rateDigits: 1 })}</p>
        </div>
      )}
      {job.error && <p className="mt-1 text-xs text-rose-600 dark:text-rose-400">{job.error}</p>}
    </li>
  );
}
