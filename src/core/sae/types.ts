/**
 * The one in-memory shape every SAE format is loaded into. Whatever the file said, the
 * loader folds it into this form so the graph builder has a single path:
 *
 *   x_n   = normalise(x)                       (none | constant_norm_rescale | layer_norm)
 *   a     = encode_arch(x_n)                   (architecture-specific, below)
 *   x_hat = denormalise(a · W_dec + b_dec)
 *
 * The latent value `a_i` is always the coefficient of `W_dec[i]` in the reconstruction,
 * so clamping a latent means the same thing for every architecture.
 */
export type SaeArchitecture = 'standard' | 'topk' | 'jumprelu' | 'gated' | 'switch';

/** How each token is normalised before encoding (and de-normalised after decoding). */
export type SaeNormalization = 'none' | 'constant_norm_rescale' | 'layer_norm';

/** The on-disk format an SAE was loaded from. */
export type SaeFormat = 'saelens' | 'gemmascope' | 'sparsify' | 'switch' | 'llamascope' | 'dictionary_learning';

/** A dense float32 tensor, row-major. */
export interface Tensor {
  readonly data: Float32Array;
  readonly shape: readonly number[];
}

/**
 * Loaded SAE parameters in float32, shapes fixed:
 * - `W_enc` [d_in, d_sae], `W_dec` [d_sae, d_in], `b_dec` [d_in]
 * - `b_enc` [d_sae] (all but gated and switch)
 * - `threshold` [d_sae] (jumprelu)
 * - `b_gate`, `r_mag`, `b_mag` [d_sae] (gated)
 * - `W_router` [d_in, n_experts], `b_router` [d_in] (switch)
 *
 * Encodings, with xc = x_n − b_dec when `applyBDecToInput` else x_n:
 * - standard: a = ReLU(xc·W_enc + b_enc)
 * - topk:     pre = xc·W_enc + b_enc; keep the k largest of pre, then ReLU
 * - jumprelu: pre = xc·W_enc + b_enc; a = ReLU(pre · [pre > threshold])
 * - gated:    a = [xc·W_enc + b_gate > 0] · ReLU(xc·(W_enc ⊙ exp(r_mag)) + b_mag)
 * - switch:   z = ReLU((x_n − b_dec)·W_enc); p = softmax((x_n − b_router)·W_router);
 *             keep the argmax expert's contiguous block of d_sae/n_experts latents times its
 *             probability; then the k largest.
 *
 * TopK's `rescale_acts_by_decoder_norm` is folded in at load time (W_enc, b_enc scaled by
 * ‖W_dec[i]‖, W_dec rows divided by it), so no consumer needs to know about it.
 */
export interface SaeParams {
  readonly W_enc: Tensor;
  readonly W_dec: Tensor;
  readonly b_dec: Tensor;
  readonly b_enc?: Tensor;
  readonly threshold?: Tensor;
  readonly b_gate?: Tensor;
  readonly r_mag?: Tensor;
  readonly b_mag?: Tensor;
  readonly W_router?: Tensor;
  readonly b_router?: Tensor;
}

/** Everything about an SAE except its weights. */
export interface SaeConfig {
  readonly architecture: SaeArchitecture;
  readonly dIn: number;
  readonly dSae: number;
  /** TransformerLens hook name, e.g. `blocks.2.hook_resid_pre`; undefined when the files do not say. */
  readonly hookName: string | undefined;
  /** topk and switch: latents kept per token. */
  readonly k?: number;
  /** switch: number of experts (d_sae divisible by it). */
  readonly nExperts?: number;
  readonly applyBDecToInput: boolean;
  readonly normalize: SaeNormalization;
  /** Whether text fed to this SAE gets a BOS token prepended (SAELens `prepend_bos`). */
  readonly prependBos: boolean;
  readonly modelName?: string;
  /** Training context size when the cfg gives one. */
  readonly contextSize?: number;
  /** The dtype the cfg names (`float32`, `bfloat16`, …; a `torch.` prefix dropped), informational only. */
  readonly cfgDtype?: string;
  /**
   * TransformerLens `center_writing_weights` at a hook it affects (see tl-kwargs.ts): the engine
   * subtracts the per-token mean over d_model from the hook tensor before encoding.
   * TransformerLens skips the centring on RMSNorm models, so the graph side must too.
   */
  readonly centerWritingWeights?: boolean;
  /** SAELens `model_from_pretrained_kwargs` as the cfg (or the catalog) gave them, for display. */
  readonly modelFromPretrainedKwargs?: Readonly<Record<string, unknown>>;
  /** Neuronpedia id (`model/source`), from the cfg's `neuronpedia_id` or the catalog. */
  readonly neuronpediaId?: string;
  /**
   * Preprocessing folded into the weights at load time, in words (e.g. Llama Scope's
   * dataset-wise norm); shown to the user beside the hook's own preprocessing.
   */
  readonly foldedPreprocessing?: string;
}

/** A loaded SAE: config, float32 weights, and where they came from. */
export interface Sae {
  readonly config: SaeConfig;
  readonly params: SaeParams;
  readonly source: {
    /** The folder or file the user named. */
    readonly path: string;
    /** The weights file actually read. */
    readonly weightsFile: string;
    readonly format: SaeFormat;
    /** The on-disk dtype of the weights (F32, F16, BF16). */
    readonly dtype: string;
  };
}
