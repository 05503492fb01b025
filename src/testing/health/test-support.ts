/**
 * The numeric fields every health report carries: what `sae-explorer evaluate --json`
 * prints and `health.export` writes, and scripts read. Written out here rather than taken
 * from the types, so a test fails when one goes missing.
 */
export const REPORT_NUMBER_FIELDS: readonly string[] = [
  'l0',
  'variance_explained',
  'mse',
  'l1',
  'ce_clean',
  'ce_recon',
  'ce_zero',
  'ce_loss_recovered',
  'kl_recon',
  'dead',
  'dense',
];
