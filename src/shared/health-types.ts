/**
 * Payloads and results of the requests about: SAE health: evaluation metrics and dictionary comparison (`health.*`).
 * Pure: zod and types only. contract.ts merges `healthRequests` into the contract.
 *
 * Metric names are snake_case on purpose: they are the names the SAE papers and SAELens use,
 * and the same objects are what `sae-explorer evaluate --json` prints and `health.export` writes.
 */
import { z } from 'zod';
import type { DensityBin } from './index-types.ts';
import { request, type RequestDef } from './request-def.ts';

/** Tokens evaluated when no `maxTokens` is given. */
export const DEFAULT_EVAL_TOKENS = 100_000;

/** How the prepended BOS position was treated by an evaluation. */
export type BosHandling =
  /** The SAE was trained without BOS: every position counts. */
  | 'none'
  /**
   * As SAELens evaluates: BOS keeps its clean activation in the reconstruction and the
   * zero-ablation runs alike (its keys and values come from the untouched model), and it
   * counts in no metric.
   */
  | 'kept-clean'
  /** The model has no KV-cache I/O, so the BOS position was reconstructed (and zero-ablated) too; it counts in no metric. */
  | 'replaced';

/** The numbers by which the SAE papers judge an SAE, over one corpus. */
export interface HealthMetrics {
  /** Mean number of active (nonzero) latents per token. */
  readonly l0: number;
  /** Mean sum of the latents' absolute values per token. */
  readonly l1: number;
  /** Mean squared error of the reconstruction, over tokens and dimensions: Σ‖x − x̂‖² / (tokens · d_in). */
  readonly mse: number;
  /** Fraction of variance unexplained, batch-wise: Σ‖x − x̂‖² / Σ‖x − mean(x)‖² (null when the variance is 0). */
  readonly fvu: number | null;
  /** 1 − fvu. */
  readonly variance_explained: number | null;
  /** Mean next-token cross-entropy (nats) of the untouched model. */
  readonly ce_clean: number;
  /** The same with the hook replaced by the SAE reconstruction. */
  readonly ce_recon: number;
  /** The same with the hook zero-ablated. */
  readonly ce_zero: number;
  /** (ce_zero − ce_recon) / (ce_zero − ce_clean); null when ce_zero equals ce_clean. */
  readonly ce_loss_recovered: number | null;
  /** Mean KL(clean ‖ reconstructed) of the next-token distributions (nats). */
  readonly kl_recon: number;
  /** Mean KL(clean ‖ zero-ablated) (nats), the scale kl_recon is read against. */
  readonly kl_zero: number;
  /** Latents never active on the evaluated tokens. */
  readonly dead: number;
  /** Latents active on more than 10% of the evaluated tokens. */
  readonly dense: number;
  /** Latents in the SAE. */
  readonly d_sae: number;
  /** log10(density) of the live latents, 50 bins over [log10(1/tokens), 0]. */
  readonly density_histogram: readonly DensityBin[];
}

/** One stored evaluation: the metrics, what they were computed on, and how. */
export interface HealthReport extends HealthMetrics {
  /** Row id in health.sqlite (export and lookups by id). */
  readonly id: number;
  readonly model: string;
  readonly sae: string;
  /** The hook the SAE was spliced at. */
  readonly hook: string;
  readonly corpus: string;
  /** The token budget asked for (the evaluation stops once this many tokens are in). */
  readonly max_tokens: number;
  /** Window length in tokens, BOS included (the index's windows). */
  readonly context: number;
  /**
   * The JSONL / Parquet field the texts were read from (`text` by default). With the model,
   * SAE, hook, corpus, budget and context, what tells one stored evaluation from another.
   */
  readonly text_field: string;
  readonly architecture: string;
  /** Tokens in the per-token metrics (BOS not counted). */
  readonly tokens: number;
  /** Next-token predictions in the CE metrics (a window's last position predicts nothing). */
  readonly predictions: number;
  readonly documents: number;
  readonly windows: number;
  readonly bos: BosHandling;
  /** Where dead/dense/density come from: this evaluation's own capture over the same windows. */
  readonly density_source: 'evaluation';
  /** The execution provider the sessions ran on. */
  readonly provider: string;
  readonly seconds: number;
  /** Epoch milliseconds. */
  readonly created_at: number;
}

/** What `health.evaluate` answers: the job doing the work. */
export interface HealthEvaluateResult {
  readonly job: string;
  /** True when the same evaluation (selection, corpus, budget, context, text field) was already running and this is its job. */
  readonly running: boolean;
}

/** One A latent with its best match in B. */
export interface HealthPair {
  /** Latent of A. */
  readonly a: number;
  /** B's latent whose decoder row is closest to A's. */
  readonly b: number;
  /** Their decoder rows' cosine similarity. */
  readonly cosine: number;
}

