/**
 * Load an SAE from disk in any supported format into the one in-memory shape of types.ts.
 *
 * - folder with `cfg.json` + `sae_weights.safetensors` → SAELens (or switch)
 * - folder with `cfg.json` + `sae.safetensors` → EleutherAI sparsify
 * - `params.npz`, or a folder holding one → Gemma Scope JumpReLU
 * - folder with `hyperparams.json` + `checkpoints/final.safetensors` → Llama Scope
 * - folder with `config.json` + `ae.pt` → dictionary_learning
 */
import fs from 'node:fs';
import path from 'node:path';

import { parseSaeLensCfg, parseSparsifyCfg, readCfgJson, type ParsedCfg } from './cfg.ts';
import { DICTLEARN_CFG, DICTLEARN_WEIGHTS, loadDictionaryLearning } from './dictlearn.ts';
import { SaeFileError, formatShape } from './errors.ts';
import { hookFromGemmaScopePath, hookFromSparsifyPath } from './hooks.ts';
import { LLAMASCOPE_CFG, LLAMASCOPE_WEIGHTS, loadLlamaScope } from './llamascope.ts';
import { NPY_DTYPE_NAMES, readNpz } from './npz.ts';
import { readSafetensors } from './safetensors.ts';
import { checkFinite, missingTensor, takeTensor, type Dims, type TensorSource } from './tensor-source.ts';
import { modelKwargsEffect } from './tl-kwargs.ts';
import { transpose2d } from '../util/matrix.ts';
import type { Sae, SaeConfig, SaeFormat, SaeParams, Tensor } from './types.ts';

/** Facts about a known release, from our SAE catalog; the SAE's own cfg wins where it says the same thing. */
export interface CatalogSaeFacts {
  /** SAELens `model_from_pretrained_kwargs` the release was trained with (its `config_overrides`). */
  readonly modelFromPretrainedKwargs?: Readonly<Record<string, unknown>>;
  readonly neuronpediaId?: string;
}

/** Options for {@link loadSae}. */
export interface LoadSaeOptions {
  /** TransformerLens hook name; overrides whatever the files say (or guess). */
  readonly hook?: string;
  /** Catalog facts for a known release, passed by the caller. */
  readonly release?: CatalogSaeFacts;
}

const CFG = 'cfg.json';
const SAELENS_WEIGHTS = 'sae_weights.safetensors';
const SPARSIFY_WEIGHTS = 'sae.safetensors';
const GEMMASCOPE_WEIGHTS = 'params.npz';
const LOOKED_FOR =
  `${CFG} + ${SAELENS_WEIGHTS} (SAELens, switch), ${CFG} + ${SPARSIFY_WEIGHTS} (sparsify), ${GEMMASCOPE_WEIGHTS} (Gemma Scope), ` +
  `${LLAMASCOPE_CFG} + ${LLAMASCOPE_WEIGHTS[0] ?? ''} (Llama Scope), or ${DICTLEARN_CFG} + ${DICTLEARN_WEIGHTS} (dictionary_learning)`;

/** A loaded SAE and where its model kwargs were read (for errors about them). */
interface Loaded {
  readonly sae: Sae;
  /** The cfg file and field its `model_from_pretrained_kwargs` came from, when it has them. */
  readonly kwargsFrom?: { readonly file: string; readonly field: string };
}

/**
 * Load an SAE from a folder or file, detecting its format; validates every tensor's shape
 * against the config and rejects NaN/Inf weights. Throws SaeFileError naming the file.
 * Tensors may be views into the weights file's buffer (`data.byteOffset` need not be 0).
 *
 * TransformerLens `model_from_pretrained_kwargs` (the cfg's, else `opts.release`'s) are
 * resolved against the final hook: `centerWritingWeights` set, or a SaeFileError for a
 * setting the engine cannot reproduce (see tl-kwargs.ts).
 */
export function loadSae(pathOrFile: string, opts: LoadSaeOptions = {}): Sae {
  return withModelFacts(loadAny(pathOrFile, opts), opts);
}

function loadAny(pathOrFile: string, opts: LoadSaeOptions): Loaded {
  const p = path.resolve(pathOrFile);
  let stat: fs.Stats;
  try {
    stat = fs.statSync(p);
  } catch {
    throw new SaeFileError(p, 'no such file or folder');
  }
  if (stat.isFile()) {
    const base = path.basename(p);
    const dir = path.dirname(p);
    if (base.endsWith('.npz')) return { sae: loadGemmaScope(p, p, opts) };
    if ([CFG, SAELENS_WEIGHTS, SPARSIFY_WEIGHTS, LLAMASCOPE_CFG, DICTLEARN_WEIGHTS].includes(base)) return loadFolder(dir, p, opts);
    if (base === DICTLEARN_CFG && fs.existsSync(path.join(dir, DICTLEARN_WEIGHTS))) return loadFolder(dir, p, opts);
    // Llama Scope's checkpoints/final.safetensors: the config sits one folder up.
    if (base === 'final.safetensors') {
      const up = path.basename(dir) === 'checkpoints' ? path.dirname(dir) : dir;
      if (fs.existsSync(path.join(up, LLAMASCOPE_CFG))) return loadFolder(up, p, opts);
    }
    throw new SaeFileError(p, `not an SAE file; expected a folder with ${LOOKED_FOR}`);
  }
  return loadFolder(p, p, opts);
}

