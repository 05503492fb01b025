/**
 * Model families the writer can emit, each laid out as its real exporter does:
 * - `gpt2`, `llama`: sequential blocks (torch.onnx / optimum; fused norms as ORT / onnxruntime-genai);
 * - `gemma`: Llama with scaled embeddings, RMSNorm weight (1 + w), GeGLU and tied unembedding;
 * - `gemma2`: HF Gemma2ForCausalLM as torch.onnx exports it: every RMSNorm starts with a Cast
 *   (x.float()), sandwich norms, attention-logit and final-logit soft-capping, query_pre_attn_scalar;
 * - `neox`: HF GPTNeoXForCausalLM (Pythia): parallel residual, fused per-head-interleaved qkv,
 *   partial rotary, exact (erf) GELU, untied `embed_out`.
 */
export type ModelFamily = 'gpt2' | 'llama' | 'gemma' | 'gemma2' | 'neox';

/**
 * How a parallel block (`neox`) sums its branches, as different model code writes
 * `x + attn(ln1 x) + mlp(ln2 x)`:
 * - `mlp-attn-x`: `Add(Add(mlp, attn), x)` (HF GPT-NeoX, the default);
 * - `attn-mlp-x`: `Add(Add(attn, mlp), x)` (GPT-J, Phi: `attn_output + feed_forward + residual`);
 * - `x-attn-mlp`: `Add(Add(x, attn), mlp)` (`x = x + attn + mlp`): the first sum looks like a
 *   sequential block's `hook_resid_mid` but is not one (the MLP never reads it).
 */
export type ParallelAdd = 'mlp-attn-x' | 'attn-mlp-x' | 'x-attn-mlp';

/**
 * Weight quantization as transformers.js's `model_quantized.onnx` (onnxruntime dynamic quantization):
 * - `none`;
 * - `embedding`: only embedding tables, uint8 per-tensor: `Gather` on the quantized table, then
 *   `DequantizeLinear` (scale, uint8 zero point);
 * - `int8`: embeddings as above and every weight MatMul as `DynamicQuantizeLinear` → `MatMulInteger`
 *   → `Cast` → `Mul(scale)` (int8 symmetric per-column weights, reduced 7-bit range).
 */
export type QuantStyle = 'none' | 'embedding' | 'int8';

/**
 * How a tied embedding is read (onnxruntime-genai builder with `shared_embeddings`):
 * - `gather`: `Gather` on the embedding initializer (default);
 * - `transpose-gather`: `Transpose(lm_head.MatMul.weight) → Gather`;
 * - `gather-block-quantized`: 4-bit block quantization shared with the `MatMulNBits` lm_head,
 *   the embedding read by `GatherBlockQuantized` (com.microsoft).
 */
export type TiedEmbedding = 'gather' | 'transpose-gather' | 'gather-block-quantized';

