/**
 * dictionary_learning SAEs (saprmarks/dictionary_learning; SAEBench and andyrdt releases,
 * SAELens's `dictionary_learning_1` loader): a folder with `config.json` (`trainer`, `buffer`)
 * and `ae.pt`, a torch state_dict read by torch.ts (no Python, no code execution).
 *
 * Each `trainer.dict_class` maps onto one of our architectures with its own key names:
 *
 * | dict_class             | ours     | encode (x)                                   | b_dec          |
 * |------------------------|----------|----------------------------------------------|----------------|
 * | AutoEncoder            | standard | ReLU(encoder(x − bias))                      | bias           |
 * | AutoEncoderNew         | standard | ReLU(encoder(x))                             | decoder.bias   |
 * | AutoEncoderTopK        | topk     | top k of ReLU(encoder(x − b_dec))            | b_dec          |
 * | BatchTopKSAE           | jumprelu | ReLU(pre)·[ReLU(pre) > threshold] (scalar)   | b_dec          |
 * | MatryoshkaBatchTopKSAE | jumprelu | as BatchTopKSAE, W_enc/W_dec stored directly | b_dec          |
 * | JumpReluAutoEncoder    | jumprelu | pre·[pre > threshold], x not centred         | b_dec          |
 * | GatedAutoEncoder       | gated    | [x̃·W + gate_bias > 0]·ReLU(e^r_mag·x̃·W + mag_bias) | decoder_bias |
 *
 * `encoder.weight` is [d_sae, d_in] and `decoder.weight` [d_in, d_sae] (nn.Linear), so both are
 * transposed into our W_enc [d_in, d_sae] / W_dec [d_sae, d_in]. Inference follows each class's
 * own `encode` defaults (TopK: top k, BatchTopK: the learned threshold; SAELens's loader would
 * drop that threshold and run plain ReLU). The decoder is not renormalised, as in SAELens
 * (dictionary_learning's `AutoEncoder.from_pretrained` would).
 */
import path from 'node:path';

import { readCfgJson } from './cfg.ts';
import { SaeFileError } from './errors.ts';
import { readTorchStateDict } from './torch.ts';
import { takeScalar, takeTensor, type Dims, type TensorSource } from './tensor-source.ts';
import { transpose2d } from '../util/matrix.ts';
import type { Sae, SaeArchitecture, SaeConfig, SaeParams, Tensor } from './types.ts';

/** The dictionary_learning config file and weights file. */
export const DICTLEARN_CFG = 'config.json';
export const DICTLEARN_WEIGHTS = 'ae.pt';

/** The dict classes we load, and the architecture each becomes. */
export const DICT_CLASSES = {
  AutoEncoder: 'standard',
  AutoEncoderNew: 'standard',
  AutoEncoderTopK: 'topk',
  BatchTopKSAE: 'jumprelu',
  MatryoshkaBatchTopKSAE: 'jumprelu',
  JumpReluAutoEncoder: 'jumprelu',
  GatedAutoEncoder: 'gated',
} as const satisfies Record<string, SaeArchitecture>;

/** A dict class we load. */
export type DictClass = keyof typeof DICT_CLASSES;

/** config.json, reduced to what loading needs. */
export interface DictLearningCfg {
  /** Undefined when the config does not name it (old configs); decided from the state_dict keys. */
  readonly dictClass: DictClass | undefined;
  readonly dIn: number;
  readonly dSae: number;
  readonly k: number | undefined;
  readonly hookName: string | undefined;
  readonly modelName: string | undefined;
  readonly contextSize: number | undefined;
}

/**
 * Parse a dictionary_learning config.json. The hook comes from `trainer.submodule_name`
 * (`resid_post_layer_L` → `blocks.L.hook_resid_post`, likewise `mlp_out`, `attn_out`) or, as
 * SAELens derives it, from `trainer.layer` alone (→ `blocks.L.hook_resid_post`); `buffer.io`
 * must be `out` for that. Transcoders (`io: in_and_out`) are refused.
 */
