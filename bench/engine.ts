/**
 * `npm run bench:engine [-- --tokens N --dir DIR --provider EP]`
 *
 * GPT-2-small-shaped model (d=768, 12 layers, 12 heads) with a 24,576-latent TopK SAE (k=32)
 * at blocks.8.hook_resid_pre, written by the project's own ONNX writer. Measures, in one run:
 * - capture tokens/s (windows of 128, batch 8) against the PyTorch reference doing the same
 *   work (../shared/tools/refgen/perf_ref.py, Debian python3-torch) when it is installed;
 * - per-token generation latency, steered (one clamp) against unsteered.
 * Prints ratios against baselines measured in the same run; timings are medians.
 */
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Engine } from '../src/core/model/engine.ts';
import type { ProviderName } from '../src/core/model/providers.ts';
import { BATCH, byteWindows, CTX, defaultBenchDir, K, median, prepareBench, torchRate as referenceRate } from './setup.ts';

const { values } = parseArgs({
  options: {
    tokens: { type: 'string', default: '4096' },
    dir: { type: 'string', default: defaultBenchDir },
    provider: { type: 'string' },
    reps: { type: 'string', default: '3' },
  },
});
const nTokens = Math.max(CTX * BATCH, Number(values.tokens));
const reps = Math.max(1, Number(values.reps));
const dir = path.resolve(values.dir!);

async function captureRate(engine: Engine, rows: number[][]): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < rows.length; i += BATCH) await engine.capture(rows.slice(i, i + BATCH), K);
  return (rows.length * CTX) / ((performance.now() - t0) / 1000);
}

const torchRate = (): number | undefined => referenceRate(dir, nTokens);

prepareBench(dir);
const rows = byteWindows(dir, nTokens);
const engine = await Engine.open({
  model: path.join(dir, 'model'),
  sae: path.join(dir, 'sae'),
  cacheDir: path.join(dir, 'graph-cache'),
  ...(values.provider ? { provider: values.provider as ProviderName } : {}),
});
console.log(`provider ${engine.activeProvider} · ${os.cpus().length} CPUs · ${rows.length * CTX} tokens per capture pass`);
await engine.capture(rows.slice(0, BATCH), K); // warm-up: session creation, allocations

// interleave ours and the reference so both see the same machine load
const ours: number[] = [];
const theirs: number[] = [];
for (let r = 0; r < reps; r++) {
  ours.push(await captureRate(engine, rows));
  const t = torchRate();
  if (t !== undefined) theirs.push(t);
}
const capture = median(ours);
const torch = theirs.length ? median(theirs) : undefined;

const prompt = rows[0]!.slice(0, 64);
const steer = [{ feature: 123, mode: 'clamp' as const, value: 20 }];
await engine.generate(prompt, { maxNewTokens: 4 });
await engine.generate(prompt, { maxNewTokens: 4, interventions: steer });
const plain: number[] = [];
const steered: number[] = [];
for (let r = 0; r < reps; r++) {
  plain.push((await engine.generate(prompt, { maxNewTokens: 32 })).secondsPerToken);
  steered.push((await engine.generate(prompt, { maxNewTokens: 32, interventions: steer })).secondsPerToken);
}
await engine.close();

const result = {
  capture_tokens_per_second: Math.round(capture),
  torch_tokens_per_second: torch === undefined ? null : Math.round(torch),
  capture_vs_torch: torch === undefined ? null : Number((capture / torch).toFixed(2)),
  unsteered_ms_per_token: Number((median(plain) * 1000).toFixed(2)),
  steered_ms_per_token: Number((median(steered) * 1000).toFixed(2)),
  steered_vs_unsteered: Number((median(steered) / median(plain)).toFixed(2)),
};
console.log(`capture            ${result.capture_tokens_per_second} tokens/s`);
console.log(
  torch === undefined
    ? 'torch reference    skipped: /usr/bin/python3 with torch or ../shared/tools/refgen/perf_ref.py not found'
    : `torch reference    ${result.torch_tokens_per_second} tokens/s → ratio ${result.capture_vs_torch}× (target ≥ 1.3×)`,
);
console.log(`generation         ${result.unsteered_ms_per_token} ms/token unsteered, ${result.steered_ms_per_token} steered → ratio ${result.steered_vs_unsteered}× (target ≤ 1.3×)`);
console.log(JSON.stringify(result));
