/**
 * Llama Scope SAEs (OpenMOSS, `fnlp/Llama3_1-8B-Base-LX…`): a folder with `hyperparams.json`
 * and `checkpoints/final.safetensors` (`encoder.weight` [d_sae, d_model], `encoder.bias`,
 * `decoder.weight` [d_model, d_sae], `decoder.bias`).
 *
 * Semantics as SAELens's `llama_scope` loader applies them, with its
 * `fold_activation_norm_scaling_factor`: with s = √d_model / dataset_average_activation_norm.in,
 *
 *   pre = (s·x)·W_enc + b_enc,  a = pre where pre > jump_relu_threshold·s,  x_hat = (a·W_dec + b_dec)/s
 *
 * Folded into our jumprelu form: W_enc ← s·W_enc, W_dec ← W_dec/s, b_dec ← b_dec/s, one
 * threshold jump_relu_threshold·s for every latent; the latents are unchanged.
 */
import fs from 'node:fs';
import path from 'node:path';

import { readCfgJson } from './cfg.ts';
import { SaeFileError } from './errors.ts';
import { readSafetensors } from './safetensors.ts';
import { takeTensor, type Dims, type TensorSource } from './tensor-source.ts';
import { transpose2d } from '../util/matrix.ts';
import type { Sae, SaeConfig, SaeParams } from './types.ts';

/** The Llama Scope config file. */
export const LLAMASCOPE_CFG = 'hyperparams.json';
/** Where the weights may sit, relative to the folder holding hyperparams.json (first found wins). */
export const LLAMASCOPE_WEIGHTS: readonly string[] = ['checkpoints/final.safetensors', 'final.safetensors'];

/** hyperparams.json, reduced to what loading needs. */
export interface LlamaScopeCfg {
  readonly dModel: number;
  readonly dSae: number;
  readonly hookIn: string;
  readonly threshold: number;
  /** The dataset-wise input scale s (1 when the norm is already folded in). */
  readonly scale: number;
  readonly normActivation: string;
  readonly useDecoderBias: boolean;
  readonly applyDecoderBiasToPreEncoder: boolean;
}

/**
 * Parse a Llama Scope hyperparams.json. Refuses transcoders (hook_point_in ≠ hook_point_out),
 * activation functions other than jumprelu and per-token / per-batch norms, naming the field.
 */
export function parseLlamaScopeCfg(raw: Record<string, unknown>, file: string): LlamaScopeCfg {
  const fail = (what: string): never => {
    throw new SaeFileError(file, what);
  };
  const posInt = (key: string): number | undefined => {
    const v = raw[key];
    if (v === undefined || v === null) return undefined;
    return Number.isSafeInteger(v) && (v as number) > 0
      ? (v as number)
      : fail(`${key} must be a positive integer, got ${JSON.stringify(v)}`);
  };
  const bool = (key: string, dflt: boolean): boolean => {
    const v = raw[key];
    if (v === undefined || v === null) return dflt;
    return typeof v === 'boolean' ? v : fail(`${key} must be true or false, got ${JSON.stringify(v)}`);
  };
  const str = (key: string): string | undefined => {
    const v = raw[key];
    if (v === undefined || v === null) return undefined;
    return typeof v === 'string' ? v : fail(`${key} must be a string, got ${JSON.stringify(v)}`);
  };

  const dModel = posInt('d_model') ?? fail('d_model is missing');
  const ef = posInt('expansion_factor');
  const dSae = posInt('d_sae') ?? (ef !== undefined ? dModel * ef : fail('needs d_sae or expansion_factor'));
  const hookIn = str('hook_point_in') ?? fail('hook_point_in is missing');
  const hookOut = str('hook_point_out');
  if (hookOut !== undefined && hookOut !== hookIn) {
    fail(`hook_point_in ${hookIn} differs from hook_point_out ${hookOut}: this is a transcoder, not an SAE; not supported`);
  }
  const act = str('act_fn') ?? 'jumprelu';
  if (act !== 'jumprelu') fail(`act_fn ${JSON.stringify(act)} is not supported (Llama Scope releases use jumprelu)`);
  const threshold = raw['jump_relu_threshold'];
  if (typeof threshold !== 'number' || !Number.isFinite(threshold)) {
    fail(`jump_relu_threshold must be a finite number, got ${JSON.stringify(threshold)}`);
  }

  const normActivation = str('norm_activation') ?? 'dataset-wise';
  let scale = 1;
  if (normActivation === 'dataset-wise') {
    const avg = raw['dataset_average_activation_norm'];
    const normIn = typeof avg === 'object' && avg !== null ? (avg as Record<string, unknown>)['in'] : undefined;
    if (typeof normIn !== 'number' || !(normIn > 0) || !Number.isFinite(normIn)) {
      fail(`norm_activation is dataset-wise but dataset_average_activation_norm.in is ${JSON.stringify(normIn)}, not a positive number`);
    }
    scale = Math.sqrt(dModel) / (normIn as number);
  } else if (normActivation !== 'inference' && normActivation !== 'none') {
    // token-wise / batch-wise rescale every input by its own norm: not what SAELens loads.
    fail(`norm_activation ${JSON.stringify(normActivation)} is not supported (dataset-wise, inference, none)`);
  }
  return {
    dModel,
    dSae,
    hookIn,
    threshold: threshold as number,
    scale,
    normActivation,
    useDecoderBias: bool('use_decoder_bias', true),
    applyDecoderBiasToPreEncoder: bool('apply_decoder_bias_to_pre_encoder', false),
  };
}