export function parseDictLearningCfg(raw: Record<string, unknown>, file: string): DictLearningCfg {
  const fail = (what: string): never => {
    throw new SaeFileError(file, what);
  };
  const trainer = raw['trainer'];
  if (!isRecord(trainer)) return fail('trainer is missing or not an object (not a dictionary_learning config)');
  const buffer = isRecord(raw['buffer']) ? raw['buffer'] : {};
  const posInt = (obj: Record<string, unknown>, prefix: string, key: string, required: boolean): number | undefined => {
    const v = obj[key];
    if (v === undefined || v === null) return required ? fail(`${prefix}.${key} is missing`) : undefined;
    return Number.isSafeInteger(v) && (v as number) > 0
      ? (v as number)
      : fail(`${prefix}.${key} must be a positive integer, got ${JSON.stringify(v)}`);
  };
  const str = (obj: Record<string, unknown>, prefix: string, key: string): string | undefined => {
    const v = obj[key];
    if (v === undefined || v === null) return undefined;
    return typeof v === 'string' ? v : fail(`${prefix}.${key} must be a string, got ${JSON.stringify(v)}`);
  };

  const cls = str(trainer, 'trainer', 'dict_class');
  if (cls !== undefined && !(cls in DICT_CLASSES)) {
    fail(`trainer.dict_class ${JSON.stringify(cls)} is not supported (known: ${Object.keys(DICT_CLASSES).join(', ')})`);
  }
  const layerRaw = trainer['layer'];
  if (layerRaw !== undefined && layerRaw !== null && (!Number.isSafeInteger(layerRaw) || (layerRaw as number) < 0)) {
    fail(`trainer.layer must be a non-negative integer, got ${JSON.stringify(layerRaw)}`);
  }
  const layer = typeof layerRaw === 'number' ? layerRaw : undefined;
  const io = str(buffer, 'buffer', 'io') ?? 'out';
  if (io === 'in_and_out') fail('buffer.io is in_and_out: this is a transcoder (input → output of a module), not an SAE; not supported');

  return {
    dictClass: cls as DictClass | undefined,
    dIn: posInt(trainer, 'trainer', 'activation_dim', true) ?? 0,
    dSae: posInt(trainer, 'trainer', 'dict_size', true) ?? 0,
    k: posInt(trainer, 'trainer', 'k', false),
    hookName: hookFromTrainer(str(trainer, 'trainer', 'submodule_name'), layer, io, file),
    modelName: str(trainer, 'trainer', 'lm_name')?.split('/').pop(),
    contextSize: posInt(buffer, 'buffer', 'ctx_len', false),
  };
}

function hookFromTrainer(submodule: string | undefined, layer: number | undefined, io: string, file: string): string | undefined {
  // An SAE on a module's input ("in") reads a tensor whose TransformerLens name we cannot tell.
  if (io !== 'out') return undefined;
  if (submodule === undefined) return layer === undefined ? undefined : `blocks.${layer}.hook_resid_post`;
  const m = /^(resid_post|mlp_out|attn_out)_layer_(\d+)$/.exec(submodule);
  if (!m) return undefined;
  const l = Number(m[2]);
  if (layer !== undefined && layer !== l) {
    throw new SaeFileError(file, `trainer.submodule_name ${submodule} says layer ${l} but trainer.layer is ${layer}`);
  }
  return `blocks.${l}.hook_${m[1] ?? ''}`;
}

/**
 * Load a dictionary_learning folder (config.json + ae.pt).
 *
 * @param hook overrides the hook derived from config.json.
 */