/** Element type of weights and activations. */
export type FloatType = 'float32' | 'float16';

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
  /** Key/value heads (grouped-query attention); gpt2 and neox always use `heads`. Default: heads / 2 for llama-family models when even. */
  readonly kvHeads?: number;
  /** Head size (llama-family only; default d / heads). Gemma-2 style models have heads · headDim ≠ d. */
  readonly headDim?: number;
  /** MLP width (default 4d for gpt2 and neox, 2.5d rounded for llama-family models). */
  readonly ffn?: number;
  /** Maximum positions (gpt2 position-embedding rows; config value). Default 128. */
  readonly ctx?: number;
  /** Norm style (default `decomposed`; gemma2 is decomposed only, neox decomposed or op). */
  readonly norm?: NormStyle;
  /** Shorthand for `norm: 'fused'`. */
  readonly fused?: boolean;
  /** KV-cache I/O with optimum names (default true). */
  readonly withPast?: boolean;
  /** PRNG seed for the weights (default 1). */
  readonly seed?: number;
  /** Tied unembedding (gpt2, gemma, gemma2): a Transpose node on the embedding, or a transposed copy as initializer (default). */
  readonly unembed?: 'transpose-node' | 'transposed-initializer';
  /** Decomposed RMSNorm ends with `Reciprocal` + `Mul` or with `Div` (default: reciprocal for llama, div for gemma). */
  readonly rsqrt?: 'reciprocal' | 'div';
  /** Norm epsilon (default 1e-5 gpt2 and neox, 1e-6 llama-family). */
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
  /** neox: fraction of each head that is rotated (HF `rotary_pct`, default 0.25). */
  readonly rotaryPct?: number;
  /** neox: order of the two residual Adds (default `mlp-attn-x`, as HF GPT-NeoX). */
  readonly parallelAdd?: ParallelAdd;
  /** gemma2: attention scores are scaled by queryPreAttnScalar^-0.5 (default headDim). */
  readonly queryPreAttnScalar?: number;
  /** gemma2: attention-logit soft-capping c, scores → tanh(scores / c) · c (default 50). */
  readonly attnSoftcap?: number;
  /** gemma2: final-logit soft-capping (default 30). */
  readonly finalSoftcap?: number;
  /** Quantization (default `none`); not with float16. */
  readonly quant?: QuantStyle;
  /** Weights and activations (default float32). */
  readonly dtype?: FloatType;
  /** float16 models: logits as computed (default) or `Cast` to float32 at the end. */
  readonly logitsDtype?: FloatType;
  /** Tied families (gemma, gemma2): how the embedding is read (default `gather`). */
  readonly tiedEmbedding?: TiedEmbedding;
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
  readonly rotaryPct: number;
  /** Rotated dimensions per head: headDim for llama-family, ⌊headDim · rotaryPct⌋ for neox, 0 for gpt2. */
  readonly rotaryDim: number;
  readonly parallelAdd: ParallelAdd;
  readonly queryPreAttnScalar: number;
  readonly attnSoftcap: number;
  readonly finalSoftcap: number;
  readonly quant: QuantStyle;
  readonly dtype: FloatType;
  readonly logitsDtype: FloatType;
  readonly tiedEmbedding: TiedEmbedding;
}

/** True for families whose blocks add attention and MLP to the residual in parallel (no hook_resid_mid). */
export function isParallel(family: ModelFamily): boolean {
  return family === 'neox';
}

/** True for the Llama-like families (RMSNorm, RoPE, gated MLP). */
export function isLlamaLike(family: ModelFamily): boolean {
  return family === 'llama' || family === 'gemma' || family === 'gemma2';
}

/** True when the unembedding is the embedding matrix. */
export function isTied(family: ModelFamily): boolean {
  return family === 'gpt2' || family === 'gemma' || family === 'gemma2';
}

/** Fills defaults and checks the sizes and options fit together. */
export function resolveSpec(spec: ModelSpec): ResolvedSpec {
  const family = spec.family;
  const llamaLike = isLlamaLike(family);
  const d = spec.d ?? 64;
  const heads = spec.heads ?? 4;
  const kvHeads = llamaLike ? (spec.kvHeads ?? (heads % 2 === 0 ? heads / 2 : heads)) : heads;
  const headDim = llamaLike && spec.headDim !== undefined ? spec.headDim : d / heads;
  const rotaryPct = spec.rotaryPct ?? 0.25;
  const dtype = spec.dtype ?? 'float32';
  const r: ResolvedSpec = {
    family,
    vocab: spec.vocab ?? 256,
    d,
    layers: spec.layers ?? 2,
    heads,
    kvHeads,
    headDim,
    ffn: spec.ffn ?? (llamaLike ? Math.round(2.5 * d) : 4 * d),
    ctx: spec.ctx ?? 128,
    norm: spec.fused ? 'fused' : (spec.norm ?? 'decomposed'),
    withPast: spec.withPast ?? true,
    seed: spec.seed ?? 1,
    unembed: spec.unembed ?? 'transposed-initializer',
    rsqrt: spec.rsqrt ?? (family === 'gemma' ? 'div' : 'reciprocal'),
    eps: spec.eps ?? (llamaLike ? 1e-6 : 1e-5),
    theta: spec.theta ?? 10000,
    externalData: spec.externalData ?? false,
    onnxSubfolder: spec.onnxSubfolder ?? false,
    trimFinalSkipSum: spec.trimFinalSkipSum ?? false,
    rotaryPct,
    rotaryDim: family === 'gpt2' ? 0 : family === 'neox' ? Math.floor((d / heads) * rotaryPct) : headDim,
    parallelAdd: spec.parallelAdd ?? 'mlp-attn-x',
    queryPreAttnScalar: spec.queryPreAttnScalar ?? headDim,
    attnSoftcap: spec.attnSoftcap ?? 50,
    finalSoftcap: spec.finalSoftcap ?? 30,
    quant: spec.quant ?? 'none',
    dtype,
    logitsDtype: spec.logitsDtype ?? dtype,
    tiedEmbedding: spec.tiedEmbedding ?? 'gather',
  };
  checkSpec(spec, r);
  return r;
}

