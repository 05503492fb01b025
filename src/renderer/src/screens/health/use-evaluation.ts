import { useEffect, useState, type FormEvent } from 'react';
import type { JobProgress } from '#shared/contract.ts';
import { DEFAULT_EVAL_TOKENS } from '#shared/health-types.ts';
import { useApi, useEvent, useRequest } from '../../api/api-context.tsx';
import { saveTextFile } from '../../components/save-file.ts';

const FINAL = new Set(['done', 'failed', 'cancelled']);

/**
 * The stored evaluation report and the evaluation job: the one running (started here or
 * earlier, elsewhere), its progress, and why the last one failed.
 */
export function useEvaluation() {
  const api = useApi();
  const report = useRequest('health.get', {});
  const [job, setJob] = useState<string | null>(null);
  const [progress, setProgress] = useState<JobProgress | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [maxTokens, setMaxTokens] = useState(String(DEFAULT_EVAL_TOKENS));

  // an evaluation started earlier (another visit, another window) keeps reporting here
  useEffect(() => {
    void api.request('jobs.list', { states: ['queued', 'running'] }).then((r) => {
      const running = r.ok ? r.value.find((j) => j.kind === 'eval') : undefined;
      if (running) {
        setJob(running.id);
        if (running.progress) setProgress(running.progress);
      }
    });
  }, [api]);
  useEvent('job.progress', (p) => {
    if (p.job === job) setProgress(p);
  });
  useEvent('job.state', (s) => {
    if (s.job !== job || !FINAL.has(s.state)) return;
    setJob(null);
    setProgress(null);
    if (s.state === 'failed') setError(s.error ?? 'the evaluation failed');
    report.reload();
  });
  useEvent('workspace.changed', report.reload);

  const run = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    const n = Number(maxTokens);
    const reply = await api.request('health.evaluate', Number.isInteger(n) && n > 0 ? { maxTokens: n } : {});
    if (reply.ok) setJob(reply.value.job);
    else setError(reply.error.message);
  };

  const exportJson = async (id: number) => {
    const reply = await api.request('health.export', { id });
    if (reply.ok) saveTextFile(reply.value.fileName, 'application/json', reply.value.json);
    else setError(reply.error.message);
  };

  const cancel = (running: string): void => void api.request('jobs.cancel', { job: running });

  return { report, job, progress, error, maxTokens, setMaxTokens, run, exportJson, cancel };
}