export function loadDictionaryLearning(dir: string, userPath: string, hook: string | undefined): Sae {
  const cfgFile = path.join(dir, DICTLEARN_CFG);
  const c = parseDictLearningCfg(readCfgJson(cfgFile), cfgFile);
  const weightsFile = path.join(dir, DICTLEARN_WEIGHTS);
  const sd = readTorchStateDict(weightsFile);
  const src: TensorSource = {
    file: weightsFile,
    has: (n) => sd.has(n),
    get: (n) => sd.tensor(n),
    dtype: (n) => sd.entries.get(n)?.dtype ?? 'unknown',
    names: () => [...sd.entries.keys()],
  };
  const dictClass = c.dictClass ?? inferDictClass(src, cfgFile);
  const architecture = DICT_CLASSES[dictClass];
  const { dIn, dSae } = c;
  const dims: Dims = {
    values: { d_in: dIn, d_sae: dSae },
    labels: { d_in: 'trainer.activation_dim', d_sae: 'trainer.dict_size' },
    source: `${DICTLEARN_CFG} says`,
  };
  const { params, k, applyBDecToInput } = readClassParams(dictClass, classTensors(src, dims, architecture, dictClass), c.k, cfgFile);
  const config: SaeConfig = {
    architecture,
    dIn,
    dSae,
    hookName: hook ?? c.hookName,
    ...(k !== undefined ? { k } : {}),
    applyBDecToInput,
    normalize: 'none',
    prependBos: true, // as SAELens' dictionary_learning_1 config says
    ...(c.modelName !== undefined ? { modelName: c.modelName } : {}),
    ...(c.contextSize !== undefined ? { contextSize: c.contextSize } : {}),
  };
  const dtypeKey = src.has('encoder.weight') ? 'encoder.weight' : 'W_enc';
  return { config, params, source: { path: userPath, weightsFile, format: 'dictionary_learning', dtype: src.dtype(dtypeKey) } };
}

/** Readers for one SAE's tensors, checked against config.json's dims. */
interface ClassTensors {
  readonly src: TensorSource;
  readonly dSae: number;
  /** A tensor as stored. */
  take(name: string, shape: readonly string[]): Tensor;
  /** nn.Linear weight [out, in] → our [in, out]. */
  linearT(name: string, shape: readonly ['d_sae', 'd_in'] | readonly ['d_in', 'd_sae']): Tensor;
  /** The scalar `threshold` tensor, spread over all d_sae latents. */
  scalarThreshold(): Tensor;
}

function classTensors(src: TensorSource, dims: Dims, architecture: SaeArchitecture, dictClass: DictClass): ClassTensors {
  const dSae = dims.values['d_sae'] ?? 0;
  const take = (name: string, shape: readonly string[]): Tensor => takeTensor(src, name, shape, dims, { architecture });
  const linearT = (name: string, shape: readonly ['d_sae', 'd_in'] | readonly ['d_in', 'd_sae']): Tensor => {
    const [rows, cols] = shape.map((d) => dims.values[d] ?? 0) as [number, number];
    return { data: transpose2d(take(name, shape).data, rows, cols), shape: [cols, rows] };
  };
  const scalarThreshold = (): Tensor => {
    const t = takeScalar(src, 'threshold', `${dictClass} needs it`);
    return { data: new Float32Array(dSae).fill(t), shape: [dSae] };
  };
  return { src, dSae, take, linearT, scalarThreshold };
}

/** What a dict class's state_dict becomes: our params, TopK's k, and whether b_dec is subtracted from the input. */
interface ClassParams {
  readonly params: SaeParams;
  readonly k: number | undefined;
  readonly applyBDecToInput: boolean;
}

