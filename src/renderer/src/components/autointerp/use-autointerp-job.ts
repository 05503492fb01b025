import { useCallback, useRef, useState } from 'react';
import type { AutoExplanation } from '#shared/autointerp-types.ts';
import type { JobProgress, JobState, PayloadInput } from '#shared/contract.ts';
import { useApi, useEvent } from '../../api/api-context.tsx';

/** What the UI knows of one autointerp job, from its events. */
export interface AutointerpJobView {
  readonly job: string;
  readonly state: JobState;
  readonly error: string | null;
  readonly progress: JobProgress | null;
  /** Streamed explanation text by feature (jobs started with `stream`). */
  readonly text: ReadonlyMap<number, string>;
  /** The latest stored result by feature (explanation, then with its scores). */
  readonly results: ReadonlyMap<number, AutoExplanation>;
  /** Features finished in this job (done or failed). */
  readonly finished: number;
  readonly failed: number;
  /** Features asked for, and of them already stored when it started. */
  readonly features: number;
  readonly stored: number;
}

interface Acc {
  text: Map<number, string>;
  results: Map<number, AutoExplanation>;
  finished: number;
  failed: number;
  state: JobState;
  error: string | null;
  progress: JobProgress | null;
}

const fresh = (): Acc => ({ text: new Map(), results: new Map(), finished: 0, failed: 0, state: 'running', error: null, progress: null });

/**
 * Starts `autointerp.start` jobs and follows the latest one through its events (which may
 * arrive before the start reply: they are kept per job id). `onResult` runs for each
 * feature finished, `onEnd` once the job is final.
 */
export function useAutointerpJob(options: { onResult?: (e: AutoExplanation) => void; onEnd?: (state: JobState) => void } = {}) {
  const api = useApi();
  const acc = useRef(new Map<string, Acc>());
  const [current, setCurrent] = useState<{ job: string; features: number; stored: number } | null>(null);
  const [, bump] = useState(0);
  const [startError, setStartError] = useState<string | null>(null);
  const latest = useRef(options);
  latest.current = options;
  const jobAcc = (job: string): Acc => {
    let a = acc.current.get(job);
    if (!a) acc.current.set(job, (a = fresh()));
    return a;
  };
  const touch = (): void => bump((n) => n + 1);

  useEvent('autointerp.text', (t) => {
    const a = jobAcc(t.job);
    a.text.set(t.feature, (a.text.get(t.feature) ?? '') + t.text);
    touch();
  });
  useEvent('autointerp.result', (r) => {
    const a = jobAcc(r.job);
    if (r.explanation) a.results.set(r.feature, r.explanation);
    if (r.done) {
      a.finished++;
      if (r.stage === 'failed') a.failed++;
      else if (r.explanation) latest.current.onResult?.(r.explanation);
    }
    touch();
  });
  useEvent('job.progress', (p) => {
    const a = acc.current.get(p.job);
    if (!a) return;
    a.progress = p;
    touch();
  });
  useEvent('job.state', (s) => {
    if (s.kind !== 'autointerp') return;
    const a = jobAcc(s.job);
    a.state = s.state;
    a.error = s.error ?? null;
    if (s.state === 'done' || s.state === 'failed' || s.state === 'cancelled') latest.current.onEnd?.(s.state);
    touch();
  });

  const start = useCallback(
    async (payload: PayloadInput<'autointerp.start'>): Promise<boolean> => {
      setStartError(null);
      const r = await api.request('autointerp.start', payload);
      if (!r.ok) {
        setStartError(r.error.message);
        return false;
      }
      jobAcc(r.value.job);
      setCurrent({ job: r.value.job, features: r.value.features, stored: r.value.stored });
      return true;
    },
    [api],
  );
  const cancel = useCallback(() => {
    if (current) void api.request('jobs.cancel', { job: current.job });
  }, [api, current]);

  const a = current ? acc.current.get(current.job) : undefined;
  const view: AutointerpJobView | null =
    current && a
      ? {
          job: current.job,
          features: current.features,
          stored: current.stored,
          state: a.state,
          error: a.error,
          progress: a.progress,
          text: a.text,
          results: a.results,
          finished: a.finished,
          failed: a.failed,
        }
      : null;
  return { view, start, cancel, startError };
}
