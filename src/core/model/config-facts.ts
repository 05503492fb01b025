/** Facts read from a model's HF config.json, whose key names differ across families. */

/** The residual width (undefined when the config names none). */
export function hiddenSize(cfg: Record<string, unknown>): number | undefined {
  for (const k of ['hidden_size', 'n_embd', 'd_model']) if (typeof cfg[k] === 'number') return cfg[k];
  return undefined;
}

/** The longest window a model takes (undefined when the config names none). */
export function modelMaxPositions(config: Record<string, unknown>): number | undefined {
  for (const k of ['n_positions', 'max_position_embeddings', 'n_ctx']) if (typeof config[k] === 'number') return config[k];
  return undefined;
}
