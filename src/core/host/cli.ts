/**
 * What the CLI uses of core besides createCore and its services: the types of the results it
 * prints, and a few pure helpers every host may use. src/cli imports core only through
 * src/core/host (eslint.config.js); everything it runs goes through `core.request` or a service.
 */
export type { Core, CoreOptions } from './core.ts';
export type { DecoderComparison } from '../health/compare.ts';
export type { PullState } from '../hub/pull.ts';
export type { IndexProgress, IndexResult } from '../index/indexer.ts';
export type { MergeResult } from '../index/merge.ts';
export type { ParquetExport } from '../index/export-parquet.ts';
export type { ShardSpec } from '../index/types.ts';
export type { EncodedToken, Engine } from '../model/engine.ts';
export type { ModelHooks } from '../model/hook-list.ts';
export type { EngineChoice } from '../model/service.ts';
export type { GridPlan, GridRunResult } from '../steer/grid.ts';
export type { BuiltPrompt } from '../steer/prompt.ts';
export { InputFileError } from '../kernel/input-file-error.ts';
export { RateMeter } from '../kernel/rate-meter.ts';
export { appVersion } from '../kernel/version.ts';
export { PROMPT_VERSION } from '../autointerp/prompts.ts';
export { DEFAULT_CONTEXT as DEFAULT_EVAL_CONTEXT } from '../health/evaluate.ts';