/** The weights file of a Llama Scope folder, or undefined when there is none. */
export function llamaScopeWeights(dir: string): string | undefined {
  return LLAMASCOPE_WEIGHTS.map((w) => path.join(dir, w)).find((f) => fs.existsSync(f));
}

/**
 * Load a Llama Scope folder (hyperparams.json + checkpoints/final.safetensors) into our
 * jumprelu form with the dataset-wise norm folded into the weights.
 *
 * @param hook overrides hook_point_in.
 */
export function loadLlamaScope(dir: string, userPath: string, hook: string | undefined): Sae {
  const cfgFile = path.join(dir, LLAMASCOPE_CFG);
  const c = parseLlamaScopeCfg(readCfgJson(cfgFile), cfgFile);
  const weightsFile = llamaScopeWeights(dir);
  if (!weightsFile) throw new SaeFileError(dir, `has ${LLAMASCOPE_CFG} but no ${LLAMASCOPE_WEIGHTS.join(' or ')}`);
  const st = readSafetensors(weightsFile);
  const src: TensorSource = {
    file: weightsFile,
    has: (n) => st.has(n),
    get: (n) => st.tensor(n),
    dtype: (n) => st.entries.get(n)?.dtype ?? 'unknown',
    names: () => [...st.entries.keys()],
  };
  const { dModel: dIn, dSae, scale: s } = c;
  const config: SaeConfig = {
    architecture: 'jumprelu',
    dIn,
    dSae,
    hookName: hook ?? c.hookIn,
    applyBDecToInput: c.applyDecoderBiasToPreEncoder,
    normalize: 'none',
    prependBos: true, // as SAELens' llama_scope config says
    ...(s !== 1
      ? { foldedPreprocessing: `Llama Scope dataset-wise norm folded in (×s, s = √d_model / avg norm = ${s.toPrecision(6)})` }
      : {}),
  };
  const dims: Dims = { values: { d_in: dIn, d_sae: dSae }, labels: { d_in: 'd_model', d_sae: 'd_sae' }, source: `${LLAMASCOPE_CFG} says` };
  const take = (name: string, shape: readonly string[]): Float32Array => takeTensor(src, name, shape, dims, config).data;

  const wEnc = transpose2d(take('encoder.weight', ['d_sae', 'd_in']), dSae, dIn);
  for (let i = 0; i < wEnc.length; i++) wEnc[i] = (wEnc[i] ?? 0) * s;
  const wDec = transpose2d(take('decoder.weight', ['d_in', 'd_sae']), dIn, dSae);
  for (let i = 0; i < wDec.length; i++) wDec[i] = (wDec[i] ?? 0) / s;
  const bDec = c.useDecoderBias ? Float32Array.from(take('decoder.bias', ['d_in']), (v) => v / s) : new Float32Array(dIn);
  const params: SaeParams = {
    W_enc: { data: wEnc, shape: [dIn, dSae] },
    b_enc: { data: Float32Array.from(take('encoder.bias', ['d_sae'])), shape: [dSae] },
    W_dec: { data: wDec, shape: [dSae, dIn] },
    b_dec: { data: bDec, shape: [dIn] },
    threshold: { data: new Float32Array(dSae).fill(c.threshold * s), shape: [dSae] },
  };
  return { config, params, source: { path: userPath, weightsFile, format: 'llamascope', dtype: src.dtype('encoder.weight') } };
}