function loadFolder(dir: string, userPath: string, opts: LoadSaeOptions, depth = 0): Loaded {
  const has = (name: string): boolean => fs.existsSync(path.join(dir, name));
  if (has(CFG) && has(SAELENS_WEIGHTS)) {
    const cfgFile = path.join(dir, CFG);
    const cfg = parseSaeLensCfg(readCfgJson(cfgFile), cfgFile);
    return {
      sae: loadSafetensorsSae(path.join(dir, SAELENS_WEIGHTS), userPath, cfg, opts.hook),
      kwargsFrom: { file: cfgFile, field: cfg.modelKwargsField ?? 'model_from_pretrained_kwargs' },
    };
  }
  if (has(CFG) && has(SPARSIFY_WEIGHTS)) {
    const cfgFile = path.join(dir, CFG);
    const cfg = parseSparsifyCfg(readCfgJson(cfgFile), cfgFile, opts.hook ?? hookFromSparsifyPath(dir));
    return { sae: loadSafetensorsSae(path.join(dir, SPARSIFY_WEIGHTS), userPath, cfg, opts.hook) };
  }
  if (has(LLAMASCOPE_CFG)) return { sae: loadLlamaScope(dir, userPath, opts.hook) };
  if (has(DICTLEARN_CFG) && has(DICTLEARN_WEIGHTS)) return { sae: loadDictionaryLearning(dir, userPath, opts.hook) };
  if (has(GEMMASCOPE_WEIGHTS)) return { sae: loadGemmaScope(path.join(dir, GEMMASCOPE_WEIGHTS), userPath, opts) };
  if (has(CFG)) {
    throw new SaeFileError(dir, `has ${CFG} but neither ${SAELENS_WEIGHTS} (SAELens) nor ${SPARSIFY_WEIGHTS} (sparsify) beside it`);
  }
  if (has(DICTLEARN_WEIGHTS)) throw new SaeFileError(dir, `has ${DICTLEARN_WEIGHTS} but no ${DICTLEARN_CFG} beside it (dictionary_learning)`);
  const sub = subfolders(dir);
  // A folder whose only content is one subfolder (e.g. Gemma Scope's layer_1/…/params.npz):
  // follow it, so the user can name the top of a single-SAE download.
  if (sub.length === 1 && depth < 6) return loadFolder(path.join(dir, sub[0] ?? ''), userPath, opts, depth + 1);
  const markers = [CFG, GEMMASCOPE_WEIGHTS, LLAMASCOPE_CFG, DICTLEARN_WEIGHTS];
  const withSae = sub.filter((d) => markers.some((f) => fs.existsSync(path.join(dir, d, f))));
  const hint = withSae.length
    ? `; these subfolders hold SAEs, pick one: ${withSae.slice(0, 12).join(', ')}${withSae.length > 12 ? ', …' : ''}`
    : '';
  throw new SaeFileError(dir, `no SAE found: looked for ${LOOKED_FOR}${hint}`);
}

/**
 * Resolve model_from_pretrained_kwargs (the cfg's, else the catalog's) against the hook, and
 * add the Neuronpedia id (the cfg's, else the catalog's).
 */
function withModelFacts(loaded: Loaded, opts: LoadSaeOptions): Sae {
  const { sae } = loaded;
  const own = sae.config.modelFromPretrainedKwargs;
  const kwargs = own ?? opts.release?.modelFromPretrainedKwargs;
  const neuronpediaId = sae.config.neuronpediaId ?? opts.release?.neuronpediaId;
  if (kwargs === undefined && neuronpediaId === sae.config.neuronpediaId) return sae;
  let config: SaeConfig = { ...sae.config, ...(neuronpediaId !== undefined ? { neuronpediaId } : {}) };
  if (kwargs !== undefined) {
    const from = own !== undefined && loaded.kwargsFrom ? loaded.kwargsFrom : { file: sae.source.path, field: "the catalog entry's model_from_pretrained_kwargs" };
    const effect = modelKwargsEffect(kwargs, config.hookName, from.file, from.field);
    config = {
      ...config,
      modelFromPretrainedKwargs: kwargs,
      centerWritingWeights: effect.centerWritingWeights,
      ...(effect.prependBos !== undefined ? { prependBos: effect.prependBos } : {}),
    };
  }
  return { ...sae, config };
}

