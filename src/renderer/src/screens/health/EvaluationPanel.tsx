import { useEffect, useState, type FormEvent, type ReactNode } from 'react';
import type { JobProgress, WorkspaceInfo } from '../../../../shared/contract.ts';
import { formatProgress, formatShare } from '../../../../shared/format.ts';
import { DEFAULT_EVAL_TOKENS, type HealthReport } from '../../../../shared/health-types.ts';
import { useApi, useEvent, useRequest } from '../../api/api-context.tsx';
import { saveTextFile } from '../../components/save-file.ts';
import { Badge, Button, Card, ErrorNote } from '../../components/ui.tsx';
import { formatLog10, formatMetric } from './format.ts';
import { HealthHistogram } from './HealthHistogram.tsx';

const FINAL = new Set(['done', 'failed', 'cancelled']);

function Metric({ id, label, value, children }: { id: string; label: string; value: ReactNode; children: ReactNode }) {
  return (
    <div className="rounded-lg border border-zinc-200 p-3 dark:border-zinc-800" data-testid={`metric-${id}`}>
      <div className="text-xs font-medium text-zinc-500 dark:text-zinc-400">{label}</div>
      <div className="mt-1 font-mono text-lg font-semibold tabular-nums text-zinc-900 dark:text-zinc-50" data-testid="metric-value">
        {value}
      </div>
      <p className="mt-1 text-xs leading-snug text-zinc-500 dark:text-zinc-400">{children}</p>
    </div>
  );
}

const bosWords: Record<HealthReport['bos'], string> = {
  none: 'the SAE takes no BOS',
  'kept-clean': 'BOS kept clean and left out of every metric (as SAELens)',
  replaced: 'BOS reconstructed too (the model has no KV cache) and left out of every metric',
};

/** The numbers of one report, with what each means, and its density histogram. */
function Report({ r }: { r: HealthReport }) {
  const pct = (v: number | null): string => (v === null ? '–' : formatShare(v, 2));
  return (
    <div data-testid="health-metrics">
      <div className="grid grid-cols-1 gap-3 sm:grid-cols-2 lg:grid-cols-4">
        <Metric id="l0" label="L0" value={formatMetric(r.l0)}>
          Active latents per token, on average. Lower is sparser.
        </Metric>
        <Metric id="variance_explained" label="Variance explained" value={pct(r.variance_explained)}>
          1 − Σ‖x − x̂‖² / Σ‖x − mean‖² over all tokens: how much of the activation the reconstruction keeps.
        </Metric>
        <Metric id="ce_loss_recovered" label="CE loss recovered" value={pct(r.ce_loss_recovered)}>
          (zero − SAE) / (zero − clean): 100% means splicing the SAE in costs the model nothing; 0% is as bad as zeroing the hook.
        </Metric>
        <Metric id="kl_recon" label="KL divergence" value={formatMetric(r.kl_recon)}>
          KL(clean ‖ with SAE) of the next-token distributions, nats per token (zero-ablation: {formatMetric(r.kl_zero)}).
        </Metric>
        <Metric id="ce_clean" label="CE loss, clean" value={formatMetric(r.ce_clean)}>
          Mean next-token loss (nats) of the untouched model.
        </Metric>
        <Metric id="ce_recon" label="CE loss, with SAE" value={formatMetric(r.ce_recon)}>
          The same with the hook activation replaced by the SAE's reconstruction.
        </Metric>
        <Metric id="ce_zero" label="CE loss, zero-ablated" value={formatMetric(r.ce_zero)}>
          The same with the hook activation set to zero: the worst case the SAE is judged against.
        </Metric>
        <Metric id="mse" label="MSE" value={formatMetric(r.mse)}>
          Mean squared reconstruction error per element, Σ‖x − x̂‖² / (tokens · d_in).
        </Metric>
        <Metric id="l1" label="L1" value={formatMetric(r.l1)}>
          Mean sum of latent magnitudes per token.
        </Metric>
        <Metric id="dead" label="Dead latents" value={`${r.dead.toLocaleString()} / ${r.d_sae.toLocaleString()}`}>
          Never active on these tokens ({formatShare(r.dead / r.d_sae)}).
        </Metric>
        <Metric id="dense" label="Dense latents" value={`${r.dense.toLocaleString()} / ${r.d_sae.toLocaleString()}`}>
          Active on more than 10% of tokens: often uninterpretable.
        </Metric>
      </div>
      <div className="mt-5">
        <h3 className="text-sm font-medium">Feature density</h3>
        <p className="text-xs text-zinc-500 dark:text-zinc-400">
          The share of tokens each live latent fires on, on a log scale; dead latents are left out.
        </p>
        <HealthHistogram bins={r.density_histogram} label={formatLog10} unit="latents" testId="density-histogram" />
      </div>
      <p className="mt-4 text-xs text-zinc-500 dark:text-zinc-400" data-testid="health-basis">
        {r.tokens.toLocaleString()} tokens ({r.predictions.toLocaleString()} next-token predictions) from {r.documents.toLocaleString()}{' '}
        documents of <span className="font-mono">{r.corpus}</span>, windows of {r.context} tokens, {bosWords[r.bos]}; hook{' '}
        <span className="font-mono">{r.hook}</span>, run on {r.provider} in {r.seconds.toFixed(1)} s on{' '}
        {new Date(r.created_at).toLocaleString()}. Density from this evaluation's own pass over the same windows.
      </p>
    </div>
  );
}

