/**
 * cfg.json parsing for the SAE formats we load: SAELens (flat ≤ v5 and v6 with `metadata`),
 * EleutherAI sparsify, and the switch SAE layout. Every problem is a SaeFileError naming the
 * cfg file and the field.
 */
import fs from 'node:fs';

import { SaeFileError } from './errors.ts';
import type { SaeArchitecture, SaeConfig, SaeNormalization } from './types.ts';

/** Which parser produced a config. */
export type CfgKind = 'saelens' | 'sparsify' | 'switch';

/** A parsed cfg.json: the SaeConfig plus what only the weight loader needs to know. */
export interface ParsedCfg {
  readonly kind: CfgKind;
  readonly config: SaeConfig;
  /**
   * SAELens `rescale_acts_by_decoder_norm` (TopK, BatchTopK checkpoints): pre-activations are
   * scaled by ‖W_dec[i]‖ in encode and latents divided by it in decode; the loader folds it.
   */
  readonly rescaleActsByDecoderNorm: boolean;
  /** Old SAELens: a `scaling_factor` [d_sae] tensor multiplies the latents before W_dec. */
  readonly finetuningScalingFactor: boolean;
  /** Where `config.modelFromPretrainedKwargs` came from, e.g. `metadata.model_from_pretrained_kwargs`. */
  readonly modelKwargsField?: string;
}

/**
 * The `architecture` values cfg.json may hold, and what they load as. `batchtopk` (and its
 * matryoshka variant) is a training-time architecture SAELens saves as JumpReLU.
 */
export const KNOWN_ARCHITECTURES: Readonly<Record<string, SaeArchitecture>> = {
  standard: 'standard',
  topk: 'topk',
  jumprelu: 'jumprelu',
  gated: 'gated',
  batchtopk: 'jumprelu',
  matryoshka_batchtopk: 'jumprelu',
  switch: 'switch',
};

/** Read cfg.json as JSON (SaeFileError when unreadable or not a JSON object). */
export function readCfgJson(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new SaeFileError(file, `cannot read config (${(err as Error).message})`, { cause: err });
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new SaeFileError(file, `config is not valid JSON (${(err as Error).message})`, { cause: err });
  }
  if (!isRecord(raw)) throw new SaeFileError(file, 'config is not a JSON object');
  return raw;
}

/**
 * Parse a cfg.json that sits beside `sae_weights.safetensors`: SAELens (flat or v6), or a
 * switch SAE when `architecture` is `"switch"`.
 */
export function parseSaeLensCfg(raw: Record<string, unknown>, file: string): ParsedCfg {
  const f = fields(raw, file);
  const archName = f.str('architecture') ?? 'standard';
  const known = KNOWN_ARCHITECTURES[archName];
  if (known === undefined) {
    throw new SaeFileError(
      file,
      `unknown SAE architecture ${JSON.stringify(archName)} (known: ${Object.keys(KNOWN_ARCHITECTURES).join(', ')})`,
    );
  }
  if (known === 'switch') return parseSwitchCfg(raw, file);

  const dIn = f.posInt('d_in', true);
  const dSae = f.posInt('d_sae', true);
  // ≤ v5 calls it activation_fn_str, v6 activation_fn; an old "standard" SAE with a topk
  // activation function is a TopK SAE.
  const act = f.str('activation_fn_str') ?? f.str('activation_fn') ?? 'relu';
  let architecture: SaeArchitecture = known;
  if (known === 'standard') {
    if (act === 'topk') architecture = 'topk';
    else if (act !== 'relu') {
      throw new SaeFileError(file, `activation function ${JSON.stringify(act)} is not supported (relu or topk)`);
    }
  }
  const k = architecture === 'topk' ? readK(f, file, dSae) : undefined;

  return {
    kind: 'saelens',
    config: {
      architecture,
      dIn,
      dSae,
      hookName: f.meta.str('hook_name') ?? f.meta.str('hook_point'),
      k,
      applyBDecToInput: f.bool('apply_b_dec_to_input') ?? true,
      normalize: readNormalization(raw['normalize_activations'], file),
      prependBos: f.meta.bool('prepend_bos') ?? true,
      modelName: f.meta.str('model_name'),
      contextSize: f.meta.posInt('context_size', false),
      cfgDtype: readDtype(raw['dtype']),
      ...llmMetadata(f, file),
    },
    modelKwargsField: modelKwargsField(f),
    // TopK applies the flag at inference; a BatchTopK training checkpoint (weights not yet
    // folded by SAELens' inference export) thresholds the rescaled pre-activations.
    rescaleActsByDecoderNorm:
      (architecture === 'topk' || archName.includes('batchtopk')) && f.bool('rescale_acts_by_decoder_norm') === true,
    finetuningScalingFactor: f.bool('finetuning_scaling_factor') === true,
  };
}