/** Visible subfolders of dir, sorted; empty when unreadable. */
function subfolders(dir: string): string[] {
  try {
    return fs
      .readdirSync(dir, { withFileTypes: true })
      .filter((d) => d.isDirectory() && !d.name.startsWith('.'))
      .map((d) => d.name)
      .sort();
  } catch {
    return [];
  }
}

function loadSafetensorsSae(weightsFile: string, userPath: string, parsed: ParsedCfg, hook: string | undefined): Sae {
  const st = readSafetensors(weightsFile);
  const src: TensorSource = {
    file: weightsFile,
    has: (n) => st.has(n),
    get: (n) => st.tensor(n),
    dtype: (n) => st.entries.get(n)?.dtype ?? 'unknown',
    names: () => [...st.entries.keys()],
  };
  const c = parsed.config;
  const config: SaeConfig = { ...c, hookName: hook ?? c.hookName };
  const dims: Dims = {
    values: { d_in: c.dIn, d_sae: c.dSae, n_experts: c.nExperts ?? 0 },
    labels: { d_in: 'd_in', d_sae: parsed.kind === 'sparsify' ? 'num_latents' : 'd_sae', n_experts: 'n_experts' },
    source: `${CFG} says`,
  };
  const take = (name: string, shape: readonly string[]): Tensor => takeTensor(src, name, shape, dims, config);

  let params: SaeParams;
  let format: SaeFormat;
  let dtypeOf: string;
  if (parsed.kind === 'sparsify') {
    format = 'sparsify';
    dtypeOf = src.dtype('encoder.weight');
    const enc = take('encoder.weight', ['d_sae', 'd_in']);
    params = {
      W_enc: { data: transpose2d(enc.data, c.dSae, c.dIn), shape: [c.dIn, c.dSae] },
      b_enc: take('encoder.bias', ['d_sae']),
      W_dec: take('W_dec', ['d_sae', 'd_in']),
      b_dec: take('b_dec', ['d_in']),
    };
  } else {
    format = parsed.kind === 'switch' ? 'switch' : 'saelens';
    dtypeOf = src.dtype('W_enc');
    params = saeLensParams(src, take, config);
    if (parsed.finetuningScalingFactor || src.has('scaling_factor')) {
      params = foldScalingFactor(src, take, params, parsed.finetuningScalingFactor);
    }
  }
  if (parsed.rescaleActsByDecoderNorm) foldDecoderNorm(params, c.dIn, c.dSae);
  return { config, params, source: { path: userPath, weightsFile, format, dtype: dtypeOf } };
}

function saeLensParams(
  src: TensorSource,
  take: (name: string, shape: readonly string[]) => Tensor,
  config: SaeConfig,
): SaeParams {
  const base = { W_enc: take('W_enc', ['d_in', 'd_sae']), W_dec: take('W_dec', ['d_sae', 'd_in']), b_dec: take('b_dec', ['d_in']) };
  switch (config.architecture) {
    case 'standard':
    case 'topk':
      return { ...base, b_enc: take('b_enc', ['d_sae']) };
    case 'jumprelu':
      return { ...base, b_enc: take('b_enc', ['d_sae']), threshold: jumpReluThreshold(src, take, config) };
    case 'gated':
      return { ...base, b_gate: take('b_gate', ['d_sae']), r_mag: take('r_mag', ['d_sae']), b_mag: take('b_mag', ['d_sae']) };
    case 'switch':
      return { ...base, W_router: take('W_router', ['d_in', 'n_experts']), b_router: take('b_router', ['d_in']) };
  }
}

/** `threshold`, or `log_threshold` (exponentiated), or a BatchTopK checkpoint's scalar `topk_threshold`. */
function jumpReluThreshold(
  src: TensorSource,
  take: (name: string, shape: readonly string[]) => Tensor,
  config: SaeConfig,
): Tensor {
  if (src.has('threshold') || !(src.has('log_threshold') || src.has('topk_threshold'))) return take('threshold', ['d_sae']);
  if (src.has('log_threshold')) {
    const t = take('log_threshold', ['d_sae']);
    return { data: t.data.map(Math.exp), shape: t.shape };
  }
  const t = src.get('topk_threshold');
  if (t.data.length !== 1) {
    throw new SaeFileError(src.file, `tensor topk_threshold has shape ${formatShape(t.shape)}; expected a scalar`, {
      tensor: 'topk_threshold',
    });
  }
  checkFinite(src.file, 'topk_threshold', t.data);
  return { data: new Float32Array(config.dSae).fill(t.data[0] ?? 0), shape: [config.dSae] };
}