function checkSpec(spec: ModelSpec, r: ResolvedSpec): void {
  const { family, d, heads, kvHeads } = r;
  if (!Number.isInteger(d / heads)) throw new Error(`d (${d}) must be a multiple of heads (${heads})`);
  if (!Number.isInteger(r.headDim) || r.headDim < 1) throw new Error(`headDim must be a positive integer (got ${r.headDim})`);
  if (r.rotaryDim % 2 !== 0) throw new Error(`RoPE needs an even number of rotated dimensions (got ${r.rotaryDim})`);
  if (heads % kvHeads !== 0) throw new Error(`heads (${heads}) must be a multiple of kvHeads (${kvHeads})`);
  if (r.layers < 1) throw new Error('a model needs at least one layer');
  if (spec.trimFinalSkipSum && r.norm !== 'fused') throw new Error('trimFinalSkipSum applies to fused graphs only');
  if (family === 'gemma2' && r.norm !== 'decomposed') throw new Error('gemma2 is written as torch.onnx exports it: decomposed norms only');
  if (family === 'neox' && r.norm === 'fused') throw new Error('neox: decomposed or op norms (no fused exporter lays out parallel blocks)');
  if (spec.parallelAdd && family !== 'neox') throw new Error('parallelAdd applies to parallel blocks (neox) only');
  if (r.dtype === 'float16' && r.quant !== 'none') throw new Error('quantized models are float32');
  if (r.dtype === 'float32' && r.logitsDtype !== 'float32') throw new Error('float32 models have float32 logits');
  if (r.tiedEmbedding !== 'gather') {
    if (family !== 'gemma' && family !== 'gemma2')
      throw new Error('tiedEmbedding applies to gemma and gemma2 (onnxruntime-genai shared embeddings)');
    if (r.quant !== 'none') throw new Error('tiedEmbedding and quant are separate export styles');
    if (r.tiedEmbedding === 'gather-block-quantized' && (d % 16 !== 0 || r.dtype !== 'float32')) {
      throw new Error('gather-block-quantized needs float32 and d a multiple of the block size 16');
    }
  }
  if (r.quant === 'int8' && isTied(family) && r.unembed === 'transpose-node') {
    throw new Error("quant 'int8' quantizes weight MatMuls: a tied unembedding must be a transposed initializer");
  }
}

/** The three residual-stream hook kinds, in stream order. */
export const HOOK_KINDS = ['hook_resid_pre', 'hook_resid_mid', 'hook_resid_post'] as const;

/** Every TransformerLens residual hook name of a model with `layers` blocks, in stream order. */
export function residualHookNames(layers: number): string[] {
  const out: string[] = [];
  for (let L = 0; L < layers; L++) for (const k of HOOK_KINDS) out.push(`blocks.${L}.${k}`);
  return out;
}

/** Every hook kind the writer records, residual hooks first. */
export const ALL_HOOK_KINDS = [...HOOK_KINDS, 'hook_attn_out', 'hook_mlp_out', 'attn.hook_z'] as const;

/**
 * Every hook name the writer records ground truth for: per block the residual hooks (no
 * `hook_resid_mid` in parallel blocks), `hook_attn_out`, `hook_mlp_out` and `attn.hook_z`.
 */
export function hookNames(spec: Pick<ResolvedSpec, 'family' | 'layers'>): string[] {
  const kinds = ALL_HOOK_KINDS.filter((k) => k !== 'hook_resid_mid' || !isParallel(spec.family));
  const out: string[] = [];
  for (let L = 0; L < spec.layers; L++) for (const k of kinds) out.push(`blocks.${L}.${k}`);
  return out;
}
