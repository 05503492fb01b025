export { BENCH_SPEC, writeBenchModel } from './bench-model.ts';
export type { HookSite } from './hook-sites.ts';
export { referenceForward, type ReferenceResult } from './reference.ts';
export { residualHookNames, resolveSpec, type ModelFamily, type ModelSpec, type NormStyle, type ResolvedSpec } from './spec.ts';
export { byteLevelTokenizerJson, writeByteTokenizer } from './tokenizer.ts';
export { makeWeights, type ModelWeights, type WeightTensor } from './weights.ts';
export { buildModel, writeModelFolder, type BuiltModel, type WrittenModel } from './write-model.ts';
