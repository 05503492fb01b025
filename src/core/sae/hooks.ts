/**
 * Guessing a TransformerLens hook name from where an SAE's files live, for formats whose
 * files do not name it (sparsify folders like `layers.6`, Gemma Scope paths like `layer_20/…`).
 */
import path from 'node:path';

function segments(p: string): string[] {
  return path.resolve(p).split(/[\\/]+/).filter(Boolean).reverse(); // nearest folder first
}

/**
 * sparsify names each SAE's folder after its hookpoint module: `layers.6` (or `h.6`,
 * `model.layers.6`) → `blocks.6.hook_resid_post`; `layers.6.mlp` → `blocks.6.hook_mlp_out`;
 * `embed_tokens` → `hook_embed`. Undefined when no segment matches.
 */
export function hookFromSparsifyPath(p: string): string | undefined {
  for (const seg of segments(p)) {
    if (seg === 'embed_tokens') return 'hook_embed';
    const m = /^(?:.*\.)?(?:layers|h)[._](\d+)(\.mlp)?$/.exec(seg);
    if (m) return m[2] ? `blocks.${m[1]}.hook_mlp_out` : `blocks.${m[1]}.hook_resid_post`;
  }
  return undefined;
}

/**
 * Gemma Scope paths carry the layer as `layer_L` (e.g. `gemma-scope-2b-pt-res/layer_20/width_16k/…`)
 * → `blocks.L.hook_resid_post`; releases named `…-mlp…` give `blocks.L.hook_mlp_out` and
 * `…-att…` give `blocks.L.attn.hook_z`. Undefined when no `layer_L` segment is found.
 */
export function hookFromGemmaScopePath(p: string): string | undefined {
  const segs = segments(p);
  const layer = segs.map((s) => /^layer_(\d+)$/.exec(s)?.[1]).find((l) => l !== undefined);
  if (layer === undefined) return undefined;
  const release = segs.find((s) => /gemma-scope/i.test(s)) ?? '';
  if (/-mlp(?:-|$)/i.test(release)) return `blocks.${layer}.hook_mlp_out`;
  if (/-att(?:-|$)/i.test(release)) return `blocks.${layer}.attn.hook_z`;
  return `blocks.${layer}.hook_resid_post`;
}