/** One bin of the similarity histogram. */
export interface SimilarityBin {
  readonly lo: number;
  readonly hi: number;
  readonly count: number;
}

/** One side of a comparison. */
export interface HealthCompareSide {
  readonly sae: string;
  readonly hook: string | null;
  readonly d_in: number;
  readonly d_sae: number;
  /** True when this is the workspace's SAE (its latents have feature pages). */
  readonly current: boolean;
}

/** Two dictionaries compared by the cosine of their decoder rows. */
export interface HealthComparison {
  readonly a: HealthCompareSide;
  readonly b: HealthCompareSide;
  /** Share of A's latents whose best cosine with B is above 0.9, 0.8 and 0.7. */
  readonly shares: { readonly above_0_9: number; readonly above_0_8: number; readonly above_0_7: number };
  readonly mean_max_cosine: number;
  readonly median_max_cosine: number;
  /** Histogram of A's best cosines, 50 bins over [0, 1] (a negative best cosine counts in the first bin). */
  readonly histogram: readonly SimilarityBin[];
  /** One page of A's latents with their best match, in the order asked for. */
  readonly pairs: {
    readonly total: number;
    readonly offset: number;
    readonly limit: number;
    readonly order: CompareOrder;
    readonly items: readonly HealthPair[];
  };
  /** Seconds the decoder comparison took (0 when it came from the cache). */
  readonly seconds: number;
}

/** Orders of the matched pairs. */
export const compareOrders = ['desc', 'asc', 'latent'] as const;
export type CompareOrder = (typeof compareOrders)[number];

/** The JSON of one report, ready to save. */
export interface HealthExport {
  readonly fileName: string;
  readonly json: string;
}

const path = z.string().min(1);
const maxTokens = z
  .number()
  .int()
  .positive()
  .max(1 << 30);
/** Window length in tokens, BOS included. */
const contextLength = z
  .number()
  .int()
  .min(2)
  .max(1 << 16);

/** Names a stored evaluation; every field defaults to the workspace's selection. */
const selectionQuery = z
  .object({
    /** A stored report's id (wins over the other fields). */
    id: z.number().int().positive().optional(),
    model: path.optional(),
    sae: path.optional(),
    hook: path.optional(),
    corpus: path.optional(),
    /** Absent: the newest evaluation of the selection, whatever its budget. */
    maxTokens: maxTokens.optional(),
    /** Window length; absent: any. */
    context: contextLength.optional(),
    /** Text field; absent: any. */
    textField: z.string().min(1).optional(),
  })
  .strict();

/** Payload of `health.evaluate`. */
export const healthEvaluatePayload = z
  .object({
    /** Default: the workspace's corpus. */
    corpus: path.optional(),
    /** Default 100,000. */
    maxTokens: maxTokens.optional(),
    /** Window length, BOS included; default: the workspace index's, else 128. */
    context: contextLength.optional(),
    /** JSONL / Parquet text field (default `text`). */
    textField: z.string().min(1).optional(),
  })
  .strict();

/** Payload of `health.compare`. */
export const healthComparePayload = z
  .object({
    /** SAE A: default the workspace's. */
    a: path.optional(),
    /** SAE B: folder or file. */
    b: path,
    offset: z.number().int().nonnegative().default(0),
    limit: z.number().int().min(1).max(500).default(50),
    order: z.enum(compareOrders).default('desc'),
  })
  .strict();

/** Every request of this area, by name; each entry with JSDoc (see contract.ts). */
export const healthRequests = {
  /**
   * Starts evaluating the workspace's SAE on a corpus as a job (`job.progress` phases: load,
   * evaluate): L0, L1, MSE, variance explained, CE loss clean / reconstructed / zero-ablated,
   * CE loss recovered, KL, dead and dense latents, density histogram. The report is stored
   * in health.sqlite when the job is done, replacing the one of the same selection, corpus,
   * budget, context and text field. Answers the job (the same evaluation already running is
   * not started twice). The job fails, storing nothing, if the workspace has switched to
   * another model or SAE by the time it takes the engine.
   */
  'health.evaluate': request<HealthEvaluateResult>()(healthEvaluatePayload),

  /** The stored report of a selection (default: the workspace's), or null when it was never evaluated. */
  'health.get': request<HealthReport | null>()(selectionQuery),

  /** One stored report as pretty JSON with a file name to save it under; not_found when there is none. */
  'health.export': request<HealthExport>()(selectionQuery),

  /**
   * Compares two SAEs on the same hook by decoder cosine: for each latent of A the best
   * cosine with any latent of B, the shares above 0.9 / 0.8 / 0.7, their histogram, and one
   * page of matched pairs. Results are cached, so paging does not recompute.
   */
  'health.compare': request<HealthComparison>()(healthComparePayload),
} as const satisfies Record<string, RequestDef<z.ZodType, unknown>>;