/**
 * Parse a switch SAE cfg.json: SAELens-style fields plus `"architecture": "switch"`, `k` and
 * `n_experts` (d_sae must be divisible by it). b_dec is always subtracted before encoding.
 */
export function parseSwitchCfg(raw: Record<string, unknown>, file: string): ParsedCfg {
  const f = fields(raw, file);
  const dIn = f.posInt('d_in', true);
  const dSae = f.posInt('d_sae', true);
  const nExperts = f.posInt('n_experts', true);
  if (dSae % nExperts !== 0) {
    throw new SaeFileError(file, `d_sae=${dSae} is not divisible by n_experts=${nExperts}`);
  }
  const k = readK(f, file, dSae);
  return {
    kind: 'switch',
    config: {
      architecture: 'switch',
      dIn,
      dSae,
      hookName: f.meta.str('hook_name') ?? f.meta.str('hook_point'),
      k,
      nExperts,
      applyBDecToInput: true,
      normalize: readNormalization(raw['normalize_activations'], file),
      prependBos: f.meta.bool('prepend_bos') ?? true,
      modelName: f.meta.str('model_name'),
      contextSize: f.meta.posInt('context_size', false),
      cfgDtype: readDtype(raw['dtype']),
      ...llmMetadata(f, file),
    },
    rescaleActsByDecoderNorm: false,
    finetuningScalingFactor: false,
    modelKwargsField: modelKwargsField(f),
  };
}

/**
 * SAELens metadata fields kept on the config: `model_from_pretrained_kwargs` (how
 * TransformerLens processed the model; load.ts decides what it means at the hook) and
 * `neuronpedia_id`. Both may sit flat (≤ v5) or under v6's `metadata`.
 */
function llmMetadata(f: Fields, file: string): Pick<SaeConfig, 'modelFromPretrainedKwargs' | 'neuronpediaId'> {
  const kwargs = f.meta.value('model_from_pretrained_kwargs');
  if (kwargs !== undefined && kwargs !== null && !isRecord(kwargs)) {
    throw new SaeFileError(file, `${modelKwargsField(f)} must be an object, got ${JSON.stringify(kwargs)}`);
  }
  const neuronpediaId = f.meta.str('neuronpedia_id');
  return {
    ...(isRecord(kwargs) ? { modelFromPretrainedKwargs: kwargs } : {}),
    ...(neuronpediaId ? { neuronpediaId } : {}),
  };
}

/** `metadata.model_from_pretrained_kwargs` (v6) or `model_from_pretrained_kwargs` (flat), as errors name it. */
function modelKwargsField(f: Fields): string {
  const metadata = f.raw['metadata'];
  const inMeta = isRecord(metadata) ? metadata['model_from_pretrained_kwargs'] : undefined;
  return inMeta !== undefined && inMeta !== null ? 'metadata.model_from_pretrained_kwargs' : 'model_from_pretrained_kwargs';
}

/**
 * Parse an EleutherAI sparsify cfg.json (beside `sae.safetensors`): a TopK SAE with
 * `num_latents` (or `expansion_factor` × d_in) latents. Skip connections, transcoders and
 * groupmax activations are refused. sparsify files do not name their hook: pass it in.
 */
export function parseSparsifyCfg(raw: Record<string, unknown>, file: string, hookName: string | undefined): ParsedCfg {
  const f = fields(raw, file);
  if (f.bool('skip_connection') === true) {
    throw new SaeFileError(file, 'skip_connection is true: sparse coders with a skip connection (W_skip) are not supported');
  }
  if (f.bool('transcode') === true) {
    throw new SaeFileError(file, 'transcode is true: this is a transcoder (predicts a module output), not an SAE; not supported');
  }
  const activation = f.str('activation') ?? 'topk';
  if (activation !== 'topk') {
    throw new SaeFileError(file, `activation ${JSON.stringify(activation)} is not supported (only topk)`);
  }
  if (f.bool('signed') === true) throw new SaeFileError(file, 'signed is true: signed TopK is not supported');
  const dIn = f.posInt('d_in', true);
  const numLatents = raw['num_latents'];
  let dSae: number;
  if (numLatents === undefined || numLatents === null || numLatents === 0) {
    const ef = raw['expansion_factor'];
    if (!Number.isSafeInteger(ef) || (ef as number) <= 0) {
      throw new SaeFileError(file, `needs num_latents or a positive integer expansion_factor (got ${JSON.stringify(ef)})`);
    }
    dSae = dIn * (ef as number);
  } else {
    dSae = f.posInt('num_latents', true);
  }
  return {
    kind: 'sparsify',
    config: {
      architecture: 'topk',
      dIn,
      dSae,
      hookName,
      k: readK(f, file, dSae),
      applyBDecToInput: true, // sparsify always encodes x − b_dec
      normalize: 'none',
      prependBos: true,
    },
    rescaleActsByDecoderNorm: false,
    finetuningScalingFactor: false,
  };
}

