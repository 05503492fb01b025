import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import type { HealthMetrics } from '#shared/health-types.ts';
import { AppError } from '#shared/reply.ts';
import { densityHistogram } from '../index/finalize.ts';
import { bosCase, writeJsonlCorpus } from '#testing/index/test-support.ts';
import { Engine } from '../model/engine.ts';
import { fractionOfVarianceUnexplained } from '#testing/sae/metrics.ts';
import { encodeSae, reconstruct } from '#testing/sae/reference.ts';
import { referenceCases, type ReferenceCase } from '#testing/fixtures.ts';
import { evaluateSae } from './evaluate.ts';

/**
 * Evaluation metrics against the reference cases' own figures (FVU and L0 of their prompt,
 * computed by the independent PyTorch implementation) and against a brute-force
 * computation here: windows cut by hand, one window per run without padding, latents and
 * reconstructions from the plain-TypeScript SAE, log-softmaxes in float64 loops.
 */
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sae-health-eval-'));
const cacheDir = path.join(tmp, 'cache');
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const cases = referenceCases();
const byName = (name: string): ReferenceCase | undefined => cases.find((c) => c.name === name);

async function open(modelDir: string, saeDir: string): Promise<Engine> {
  return Engine.open({ model: modelDir, sae: saeDir, cacheDir, provider: 'cpu' });
}

/** The windows the index rule gives, cut here by hand: BOS + (context − 1) tokens, or context tokens. */
function windowsByHand(engine: Engine, texts: readonly string[], context: number, maxTokens: number): number[][] {
  const bos = engine.sae.config.prependBos ? engine.tokenizer.bosId : undefined;
  const per = context - (bos === undefined ? 0 : 1);
  const out: number[][] = [];
  let left = maxTokens;
  for (const text of texts) {
    if (left <= 0) break;
    const ids = engine.tokenizer.encode(text, false).slice(0, left);
    left -= ids.length;
    for (let i = 0; i < ids.length; i += per) out.push([...(bos === undefined ? [] : [bos]), ...ids.slice(i, i + per)]);
  }
  return out;
}

function logSoftmax(row: Float32Array): Float64Array {
  let m = -Infinity;
  for (const v of row) m = Math.max(m, v);
  let s = 0;
  for (const v of row) s += Math.exp(v - m);
  const lse = m + Math.log(s);
  return Float64Array.from(row, (v) => v - lse);
}

/**
 * The metrics by brute force. `skip` positions count nowhere (BOS); `prefix` positions run
 * clean in the SAE-replaced and the zero-ablated passes alike (SAELens masks BOS out of both).
 */
async function bruteForce(engine: Engine, windows: readonly number[][], skip: number, prefix: number): Promise<HealthMetrics> {
  const { dIn, dSae } = engine.sae.config;
  const xs: number[] = [];
  const xHats: number[] = [];
  let active = 0;
  let l1 = 0;
  let err = 0;
  const counts = new Array<number>(dSae).fill(0);
  const ce = { clean: 0, recon: 0, zero: 0, n: 0 };
  const kl = { recon: 0, zero: 0, n: 0 };
  for (const ids of windows) {
    const T = ids.length;
    const x = (await engine.capture([ids], 1, { reconstruction: true })).hookInput!;
    const a = encodeSae(engine.sae, x, T);
    const xHat = reconstruct(engine.sae, a, x, T);
    for (let t = skip; t < T; t++) {
      for (let j = 0; j < dSae; j++) {
        const v = a[t * dSae + j]!;
        if (v !== 0) {
          active++;
          l1 += Math.abs(v);
          counts[j]!++;
        }
      }
      for (let i = 0; i < dIn; i++) {
        xs.push(x[t * dIn + i]!);
        xHats.push(xHat[t * dIn + i]!);
        err += (x[t * dIn + i]! - xHat[t * dIn + i]!) ** 2;
      }
    }
    const clean = await engine.logits([ids], 'base', { cleanPrefix: prefix });
    const recon = await engine.logits([ids], 'replace', { cleanPrefix: prefix });
    const zero = await engine.logits([ids], 'zero', { cleanPrefix: prefix });
    const V = clean.vocab;
    const row = (r: { data: Float32Array }, p: number): Float64Array => logSoftmax(r.data.subarray(p * V, (p + 1) * V));
    for (let t = skip; t < T; t++) {
      const lc = row(clean, t - prefix);
      const lr = row(recon, t - prefix);
      const lz = row(zero, t - prefix);
      if (t + 1 < T) {
        const next = ids[t + 1]!;
        ce.clean -= lc[next]!;
        ce.recon -= lr[next]!;
        ce.zero -= lz[next]!;
        ce.n++;
      }
      for (let v = 0; v < V; v++) {
        const p = Math.exp(lc[v]!);
        kl.recon += p * (lc[v]! - lr[v]!);
        kl.zero += p * (lc[v]! - lz[v]!);
      }
      kl.n++;
    }
  }
  const n = xs.length / dIn;
  const fvu = fractionOfVarianceUnexplained(Float32Array.from(xs), Float32Array.from(xHats), n, dIn);
  const [c, r, z] = [ce.clean / ce.n, ce.recon / ce.n, ce.zero / ce.n];
  return {
    l0: active / n,
    l1: l1 / n,
    mse: err / (n * dIn),
    fvu,
    variance_explained: 1 - fvu,
    ce_clean: c,
    ce_recon: r,
    ce_zero: z,
    ce_loss_recovered: (z - r) / (z - c),
    kl_recon: kl.recon / kl.n,
    kl_zero: kl.zero / kl.n,
    dead: counts.filter((k) => k === 0).length,
    dense: counts.filter((k) => k / n > 0.1).length,
    d_sae: dSae,
    density_histogram: densityHistogram(counts, n),
  };
}

