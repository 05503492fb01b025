/**
 * The preprocessing an SAE applies to the hook tensor before encoding, in words for the
 * info panel: TransformerLens centring, what the loader folded into the weights, and the
 * per-token normalisation.
 */
import type { SaeConfig } from './types.ts';

/**
 * A short human-readable description, e.g. `center_writing_weights: mean over d_model
 * subtracted at the hook`; `none` when the SAE reads the hook tensor as it is.
 */
export function describePreprocessing(config: SaeConfig): string {
  const parts: string[] = [];
  if (config.centerWritingWeights === true) parts.push('center_writing_weights: mean over d_model subtracted at the hook');
  if (config.foldedPreprocessing) parts.push(config.foldedPreprocessing);
  if (config.normalize === 'constant_norm_rescale') parts.push('each token rescaled to norm √d_in (constant_norm_rescale)');
  if (config.normalize === 'layer_norm') parts.push('each token standardised over d_in (layer_norm)');
  return parts.length ? parts.join('; ') : 'none';
}