/**
 * `normalize_activations` as SAELens wrote it over the versions: false/null/"none" → none;
 * true (old SAELens, meaning "expected_average_only_in") and "expected_average_only_in" →
 * none, because that scaling is a training-time constant SAELens folds into the weights.
 */
export function readNormalization(v: unknown, file: string): SaeNormalization {
  if (v === undefined || v === null || v === false || v === true) return 'none';
  if (v === 'none' || v === 'expected_average_only_in') return 'none';
  if (v === 'constant_norm_rescale' || v === 'layer_norm') return v;
  throw new SaeFileError(
    file,
    `normalize_activations ${JSON.stringify(v)} is not supported (none, expected_average_only_in, constant_norm_rescale, layer_norm)`,
  );
}

/** "torch.float32" / "float32" / "bfloat16" → "float32" / "bfloat16"; undefined when absent. */
function readDtype(v: unknown): string | undefined {
  return typeof v === 'string' ? v.replace(/^torch\./, '') : undefined;
}

function readK(f: Fields, file: string, dSae: number): number {
  const kwargs = f.raw['activation_fn_kwargs'];
  const v = f.raw['k'] ?? (isRecord(kwargs) ? kwargs['k'] : undefined);
  if (!Number.isSafeInteger(v) || (v as number) <= 0) {
    throw new SaeFileError(file, `k (or activation_fn_kwargs.k) must be a positive integer, got ${JSON.stringify(v)}`);
  }
  if ((v as number) > dSae) throw new SaeFileError(file, `k=${String(v)} is larger than d_sae=${dSae}`);
  return v as number;
}

interface FieldReader {
  /** The value as it is, unchecked. */
  value(key: string): unknown;
  str(key: string): string | undefined;
  bool(key: string): boolean | undefined;
  posInt(key: string, required: true): number;
  posInt(key: string, required: false): number | undefined;
}

interface Fields extends FieldReader {
  readonly raw: Record<string, unknown>;
  /** Reads v6's `metadata.KEY` first, then the flat ≤ v5 `KEY`. */
  readonly meta: FieldReader;
}

/** Typed accessors over a cfg object, with errors naming the file and the field. */
function fields(raw: Record<string, unknown>, file: string): Fields {
  const metadata = isRecord(raw['metadata']) ? raw['metadata'] : {};
  const reader = (get: (key: string) => unknown, prefix: (key: string) => string): FieldReader => {
    const fail = (key: string, want: string, v: unknown): never => {
      throw new SaeFileError(file, `${prefix(key)} must be ${want}, got ${JSON.stringify(v)}`);
    };
    function posInt(key: string, required: true): number;
    function posInt(key: string, required: false): number | undefined;
    function posInt(key: string, required: boolean): number | undefined {
      const v = get(key);
      if (v === undefined || v === null) return required ? fail(key, 'a positive integer', v) : undefined;
      if (!Number.isSafeInteger(v) || (v as number) <= 0) return fail(key, 'a positive integer', v);
      return v as number;
    }
    return {
      value: get,
      str: (key) => {
        const v = get(key);
        if (v === undefined || v === null) return undefined;
        return typeof v === 'string' ? v : fail(key, 'a string', v);
      },
      bool: (key) => {
        const v = get(key);
        if (v === undefined || v === null) return undefined;
        return typeof v === 'boolean' ? v : fail(key, 'true or false', v);
      },
      posInt,
    };
  };
  const flat = reader(
    (key) => raw[key],
    (key) => key,
  );
  const meta = reader(
    (key) => metadata[key] ?? raw[key],
    (key) => (metadata[key] !== undefined && metadata[key] !== null ? `metadata.${key}` : key),
  );
  return { raw, ...flat, meta };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
