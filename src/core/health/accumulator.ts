/**
 * Running sums of an evaluation, in float64, and the metrics they give. Kept apart from
 * the loop that feeds them so the definitions sit in one place:
 *
 * - per token (BOS excluded): L0 = mean #(a > 0), L1 = mean Σ|a|, MSE = Σ‖x − x̂‖² / (N·d),
 *   FVU = Σ‖x − x̂‖² / Σ‖x − mean(x)‖² with the mean per dimension over all N tokens
 *   (batch-wise, as SAELens' explained variance and the reference cases' `fvu`);
 * - per prediction (a window's positions but its last, BOS excluded): mean NLL clean /
 *   reconstructed / zero-ablated; per position (last included, as SAELens): mean KL;
 * - per latent: how many tokens it is active on (dead, dense, density histogram).
 */
import type { HealthMetrics } from '#shared/health-types.ts';
import { DENSE_DENSITY } from '../index/bins.ts';
import { densityHistogram } from '../index/finalize.ts';

/** The sums an evaluation keeps while it runs. */
export class HealthAccumulator {
  /** Tokens counted in the per-token metrics. */
  tokens = 0;
  predictions = 0;
  klPositions = 0;
  private activeSum = 0;
  private l1Sum = 0;
  private errSum = 0;
  private readonly xSum: Float64Array;
  private readonly xSqSum: Float64Array;
  /** Tokens each latent was active on. */
  readonly counts: Float64Array;
  private nllClean = 0;
  private nllRecon = 0;
  private nllZero = 0;
  private klRecon = 0;
  private klZero = 0;

  constructor(
    readonly dIn: number,
    readonly dSae: number,
  ) {
    this.xSum = new Float64Array(dIn);
    this.xSqSum = new Float64Array(dIn);
    this.counts = new Float64Array(dSae);
  }

  /**
   * One token: its top latents (values[o .. o + k), ids alike; zeros mean fewer were active,
   * and k must cover every active latent) and its hook input and reconstruction at xo.
   */
  addToken(values: Float32Array, indices: Int32Array, o: number, k: number, x: Float32Array, xHat: Float32Array, xo: number): void {
    this.tokens++;
    for (let j = 0; j < k; j++) {
      const v = values[o + j]!;
      if (v !== 0) {
        this.activeSum++;
        this.l1Sum += Math.abs(v);
        this.counts[indices[o + j]!]!++;
      }
    }
    const d = this.dIn;
    let err = 0;
    for (let i = 0; i < d; i++) {
      const xi = x[xo + i]!;
      const e = xi - xHat[xo + i]!;
      err += e * e;
      this.xSum[i]! += xi;
      this.xSqSum[i]! += xi * xi;
    }
    this.errSum += err;
  }

  /** One position's losses; `predicts` is false for a window's last position (no next token). */
  addPosition(predicts: boolean, nllClean: number, nllRecon: number, nllZero: number, klRecon: number, klZero: number): void {
    if (predicts) {
      this.predictions++;
      this.nllClean += nllClean;
      this.nllRecon += nllRecon;
      this.nllZero += nllZero;
    }
    this.klPositions++;
    this.klRecon += klRecon;
    this.klZero += klZero;
  }

  /** The metrics of everything added so far. */
  metrics(): HealthMetrics {
    const n = this.tokens;
    let total = 0;
    for (let i = 0; i < this.dIn; i++) total += this.xSqSum[i]! - (this.xSum[i]! * this.xSum[i]!) / n;
    const fvu = n > 0 && total > 0 ? this.errSum / total : null;
    const ceClean = this.nllClean / this.predictions;
    const ceRecon = this.nllRecon / this.predictions;
    const ceZero = this.nllZero / this.predictions;
    const counts = Array.from(this.counts);
    return {
      l0: this.activeSum / n,
      l1: this.l1Sum / n,
      mse: this.errSum / (n * this.dIn),
      fvu,
      variance_explained: fvu === null ? null : 1 - fvu,
      ce_clean: ceClean,
      ce_recon: ceRecon,
      ce_zero: ceZero,
      ce_loss_recovered: ceZero !== ceClean ? (ceZero - ceRecon) / (ceZero - ceClean) : null,
      kl_recon: this.klRecon / this.klPositions,
      kl_zero: this.klZero / this.klPositions,
      dead: counts.filter((c) => c === 0).length,
      dense: counts.filter((c) => n > 0 && c / n > DENSE_DENSITY).length,
      d_sae: this.dSae,
      density_histogram: densityHistogram(counts, n),
    };
  }
}
