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
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Engine } from '../src/core/model/engine.ts';
import type { ProviderName } from '../src/core/model/providers.ts';
import { writeBenchModel } from '../src/core/model/writer/index.ts';
import { saeLensCfg, syntheticSaeTensors, writeSaeLensFolder } from '../src/core/sae/synthetic.ts';
import { repoRoot } from '../src/core/testing/fixtures.ts';

const { values } = parseArgs({
  options: {
    tokens: { type: 'string', default: '4096' },
    dir: { type: 'string', default: path.join(repoRoot, '.cache', 'bench') },
    provider: { type: 'string' },
    reps: { type: 'string', default: '3' },
  },
});
const HOOK = 'blocks.8.hook_resid_pre';
const D = 768;
const D_SAE = 24576;
const K = 32;
const CTX = 128;
const BATCH = 8;
const nTokens = Math.max(CTX * BATCH, Number(values.tokens));
const reps = Math.max(1, Number(values.reps));
const dir = path.resolve(values.dir!);

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Model, SAE and corpus in `dir` (made once, reused by later runs). */
function prepare(): void {
  const modelDir = path.join(dir, 'model');
  if (!fs.existsSync(path.join(modelDir, 'model.onnx'))) {
    console.log(`writing the GPT-2-small-shaped model to ${modelDir} ...`);
    writeBenchModel(modelDir);
  }
  const saeDir = path.join(dir, 'sae');
  if (!fs.existsSync(path.join(saeDir, 'sae_weights.safetensors'))) {
    console.log(`writing the ${D_SAE}-latent TopK SAE (k=${K}) to ${saeDir} ...`);
    writeSaeLensFolder(
      saeDir,
      saeLensCfg({ architecture: 'topk', dIn: D, dSae: D_SAE, hookName: HOOK, k: K, extra: { prepend_bos: false } }),
      syntheticSaeTensors({ architecture: 'topk', dIn: D, dSae: D_SAE, seed: 7 }),
    );
  }
  const corpus = path.join(dir, 'corpus.jsonl');
  if (!fs.existsSync(corpus)) {
    // the same shape perf_ref.py reads: 200 documents of ~1000 characters (byte tokens)
    const words = fs.existsSync('/usr/share/dict/words')
      ? fs.readFileSync('/usr/share/dict/words', 'utf8').split('\n').filter((w) => /^[a-z]+$/.test(w))
      : ['alpha', 'beta', 'gamma', 'delta', 'the', 'of', 'and', 'to', 'in', 'is'];
    let seed = 3;
    const rand = (): number => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
    const lines: string[] = [];
    for (let d = 0; d < 200; d++) {
      let text = '';
      while (text.length < 1000) text += `${words[Math.floor(rand() * words.length)]} `;
      lines.push(JSON.stringify({ text: text.trim() }));
    }
    fs.writeFileSync(corpus, `${lines.join('\n')}\n`);
  }
}

/** Byte-level windows of CTX tokens from the corpus, nTokens in all. */
function windows(): number[][] {
  const ids: number[] = [];
  for (const line of fs.readFileSync(path.join(dir, 'corpus.jsonl'), 'utf8').split('\n')) {
    if (line) ids.push(...Buffer.from((JSON.parse(line) as { text: string }).text, 'utf8'));
  }
  const out: number[][] = [];
  for (let i = 0; i + CTX <= ids.length && out.length * CTX < nTokens; i += CTX) out.push(ids.slice(i, i + CTX));
  return out;
}

async function captureRate(engine: Engine, rows: number[][]): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < rows.length; i += BATCH) await engine.capture(rows.slice(i, i + BATCH), K);
  return (rows.length * CTX) / ((performance.now() - t0) / 1000);
}

function torchRate(): number | undefined {
  const script = path.resolve(repoRoot, '../shared/tools/refgen/perf_ref.py');
  if (!fs.existsSync(script)) return undefined;
  try {
    execFileSync('/usr/bin/python3', ['-c', 'import torch'], { stdio: 'ignore' });
  } catch {
    return undefined;
  }
  const out = execFileSync('/usr/bin/python3', [script, dir, 'torch', String(nTokens)], { cwd: path.dirname(script), encoding: 'utf8' });
  return (JSON.parse(out.trim().split('\n').pop()!) as { tokens_per_second: number }).tokens_per_second;
}

prepare();
const rows = windows();
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
