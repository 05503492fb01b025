import { useEffect, useState } from 'react';
import type { JobInfo } from '#shared/contract.ts';
import { formatDuration, formatProgress } from '#shared/format.ts';
import { useApi, useEvent, useRequest } from '../api/api-context.tsx';
import { RetryJob } from '../components/RetryJob.tsx';
import { Badge, Button, Card, ErrorNote, ScreenHeader } from '../components/ui.tsx';

/** Long work (indexing, downloads, evaluation): live state and progress, when it ran, cancel, retry and resume. */
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
  const now = useClock(jobs.some((j) => j.state === 'queued' || j.state === 'running'));

  return (
    <>
      <ScreenHeader
        title="Jobs"
        lead="Indexing, downloads and evaluations run in the background. Their progress shows here live; they can be cancelled, and a failed or cancelled one retried (an index resumes where it stopped)."
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
                <JobRow key={job.id} job={job} now={now} onCancel={() => void api.request('jobs.cancel', { job: job.id })} />
              ))}
            </ul>
          )}
        </Card>
      )}
    </>
  );
}

/** The time now, ticking every second while `running` (so running jobs' durations move). */
function useClock(running: boolean): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    setNow(Date.now());
    if (!running) return;
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, [running]);
  return now;
}

/** When a job started, as a time today or a date and time before. */
function startedAt(ms: number, now: number): string {
  const d = new Date(ms);
  return d.toDateString() === new Date(now).toDateString() ? d.toLocaleTimeString() : d.toLocaleString();
}

const tones = { queued: 'muted', running: 'accent', done: 'good', failed: 'bad', cancelled: 'muted' } as const;

function JobRow({ job, now, onCancel }: { job: JobInfo; now: number; onCancel: () => void }) {
  const p = job.progress;
  const fraction = p && p.total ? Math.min(1, p.done / p.total) : undefined;
  const open = job.state === 'queued' || job.state === 'running';
  const took = formatDuration((job.finishedAt ?? Math.max(now, job.createdAt)) - job.createdAt);
  return (
    <li className="py-3" data-testid="job" data-job={job.id} data-state={job.state}>
      <div className="flex items-center gap-3">
        <span className="min-w-0 flex-1 truncate text-sm font-medium">{job.title}</span>
        <Badge tone={tones[job.state]}>{job.state}</Badge>
        {open && <Button onClick={onCancel}>Cancel</Button>}
      </div>
      <p className="mt-0.5 text-xs text-zinc-500 dark:text-zinc-400" data-testid="job-times">
        started <time dateTime={new Date(job.createdAt).toISOString()}>{startedAt(job.createdAt, now)}</time> ·{' '}
        {open ? `running for ${took}` : `took ${took}`}
      </p>
      {p && (
        <div className="mt-2">
          <progress className="h-1.5 w-full accent-violet-600" max={1} value={fraction} aria-label={`${job.title} progress`} />
          <p className="mt-1 text-xs text-zinc-500">{formatProgress(p, { rateDigits: 1 })}</p>
        </div>
      )}
      {job.error && <p className="mt-1 text-xs break-words text-rose-600 dark:text-rose-400">{job.error}</p>}
      {job.retriedAs ? (
        <p className="mt-1 text-xs text-zinc-500 dark:text-zinc-400">
          {job.state === 'cancelled' ? 'Resumed' : 'Retried'}: the newer job above.
        </p>
      ) : (
        job.retryable && (
          <div className="mt-2">
            <RetryJob job={job} />
          </div>
        )
      )}
    </li>
  );
}
