/** A stored evaluation as a JSON file and as text (CLI). */
import path from 'node:path';
import type { HealthExport, HealthMetrics, HealthReport } from '#shared/health-types.ts';

/** The report as pretty JSON with a file name naming the SAE, corpus and budget. */
export function exportReport(r: HealthReport): HealthExport {
  const stem = (p: string): string => path.basename(p, path.extname(p)).replace(/[^\w.-]+/g, '_') || 'x';
  return {
    fileName: `health-${stem(r.sae)}-${stem(r.corpus)}-${r.max_tokens}.json`,
    json: `${JSON.stringify(r, null, 2)}\n`,
  };
}

const fmt = (v: number | null, digits = 4): string => (v === null ? '–' : Number.isInteger(v) ? String(v) : v.toFixed(digits));

/** The metrics as aligned lines for a terminal. */
export function metricsText(m: HealthMetrics & { tokens: number; predictions: number }): string {
  const rows: [string, string][] = [
    ['L0 (active latents / token)', fmt(m.l0, 2)],
    ['L1 (Σ|a| / token)', fmt(m.l1, 3)],
    ['variance explained', fmt(m.variance_explained)],
    ['MSE (per element)', fmt(m.mse, 6)],
    ['CE loss clean', fmt(m.ce_clean)],
    ['CE loss with SAE', fmt(m.ce_recon)],
    ['CE loss zero-ablated', fmt(m.ce_zero)],
    ['CE loss recovered', fmt(m.ce_loss_recovered)],
    ['KL(clean ‖ SAE)', fmt(m.kl_recon)],
    ['dead latents', `${m.dead} of ${m.d_sae}`],
    ['dense latents (> 10%)', `${m.dense} of ${m.d_sae}`],
    ['tokens / predictions', `${m.tokens} / ${m.predictions}`],
  ];
  const w = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${k.padEnd(w)}  ${v}`).join('\n');
}