function close(actual: number | null, expected: number | null, rel: number, what: string): void {
  assert.ok(actual !== null && expected !== null, `${what}: ${actual} vs ${expected}`);
  assert.ok(Math.abs(actual - expected) <= rel * Math.max(1, Math.abs(expected)), `${what}: ${actual} vs ${expected}`);
}

function sameMetrics(actual: HealthMetrics, expected: HealthMetrics): void {
  close(actual.l0, expected.l0, 1e-6, 'l0');
  for (const k of ['l1', 'mse', 'fvu', 'variance_explained', 'ce_clean', 'ce_recon', 'ce_zero', 'ce_loss_recovered'] as const) {
    close(actual[k], expected[k], 1e-4, k);
  }
  // KL is a difference of nearly equal log-probabilities: float32 leaves ~1e-6 nats of noise
  close(actual.kl_recon, expected.kl_recon, 1e-4, 'kl_recon');
  close(actual.kl_zero, expected.kl_zero, 1e-4, 'kl_zero');
  assert.equal(actual.dead, expected.dead);
  assert.equal(actual.dense, expected.dense);
  assert.deepEqual(
    actual.density_histogram.map((b) => b.count),
    expected.density_histogram.map((b) => b.count),
  );
}

describe('SAE health evaluation', () => {
  test('the reference fixtures are here', () => {
    assert.ok(byName('gpt2-relu-l2pre') && byName('gpt2-topk-l1post'), 'reference fixtures missing');
  });

  for (const c of cases) {
    test(`${c.name}: FVU and L0 of the fixture's prompt equal expected.json`, async () => {
      const engine = await open(c.modelDir, c.saeDir);
      try {
        assert.deepEqual(engine.tokenize(c.expected.prompt_text), c.expected.prompt_ids);
        const corpus = path.join(tmp, `${c.name}-prompt.txt`);
        fs.writeFileSync(corpus, c.expected.prompt_text);
        const r = await evaluateSae(engine, { corpus });
        assert.equal(r.tokens, c.expected.prompt_ids.length);
        assert.equal(r.predictions, c.expected.prompt_ids.length - 1);
        assert.equal(r.bos, 'none');
        assert.ok(Math.abs(r.fvu! - c.expected.fvu) < 1e-3, `fvu ${r.fvu} vs ${c.expected.fvu}`);
        assert.ok(Math.abs(r.variance_explained! - (1 - c.expected.fvu)) < 1e-3);
        const l0 = c.expected.l0.reduce((a, b) => a + b, 0) / c.expected.l0.length;
        assert.ok(Math.abs(r.l0 - l0) < 1e-9, `l0 ${r.l0} vs ${l0}`);
      } finally {
        await engine.close();
      }
    });
  }

  const corpus = path.join(tmp, 'words.jsonl');
  writeJsonlCorpus(corpus, 40, 5, 30);
  const texts = fs
    .readFileSync(corpus, 'utf8')
    .trim()
    .split('\n')
    .map((l) => (JSON.parse(l) as { text: string }).text);

  for (const name of ['gpt2-relu-l2pre', 'gpt2-topk-l1post', 'llama-jumprelu-l1mid']) {
    const c = byName(name);
    test(`${name}: every metric equals brute force over padded, batched windows`, { skip: !c && `${name} not found` }, async () => {
      const engine = await open(c!.modelDir, c!.saeDir);
      try {
        const r = await evaluateSae(engine, { corpus, context: 24, maxTokens: 700, batch: 5 });
        const windows = windowsByHand(engine, texts, 24, 700);
        assert.equal(r.tokens, 700);
        assert.equal(r.windows, windows.length);
        assert.equal(r.predictions, 700 - windows.length);
        sameMetrics(r, await bruteForce(engine, windows, 0, 0));
        // metrics a healthy pipeline gives even on random weights
        assert.ok(r.ce_clean > 0 && r.ce_zero > 0 && r.kl_recon >= -1e-6);
      } finally {
        await engine.close();
      }
    });
  }

  test('BOS: kept clean in the SAE and zero-ablated runs (KV cache) and counted in no metric, as SAELens', async () => {
    const c = byName('gpt2-relu-l2pre')!;
    const { modelDir, saeDir } = bosCase(c, path.join(tmp, 'bos'), 1);
    const engine = await open(modelDir, saeDir);
    try {
      const windows = windowsByHand(engine, texts, 20, 500);
      assert.ok(windows.every((w) => w[0] === 1));
      // a clean prefix through the cache gives the full run's logits at the later positions
      const w = windows[0]!;
      const full = await engine.logits([w], 'base');
      const rest = await engine.logits([w], 'base', { cleanPrefix: 1 });
      assert.equal(rest.length, w.length - 1);
      const V = full.vocab;
      for (let i = 0; i < rest.data.length; i++) assert.ok(Math.abs(rest.data[i]! - full.data[i + V]!) < 1e-4);

      const r = await evaluateSae(engine, { corpus, context: 20, maxTokens: 500, batch: 4 });
      assert.equal(r.bos, 'kept-clean');
      assert.equal(r.tokens, 500);
      assert.equal(r.windows, windows.length);
      assert.equal(r.predictions, 500 - windows.length);
      sameMetrics(r, await bruteForce(engine, windows, 1, 1));
    } finally {
      await engine.close();
    }
  });

  test('BOS on a model without KV-cache I/O: reconstructed too, still counted in no metric', async (t) => {
    const c = byName('gpt2-relu-nopast-l1pre');
    if (!c) return t.skip('gpt2-relu-nopast-l1pre not found');
    const { modelDir, saeDir } = bosCase(c, path.join(tmp, 'bos-nopast'), 1);
    const engine = await open(modelDir, saeDir);
    try {
      const r = await evaluateSae(engine, { corpus, context: 20, maxTokens: 300, batch: 4 });
      assert.equal(r.bos, 'replaced');
      assert.equal(r.tokens, 300);
      sameMetrics(r, await bruteForce(engine, windowsByHand(engine, texts, 20, 300), 1, 0));
    } finally {
      await engine.close();
    }
  });

  test('progress, cancel, and corpora with nothing to evaluate', async () => {
    const c = byName('gpt2-topk-l1post')!;
    const engine = await open(c.modelDir, c.saeDir);
    try {
      const seen: [number, number | null][] = [];
      const r = await evaluateSae(
        engine,
        { corpus, context: 32, maxTokens: 400, batch: 2 },
        { progress: (_p, done, total) => seen.push([done, total]) },
      );
      assert.equal(r.tokens, 400);
      assert.deepEqual(seen.at(-1), [400, 400]);
      assert.ok(seen.every(([d], i) => i === 0 || d >= seen[i - 1]![0]));

      const controller = new AbortController();
      const cancelled = evaluateSae(
        engine,
        { corpus, context: 32, batch: 1 },
        { signal: controller.signal, progress: () => controller.abort() },
      );
      await assert.rejects(cancelled, (e: unknown) => e instanceof AppError && e.code === 'cancelled');

      const empty = path.join(tmp, 'empty.jsonl');
      fs.writeFileSync(empty, `${JSON.stringify({ text: '' })}\n`);
      await assert.rejects(evaluateSae(engine, { corpus: empty }), (e: unknown) => e instanceof AppError && /no tokens/.test(e.message));
    } finally {
      await engine.close();
    }
  });
});
