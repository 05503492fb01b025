/**
 * SAELens `model_from_pretrained_kwargs`: what TransformerLens did to the model the SAE was
 * trained on. SAELens loads it with `HookedTransformer.from_pretrained_no_processing(**kwargs)`,
 * so every weight-processing flag is off unless these kwargs turn it on, and each one changes
 * the activations at some hooks and not at others:
 *
 * - `center_writing_weights`: W_E, W_pos, W_O, b_O, W_out, b_out lose their mean over d_model,
 *   so everything written to the residual stream is mean-free: `hook_embed`, the residual
 *   hooks, `hook_attn_out`, `hook_mlp_out` (and `attn.hook_result`) equal the unprocessed
 *   tensor minus its per-token mean. `attn.hook_z` (before W_O) and the MLP internals are
 *   unchanged. (TransformerLens applies it to LayerNorm models only; on RMSNorm models it is
 *   skipped, which the graph side knows and this file does not.)
 * - `fold_ln`: folds LayerNorm weights into the next layer; changes `ln*.hook_normalized` only.
 * - `center_unembed`: shifts logits by a per-token constant; log-probs and hooks unchanged.
 * - `fold_value_biases`: moves b_V into b_O; changes `attn.hook_v`, `hook_z`, `hook_result`.
 * - `refactor_factored_attn_matrices`: rebalances W_Q/W_K and W_V/W_O; changes
 *   `attn.hook_q`, `hook_k`, `hook_v`, `hook_z`, `hook_result`.
 */
import { SaeFileError } from './errors.ts';

/** What the kwargs mean for the SAE's hook. */
export interface ModelKwargsEffect {
  /** Subtract the per-token mean over d_model at the hook before encoding. */
  readonly centerWritingWeights: boolean;
  /** `default_prepend_bos`, when the kwargs set it. */
  readonly prependBos?: boolean;
}

/** How a hook relates to the processing flags. */
type HookGroup = 'residual-write' | 'attn-heads' | 'ln-normalized' | 'unaffected' | 'unknown';

function hookGroup(hook: string): HookGroup {
  if (/^hook_(embed|pos_embed)$/.test(hook)) return 'residual-write';
  if (/^blocks\.\d+\.hook_(resid_pre|resid_mid|resid_post|attn_out|mlp_out|attn_in|mlp_in|q_input|k_input|v_input)$/.test(hook)) {
    return 'residual-write';
  }
  if (/^blocks\.\d+\.attn\.hook_(z|v|q|k|result)$/.test(hook)) return 'attn-heads';
  if (/^(blocks\.\d+\.ln(1|2)(_post)?|ln_final)\.hook_normalized$/.test(hook)) return 'ln-normalized';
  if (/^blocks\.\d+\.(mlp\.hook_(pre|post|pre_linear)|attn\.hook_(attn_scores|pattern|rot_q|rot_k))$/.test(hook)) return 'unaffected';
  return 'unknown';
}

/** Kwargs that never change activations or log-probs (devices, dtypes, optional hook points). */
const HARMLESS = new Set([
  'device',
  'n_devices',
  'dtype',
  'torch_dtype',
  'move_to_device',
  'default_padding_side',
  'trust_remote_code',
  'attn_implementation',
  'low_cpu_mem_usage',
  'use_attn_result',
  'use_split_qkv_input',
  'use_hook_mlp_in',
  'use_attn_in',
  'use_hook_tokens',
  'n_ctx',
  'first_n_layers',
  'center_unembed',
]);

/** The processing flags, and which hook groups each one changes. */
const PROCESSING: Readonly<Record<string, readonly HookGroup[]>> = {
  fold_ln: ['ln-normalized'],
  fold_value_biases: ['attn-heads'],
  refactor_factored_attn_matrices: ['attn-heads'],
};

/** The kwargs this file understands, for error messages. */
export const KNOWN_MODEL_KWARGS: readonly string[] = [
  'center_writing_weights',
  'default_prepend_bos',
  ...Object.keys(PROCESSING),
  ...HARMLESS,
];

/**
 * Decide what `model_from_pretrained_kwargs` means at `hook`, or refuse: a flag that changes the
 * activations at this hook in a way the engine cannot reproduce, or a kwarg we do not know
 * (it may change them), is a SaeFileError naming `file` and the kwarg.
 *
 * @param where how to name the kwargs in errors, e.g. `metadata.model_from_pretrained_kwargs`.
 * @param hook the hook the SAE reads (undefined when unknown: only hook-independent checks run).
 */
export function modelKwargsEffect(
  kwargs: Readonly<Record<string, unknown>>,
  hook: string | undefined,
  file: string,
  where = 'model_from_pretrained_kwargs',
): ModelKwargsEffect {
  const group = hook === undefined ? undefined : hookGroup(hook);
  const bool = (key: string): boolean | undefined => {
    const v = kwargs[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'boolean') throw new SaeFileError(file, `${where}.${key} must be true or false, got ${JSON.stringify(v)}`);
    return v;
  };
  let centerWritingWeights = false;
  let prependBos: boolean | undefined;
  for (const key of Object.keys(kwargs)) {
    if (HARMLESS.has(key)) continue;
    if (key === 'default_prepend_bos') {
      prependBos = bool(key);
      continue;
    }
    if (key === 'center_writing_weights') {
      if (bool(key) !== true) continue;
      if (group === 'unknown') {
        throw new SaeFileError(
          file,
          `${where}.center_writing_weights is true and hook ${hook ?? ''} is not one whose centring we know; not supported`,
        );
      }
      // Only tensors written to the residual stream are centred; z, q, k, v, MLP internals and
      // LayerNorm outputs (mean-free anyway) are not.
      centerWritingWeights = group === undefined || group === 'residual-write';
      continue;
    }
    const changes = PROCESSING[key];
    if (changes) {
      if (bool(key) !== true || group === undefined) continue;
      if (group === 'unknown' || changes.includes(group)) {
        throw new SaeFileError(
          file,
          `${where}.${key} is true: TransformerLens's ${key} changes the activations at hook ${hook ?? ''}, which this app cannot reproduce`,
        );
      }
      continue;
    }
    throw new SaeFileError(
      file,
      `${where}.${key} (${JSON.stringify(kwargs[key])}) is not supported: it may change the model's activations, ` +
        `so the SAE would not see what it was trained on (supported: ${KNOWN_MODEL_KWARGS.join(', ')})`,
    );
  }
  return prependBos === undefined ? { centerWritingWeights } : { centerWritingWeights, prependBos };
}
