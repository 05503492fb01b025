/**
 * What the benchmarks share: the GPT-2-small-shaped model (d=768, 12 layers, 12 heads)
 * with a 24,576-latent TopK SAE (k=32) at blocks.8.hook_resid_pre, written by the
 * project's own ONNX writer, a corpus of 200 byte-token documents, and the PyTorch
 * reference rate (../shared/tools/refgen/perf_ref.py, Debian python3-torch) when installed.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { writeBenchModel } from '#testing/model-writer/index.ts';
import { saeLensCfg, syntheticSaeTensors, writeSaeLensFolder } from '#testing/sae/synthetic.ts';
import { repoRoot } from '#testing/fixtures.ts';

export const HOOK = 'blocks.8.hook_resid_pre';
export const D = 768;
export const D_SAE = 24576;
export const K = 32;
/** Window length and batch of the capture comparisons. */
export const CTX = 128;
export const BATCH = 8;

/** Where the benchmark files live unless --dir says otherwise (made once, reused). */
export const defaultBenchDir = path.join(repoRoot, '.cache', 'bench');

/** The median of some numbers. */
export const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Model, SAE and corpus in `dir` (made once, reused by later runs). */
export function prepareBench(dir: string): void {
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
      ? fs
          .readFileSync('/usr/share/dict/words', 'utf8')
          .split('\n')
          .filter((w) => /^[a-z]+$/.test(w))
      : ['alpha', 'beta', 'gamma', 'delta', 'the', 'of', 'and', 'to', 'in', 'is'];
    let seed = 3;
    const rand = (): number => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
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
export function byteWindows(dir: string, nTokens: number): number[][] {
  const ids: number[] = [];
  for (const line of fs.readFileSync(path.join(dir, 'corpus.jsonl'), 'utf8').split('\n')) {
    if (line) ids.push(...Buffer.from((JSON.parse(line) as { text: string }).text, 'utf8'));
  }
  const out: number[][] = [];
  for (let i = 0; i + CTX <= ids.length && out.length * CTX < nTokens; i += CTX) out.push(ids.slice(i, i + CTX));
  return out;
}

/** The PyTorch reference's capture tokens/s over nTokens, or undefined when torch or the script is missing. */
export function torchRate(dir: string, nTokens: number): number | undefined {
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