/** Runs the evaluation on the workspace (a job with progress) and shows its stored report. */
export function EvaluationPanel({ info }: { info: WorkspaceInfo | null }) {
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

  const r = report.state.status === 'ready' ? report.state.value : null;
  const sel = info?.selection;
  const fraction = progress && progress.total ? Math.min(1, progress.done / progress.total) : undefined;
  return (
    <Card
      title={<span className="flex items-center gap-2">SAE health {r && <Badge tone="good">evaluated</Badge>}</span>}
      actions={
        r && (
          <Button onClick={() => void exportJson(r.id)} label="Export JSON">
            Export JSON
          </Button>
        )
      }
      data-testid="health-evaluation"
    >
      {!sel ? (
        <p className="text-sm text-zinc-600 dark:text-zinc-400">Open a model, an SAE and a corpus in Models first.</p>
      ) : (
        <form className="mb-5 flex flex-wrap items-end gap-3" onSubmit={(e) => void run(e)} aria-label="Run evaluation">
          <p className="min-w-0 flex-1 text-xs text-zinc-500 dark:text-zinc-400">
            <span className="font-mono">{sel.sae}</span> on <span className="font-mono">{sel.corpus ?? 'no corpus'}</span>
            {info?.index ? `, in the index's windows of ${info.index.context} tokens` : ''}.
          </p>
          <label className="text-xs">
            <span className="block font-medium">Max tokens</span>
            <input
              name="maxTokens"
              inputMode="numeric"
              value={maxTokens}
              onChange={(e) => setMaxTokens(e.target.value)}
              className="mt-1 w-28 rounded-md border border-zinc-300 bg-white px-2 py-1.5 font-mono text-xs dark:border-zinc-700 dark:bg-zinc-900"
            />
          </label>
          <Button type="submit" disabled={job !== null || !sel.corpus}>
            {job ? 'Evaluating…' : r ? 'Evaluate again' : 'Run evaluation'}
          </Button>
        </form>
      )}
      {job && (
        <div className="mb-5" data-testid="health-progress">
          <progress className="h-1.5 w-full accent-violet-600" max={1} value={fraction} aria-label="evaluation progress" />
          <p className="mt-1 text-xs text-zinc-500">{progress ? formatProgress(progress, { unit: 'tokens' }) : 'Starting…'}</p>
          <div className="mt-2">
            <Button onClick={() => void api.request('jobs.cancel', { job })}>Cancel</Button>
          </div>
        </div>
      )}
      {error && (
        <div className="mb-5">
          <ErrorNote title="The evaluation did not finish" message={error} />
        </div>
      )}
      {report.state.status === 'error' && (
        <ErrorNote title="Could not read the stored evaluation" message={report.state.error.message} onRetry={report.reload} />
      )}
      {r ? (
        <Report r={r} />
      ) : (
        report.state.status === 'ready' &&
        sel && (
          <p className="text-sm text-zinc-600 dark:text-zinc-400" data-testid="health-empty">
            Not evaluated yet. An evaluation runs the model four ways over the corpus (capture with reconstruction, untouched, with the SAE
            spliced in, with the hook zeroed) and keeps the numbers here.
          </p>
        )
      )}
    </Card>
  );
}
