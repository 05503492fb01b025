/** Model families the writer can emit. `gemma` is Llama with scaled embeddings, RMSNorm weight (1 + w), GeGLU and tied unembedding. */
export type ModelFamily = 'gpt2' | 'llama' | 'gemma';

/**
 * How norms appear in the graph:
 * - `decomposed`: elementwise ops, as torch.onnx exports them;
 * - `op`: one `LayerNormalization` (opset 17) / `SimplifiedLayerNormalization` node per norm;
 * - `fused`: ORT / onnxruntime-genai style `SkipLayerNormalization` / `SkipSimplifiedLayerNormalization`
 *   nodes replacing "residual Add + next norm" (output 3 holds the residual sum).
 */
export type NormStyle = 'decomposed' | 'op' | 'fused';

/** What to write. Every field but `family` has a default (tiny model, KV-cache I/O, decomposed norms). */
export interface ModelSpec {
  readonly family: ModelFamily;
  /** Vocabulary size (default 256: byte-level tokenizer, token id = UTF-8 byte). */
  readonly vocab?: number;
  /** Hidden size d (default 64). */
  readonly d?: number;
  /** Number of blocks (default 2). */
  readonly layers?: number;
  /** Attention heads (default 4). */
  readonly heads?: number;
  /** Key/value heads (grouped-query attention); gpt2 always uses `heads`. Default: heads / 2 for llama and gemma when even. */
  readonly kvHeads?: number;
  /** MLP width (default 4d for gpt2, 2.5d rounded for llama/gemma). */
  readonly ffn?: number;
  /** Maximum positions (gpt2 position-embedding rows; config value). Default 128. */
  readonly ctx?: number;
  /** Norm style (default `decomposed`). */
  readonly norm?: NormStyle;
  /** Shorthand for `norm: 'fused'`. */
  readonly fused?: boolean;
  /** KV-cache I/O with optimum names (default true). */
  readonly withPast?: boolean;
  /** PRNG seed for the weights (default 1). */
  readonly seed?: number;
  /** Tied unembedding (gpt2, gemma): a Transpose node on the embedding, or a transposed copy as initializer (default). */
  readonly unembed?: 'transpose-node' | 'transposed-initializer';
  /** Decomposed RMSNorm ends with `Reciprocal` + `Mul` or with `Div` (default: reciprocal for llama, div for gemma). */
  readonly rsqrt?: 'reciprocal' | 'div';
  /** Norm epsilon (default 1e-5 gpt2, 1e-6 llama/gemma). */
  readonly eps?: number;
  /** RoPE base (default 10000). */
  readonly theta?: number;
  /** Weights in `model.onnx_data` (ONNX external data): always, never (default), or when the file would pass ~1.5 GB. */
  readonly externalData?: boolean | 'auto';
  /** Write `onnx/model.onnx` (HF repo layout) instead of `model.onnx`. */
  readonly onnxSubfolder?: boolean;
  /**
   * Fused graphs: leave output 3 of the last skip norm unnamed, as ORT and onnxruntime-genai do
   * when nothing reads it. The last `hook_resid_post` then has no tensor (see `HookSite`).
   */
  readonly trimFinalSkipSum?: boolean;
}

/** A spec with every default filled in. */
export interface ResolvedSpec {
  readonly family: ModelFamily;
  readonly vocab: number;
  readonly d: number;
  readonly layers: number;
  readonly heads: number;
  readonly kvHeads: number;
  readonly headDim: number;
  readonly ffn: number;
  readonly ctx: number;
  readonly norm: NormStyle;
  readonly withPast: boolean;
  readonly seed: number;
  readonly unembed: 'transpose-node' | 'transposed-initializer';
  readonly rsqrt: 'reciprocal' | 'div';
  readonly eps: number;
  readonly theta: number;
  readonly externalData: boolean | 'auto';
  readonly onnxSubfolder: boolean;
  readonly trimFinalSkipSum: boolean;
}

/** Fills defaults and checks the sizes fit together. */
export function resolveSpec(spec: ModelSpec): ResolvedSpec {
  const family = spec.family;
  const gpt2 = family === 'gpt2';
  const d = spec.d ?? 64;
  const heads = spec.heads ?? 4;
  const kvHeads = gpt2 ? heads : (spec.kvHeads ?? (heads % 2 === 0 ? heads / 2 : heads));
  const r: ResolvedSpec = {
    family,
    vocab: spec.vocab ?? 256,
    d,
    layers: spec.layers ?? 2,
    heads,
    kvHeads,
    headDim: d / heads,
    ffn: spec.ffn ?? (gpt2 ? 4 * d : Math.round(2.5 * d)),
    ctx: spec.ctx ?? 128,
    norm: spec.fused ? 'fused' : (spec.norm ?? 'decomposed'),
    withPast: spec.withPast ?? true,
    seed: spec.seed ?? 1,
    unembed: spec.unembed ?? 'transposed-initializer',
    rsqrt: spec.rsqrt ?? (family === 'gemma' ? 'div' : 'reciprocal'),
    eps: spec.eps ?? (gpt2 ? 1e-5 : 1e-6),
    theta: spec.theta ?? 10000,
    externalData: spec.externalData ?? false,
    onnxSubfolder: spec.onnxSubfolder ?? false,
    trimFinalSkipSum: spec.trimFinalSkipSum ?? false,
  };
  if (!Number.isInteger(r.headDim)) throw new Error(`d (${d}) must be a multiple of heads (${heads})`);
  if (!gpt2 && r.headDim % 2 !== 0) throw new Error(`RoPE needs an even head size (got ${r.headDim})`);
  if (heads % kvHeads !== 0) throw new Error(`heads (${heads}) must be a multiple of kvHeads (${kvHeads})`);
  if (r.layers < 1) throw new Error('a model needs at least one layer');
  if (spec.trimFinalSkipSum && r.norm !== 'fused') throw new Error('trimFinalSkipSum applies to fused graphs only');
  return r;
}

/** The three residual-stream hook kinds, in stream order. */
export const HOOK_KINDS = ['hook_resid_pre', 'hook_resid_mid', 'hook_resid_post'] as const;

/** Every TransformerLens residual hook name of a model with `layers` blocks, in stream order. */
export function residualHookNames(layers: number): string[] {
  const out: string[] = [];
  for (let L = 0; L < layers; L++) for (const k of HOOK_KINDS) out.push(`blocks.${L}.${k}`);
  return out;
}
