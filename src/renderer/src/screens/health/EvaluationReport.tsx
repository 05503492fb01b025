import type { ReactNode } from 'react';
import { formatShare } from '#shared/format.ts';
import type { HealthReport } from '#shared/health-types.ts';
import { formatLog10, formatMetric } from './format.ts';
import { HealthHistogram } from './HealthHistogram.tsx';

/** One metric: its value, with what it means. */
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
export function EvaluationReport({ r }: { r: HealthReport }) {
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