/**
 * Old SAELens `finetuning_scaling_factor`: decode used (a ⊙ s)·W_dec; folding s into the rows
 * of W_dec keeps the latents as SAELens reports them. All-ones factors are dropped, as SAELens does.
 */
function foldScalingFactor(
  src: TensorSource,
  take: (name: string, shape: readonly string[]) => Tensor,
  params: SaeParams,
  enabled: boolean,
): SaeParams {
  if (!src.has('scaling_factor')) return params; // flag set, no tensor: SAELens initialises it to ones
  const s = take('scaling_factor', ['d_sae']).data;
  if (s.every((v) => v === 1)) return params;
  if (!enabled) {
    throw new SaeFileError(src.file, `tensor scaling_factor is not all ones but ${CFG} says finetuning_scaling_factor is false`, {
      tensor: 'scaling_factor',
    });
  }
  const dIn = params.W_dec.shape[1] ?? 0;
  const w = Float32Array.from(params.W_dec.data);
  for (let i = 0; i < s.length; i++) {
    const f = s[i] ?? 1;
    for (let j = i * dIn; j < (i + 1) * dIn; j++) w[j] = (w[j] ?? 0) * f;
  }
  return { ...params, W_dec: { data: w, shape: params.W_dec.shape } };
}

/**
 * Fold SAELens' `rescale_acts_by_decoder_norm` into the weights, in place. SAELens encodes with
 * pre·‖W_dec[i]‖ and decodes a/‖W_dec[i]‖; scaling W_enc's column i and b_enc[i] by n_i and
 * dividing W_dec's row i by n_i gives the same latents and reconstruction with plain TopK.
 * A zero decoder row (dead latent) gets a zero encoder column, so it never fires.
 */
export function foldDecoderNorm(params: SaeParams, dIn: number, dSae: number): void {
  const wEnc = params.W_enc.data;
  const wDec = params.W_dec.data;
  const bEnc = params.b_enc?.data;
  for (let i = 0; i < dSae; i++) {
    let sq = 0;
    for (let j = i * dIn; j < (i + 1) * dIn; j++) sq += (wDec[j] ?? 0) ** 2;
    const n = Math.sqrt(sq);
    for (let r = 0; r < dIn; r++) wEnc[r * dSae + i] = (wEnc[r * dSae + i] ?? 0) * n;
    if (bEnc) bEnc[i] = (bEnc[i] ?? 0) * n;
    if (n > 0) for (let j = i * dIn; j < (i + 1) * dIn; j++) wDec[j] = (wDec[j] ?? 0) / n;
  }
}

function loadGemmaScope(file: string, userPath: string, opts: LoadSaeOptions): Sae {
  const npz = readNpz(file);
  // SAELens' Gemma Scope loader also accepts lower-case w_enc / w_dec.
  const resolve = (n: string): string => (npz.has(n) ? n : npz.has(n.toLowerCase()) ? n.toLowerCase() : n);
  const src: TensorSource = {
    file,
    has: (n) => npz.has(resolve(n)),
    get: (n) => npz.array(resolve(n)),
    dtype: (n) => NPY_DTYPE_NAMES[npz.array(resolve(n)).dtype],
    names: () => [...npz.names],
  };
  if (!src.has('W_enc')) throw missingTensor(src, 'W_enc', 'Gemma Scope JumpReLU needs W_enc, W_dec, b_enc, b_dec, threshold');
  const wEnc = src.get('W_enc');
  const [dIn, dSae] = wEnc.shape;
  if (wEnc.shape.length !== 2 || dIn === undefined || dSae === undefined || dIn === 0 || dSae === 0) {
    throw new SaeFileError(file, `tensor W_enc has shape ${formatShape(wEnc.shape)}; expected [d_in, d_sae]`, { tensor: 'W_enc' });
  }
  const config: SaeConfig = {
    architecture: 'jumprelu',
    dIn,
    dSae,
    hookName: opts.hook ?? hookFromGemmaScopePath(file),
    applyBDecToInput: false,
    normalize: 'none',
    prependBos: true,
  };
  const dims: Dims = {
    values: { d_in: dIn, d_sae: dSae },
    labels: { d_in: 'd_in', d_sae: 'd_sae' },
    source: `W_enc's shape ${formatShape(wEnc.shape)} says`,
  };
  const take = (name: string, shape: readonly string[]): Tensor => takeTensor(src, name, shape, dims, config);
  const params: SaeParams = {
    W_enc: take('W_enc', ['d_in', 'd_sae']),
    W_dec: take('W_dec', ['d_sae', 'd_in']),
    b_enc: take('b_enc', ['d_sae']),
    b_dec: take('b_dec', ['d_in']),
    threshold: take('threshold', ['d_sae']),
  };
  return { config, params, source: { path: userPath, weightsFile: file, format: 'gemmascope', dtype: src.dtype('W_enc') } };
}