/** Read the tensors of `dictClass` under its own key names (see the table at the top). */
function readClassParams(dictClass: DictClass, t: ClassTensors, cfgK: number | undefined, cfgFile: string): ClassParams {
  const { src, dSae, take, linearT, scalarThreshold } = t;
  let params: SaeParams;
  let k: number | undefined;
  let applyBDecToInput = true;
  switch (dictClass) {
    case 'AutoEncoder':
      params = {
        W_enc: linearT('encoder.weight', ['d_sae', 'd_in']),
        b_enc: take('encoder.bias', ['d_sae']),
        W_dec: linearT('decoder.weight', ['d_in', 'd_sae']),
        b_dec: take('bias', ['d_in']),
      };
      break;
    case 'AutoEncoderNew':
      applyBDecToInput = false;
      params = {
        W_enc: linearT('encoder.weight', ['d_sae', 'd_in']),
        b_enc: take('encoder.bias', ['d_sae']),
        W_dec: linearT('decoder.weight', ['d_in', 'd_sae']),
        b_dec: take('decoder.bias', ['d_in']),
      };
      break;
    case 'AutoEncoderTopK':
      k = topK(src, cfgK, dSae, cfgFile);
      params = {
        W_enc: linearT('encoder.weight', ['d_sae', 'd_in']),
        b_enc: take('encoder.bias', ['d_sae']),
        W_dec: linearT('decoder.weight', ['d_in', 'd_sae']),
        b_dec: take('b_dec', ['d_in']),
      };
      break;
    case 'BatchTopKSAE':
      params = {
        W_enc: linearT('encoder.weight', ['d_sae', 'd_in']),
        b_enc: take('encoder.bias', ['d_sae']),
        W_dec: linearT('decoder.weight', ['d_in', 'd_sae']),
        b_dec: take('b_dec', ['d_in']),
        threshold: scalarThreshold(),
      };
      break;
    case 'MatryoshkaBatchTopKSAE':
      checkGroupSizes(src, dSae);
      params = {
        W_enc: take('W_enc', ['d_in', 'd_sae']),
        b_enc: take('b_enc', ['d_sae']),
        W_dec: take('W_dec', ['d_sae', 'd_in']),
        b_dec: take('b_dec', ['d_in']),
        threshold: scalarThreshold(),
      };
      break;
    case 'JumpReluAutoEncoder':
      applyBDecToInput = false; // the class's default; not part of its state_dict
      params = {
        W_enc: take('W_enc', ['d_in', 'd_sae']),
        b_enc: take('b_enc', ['d_sae']),
        W_dec: take('W_dec', ['d_sae', 'd_in']),
        b_dec: take('b_dec', ['d_in']),
        threshold: take('threshold', ['d_sae']),
      };
      break;
    case 'GatedAutoEncoder':
      params = {
        W_enc: linearT('encoder.weight', ['d_sae', 'd_in']),
        b_gate: take('gate_bias', ['d_sae']),
        r_mag: take('r_mag', ['d_sae']),
        b_mag: take('mag_bias', ['d_sae']),
        W_dec: linearT('decoder.weight', ['d_in', 'd_sae']),
        b_dec: take('decoder_bias', ['d_in']),
      };
      break;
  }
  return { params, k, applyBDecToInput };
}

/** TopK's k: config.json's trainer.k and the state_dict's `k` buffer must agree when both are there. */
function topK(src: TensorSource, cfgK: number | undefined, dSae: number, cfgFile: string): number {
  const stored = src.has('k') ? takeScalar(src, 'k', 'AutoEncoderTopK needs k') : undefined;
  if (stored !== undefined && (!Number.isSafeInteger(stored) || stored <= 0)) {
    throw new SaeFileError(src.file, `tensor k holds ${stored}, not a positive integer`, { tensor: 'k' });
  }
  if (stored !== undefined && cfgK !== undefined && stored !== cfgK) {
    throw new SaeFileError(cfgFile, `trainer.k is ${cfgK} but ${src.file} holds k = ${stored}`);
  }
  const k = cfgK ?? stored;
  if (k === undefined) throw new SaeFileError(cfgFile, 'AutoEncoderTopK needs trainer.k (or a k tensor in ae.pt)');
  if (k > dSae) throw new SaeFileError(cfgFile, `k=${k} is larger than trainer.dict_size=${dSae}`);
  return k;
}

/** Matryoshka: all groups are active at inference, so they must cover the whole dictionary. */
function checkGroupSizes(src: TensorSource, dSae: number): void {
  if (!src.has('group_sizes')) return;
  const g = src.get('group_sizes').data;
  const sum = g.reduce((a, v) => a + v, 0);
  if (sum !== dSae) {
    throw new SaeFileError(src.file, `tensor group_sizes sums to ${sum}, not trainer.dict_size=${dSae}`, { tensor: 'group_sizes' });
  }
}

/** Old configs without dict_class: only the plain AutoEncoder's key set is unambiguous. */
function inferDictClass(src: TensorSource, cfgFile: string): DictClass {
  const keys = src.names().sort().join(',');
  if (keys === 'bias,decoder.weight,encoder.bias,encoder.weight') return 'AutoEncoder';
  throw new SaeFileError(
    cfgFile,
    `trainer.dict_class is missing and ${src.file}'s tensors (${keys}) do not identify one (known: ${Object.keys(DICT_CLASSES).join(', ')})`,
  );
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
