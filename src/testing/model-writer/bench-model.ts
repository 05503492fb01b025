import { writeModelFolder, type WrittenModel } from './write-model.ts';
import type { ModelSpec } from './spec.ts';

/**
 * The benchmark model's spec: GPT-2-small-shaped (vocab 256 bytes, d 768, 12 layers, 12 heads,
 * ctx 1024, KV-cache I/O), like shared/tools/refgen/perf_ref.py builds (~86 M parameters,
 * ~350 MB, so it stays a single file; 'auto' moves weights out only past ~1.5 GB).
 */
export const BENCH_SPEC: ModelSpec = {
  family: 'gpt2',
  vocab: 256,
  d: 768,
  layers: 12,
  heads: 12,
  ctx: 1024,
  withPast: true,
  seed: 5,
  externalData: 'auto',
};

/** Writes the benchmark model folder into `dir` (takes a few seconds and ~1 GB of memory). */
export function writeBenchModel(dir: string, overrides: Partial<ModelSpec> = {}): WrittenModel {
  return writeModelFolder(dir, { ...BENCH_SPEC, ...overrides });
}
