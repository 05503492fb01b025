/**
 * Seeded random SAE weights and writers for every on-disk format, for tests and tools
 * (e.g. graph-builder tests that need a gated or switch SAE without a reference fixture).
 */
import fs from 'node:fs';
import path from 'node:path';

import { seededRandom } from '../../core/util/random.ts';
import { writeNpz } from '../../core/sae/npz.ts';
import { writeSafetensors, type TensorToWrite } from '../../core/sae/safetensors.ts';
import type { SaeArchitecture, SaeNormalization } from '../../core/sae/types.ts';

/** `n` normal samples × scale + shift (Box–Muller). */
export function randomNormal(rand: () => number, n: number, scale = 1, shift = 0): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const u = 1 - rand();
    const v = rand();
    out[i] = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v) * scale + shift;
  }
  return out;
}

/** What to generate. */
export interface SyntheticSaeSpec {
  readonly architecture: SaeArchitecture;
  readonly dIn: number;
  readonly dSae: number;
  readonly nExperts?: number;
  readonly seed?: number;
}

/**
 * Random weights under SAELens tensor names for the architecture (W_enc [d_in, d_sae], …).
 * Biases are chosen so a useful fraction of latents fire on unit-scale inputs.
 */
export function syntheticSaeTensors(spec: SyntheticSaeSpec): Record<string, TensorToWrite> {
  const { dIn, dSae } = spec;
  const rand = seededRandom(spec.seed ?? 1);
  const t = (shape: number[], scale: number, shift = 0): TensorToWrite => ({
    data: randomNormal(rand, shape.reduce((a, d) => a * d, 1), scale, shift),
    shape,
  });
  const base = { W_enc: t([dIn, dSae], 0.3), W_dec: t([dSae, dIn], 0.3), b_dec: t([dIn], 0.1) };
  switch (spec.architecture) {
    case 'standard':
    case 'topk':
      return { ...base, b_enc: t([dSae], 0.2, -0.5) };
    case 'jumprelu': {
      const threshold = new Float32Array(dSae).map(() => rand() * 0.5 + 0.05);
      return { ...base, b_enc: t([dSae], 0.2, -0.5), threshold: { data: threshold, shape: [dSae] } };
    }
    case 'gated':
      return { ...base, b_gate: t([dSae], 0.2), r_mag: t([dSae], 0.1), b_mag: t([dSae], 0.2) };
    case 'switch': {
      const e = spec.nExperts ?? 4;
      return { ...base, W_router: t([dIn, e], 0.5), b_router: t([dIn], 0.1) };
    }
  }
}

/** cfg.json fields for a SAELens SAE. */
export interface SaeLensCfgSpec {
  readonly architecture: string;
  readonly dIn: number;
  readonly dSae: number;
  readonly hookName: string;
  readonly k?: number;
  readonly nExperts?: number;
  readonly normalize?: SaeNormalization | string | boolean | null;
  readonly applyBDecToInput?: boolean;
  readonly modelName?: string;
  /** `flat` (SAELens ≤ v5) or `v6` (hook, model, … under `metadata`). */
  readonly layout?: 'flat' | 'v6';
  /** Extra top-level fields, merged last. */
  readonly extra?: Readonly<Record<string, unknown>>;
}

/** A SAELens cfg.json object, flat (≤ v5) or v6 style. */
export function saeLensCfg(spec: SaeLensCfgSpec): Record<string, unknown> {
  const meta = {
    model_name: spec.modelName ?? 'synthetic-model',
    hook_name: spec.hookName,
    prepend_bos: true,
    context_size: 128,
  };
  const common: Record<string, unknown> = {
    architecture: spec.architecture,
    d_in: spec.dIn,
    d_sae: spec.dSae,
    dtype: 'float32',
    device: 'cpu',
    apply_b_dec_to_input: spec.applyBDecToInput ?? true,
    normalize_activations: spec.normalize ?? 'none',
  };
  if (spec.nExperts !== undefined) common['n_experts'] = spec.nExperts;
  if (spec.layout === 'v6') {
    return {
      ...common,
      ...(spec.k === undefined ? {} : { k: spec.k }),
      metadata: { ...meta, sae_lens_version: '6.5.0', sae_lens_training_version: '6.5.0' },
      ...spec.extra,
    };
  }
  return {
    ...common,
    ...meta,
    hook_layer: Number(/^blocks\.(\d+)\./.exec(spec.hookName)?.[1] ?? 0),
    hook_head_index: null,
    activation_fn_str: spec.architecture === 'topk' ? 'topk' : 'relu',
    ...(spec.k === undefined ? {} : { k: spec.k, activation_fn_kwargs: { k: spec.k } }),
    finetuning_scaling_factor: false,
    ...spec.extra,
  };
}

/** Write a SAELens (or switch) folder: cfg.json + sae_weights.safetensors. */
export function writeSaeLensFolder(
  dir: string,
  cfg: Readonly<Record<string, unknown>>,
  tensors: Readonly<Record<string, TensorToWrite>>,
  dtype: 'F32' | 'F16' | 'BF16' = 'F32',
): void {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'cfg.json'), JSON.stringify(cfg, null, 1));
  writeSafetensors(path.join(dir, 'sae_weights.safetensors'), tensors, dtype);
}

/**
 * Write a sparsify folder (cfg.json + sae.safetensors) from SAELens-named topk tensors:
 * `encoder.weight` is W_enc transposed to [d_sae, d_in].
 */
export function writeSparsifyFolder(
  dir: string,
  tensors: Readonly<Record<string, TensorToWrite>>,
  k: number,
  cfgExtra: Readonly<Record<string, unknown>> = {},
): void {
  const wEnc = need(tensors, 'W_enc');
  const [dIn = 0, dSae = 0] = wEnc.shape;
  const enc = new Float32Array(dIn * dSae);
  for (let i = 0; i < dIn; i++) for (let j = 0; j < dSae; j++) enc[j * dIn + i] = wEnc.data[i * dSae + j] ?? 0;
  fs.mkdirSync(dir, { recursive: true });
  const cfg = {
    activation: 'topk',
    expansion_factor: dSae / dIn,
    normalize_decoder: true,
    num_latents: dSae,
    k,
    multi_topk: false,
    skip_connection: false,
    transcode: false,
    d_in: dIn,
    ...cfgExtra,
  };
  fs.writeFileSync(path.join(dir, 'cfg.json'), JSON.stringify(cfg));
  writeSafetensors(path.join(dir, 'sae.safetensors'), {
    'encoder.weight': { data: enc, shape: [dSae, dIn] },
    'encoder.bias': need(tensors, 'b_enc'),
    W_dec: need(tensors, 'W_dec'),
    b_dec: need(tensors, 'b_dec'),
  });
}

/** Write Gemma Scope's params.npz (W_enc, W_dec, b_enc, b_dec, threshold). */
export function writeGemmaScopeNpz(
  file: string,
  tensors: Readonly<Record<string, TensorToWrite>>,
  opts: { deflate: boolean; zip64?: boolean },
): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  writeNpz(file, tensors, opts);
}

function need(tensors: Readonly<Record<string, TensorToWrite>>, name: string): TensorToWrite {
  const t = tensors[name];
  if (!t) throw new Error(`tensor ${name} not given`);
  return t;
}

export { seededRandom };
