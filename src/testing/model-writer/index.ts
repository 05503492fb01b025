export { BENCH_SPEC, writeBenchModel } from './bench-model.ts';
export type { HookSite } from './hook-sites.ts';
export { referenceForward, type ReferenceResult } from './reference.ts';
export {
  hookNames,
  isParallel,
  residualHookNames,
  resolveSpec,
  type FloatType,
  type ModelFamily,
  type ModelSpec,
  type NormStyle,
  type ParallelAdd,
  type QuantStyle,
  type ResolvedSpec,
  type TiedEmbedding,
} from './spec.ts';
export { byteLevelTokenizerJson, writeByteTokenizer } from './tokenizer.ts';
export { makeWeights, type ModelWeights, type WeightTensor } from './weights.ts';
export { buildModel, writeModelFolder, type BuiltModel, type WrittenModel } from './write-model.ts';
