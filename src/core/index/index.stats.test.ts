/**
 * Statistics against a brute-force recomputation: every window re-encoded on its own with
 * engine.encode, every feature's count, max, mean, histogram, intervals and top examples
 * recomputed from that and compared with what the index answers.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { FeatureExample } from '#shared/index-types.ts';
import { Engine } from '../model/engine.ts';
import { binOf, HISTOGRAM_BINS, INTERVAL_SAMPLES, INTERVALS, TOP_EXAMPLES } from './bins.ts';
import { runIndex, type IndexJobOptions } from './indexer.ts';
import { IndexReader } from './reader.ts';
import { featureTopTokens } from './top-tokens.ts';
import { bosCase, referenceCase, writeJsonlCorpus } from '#testing/index/test-support.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'index-stats-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

interface Brute {
  tokens: number;
  /** feature → [pos, value][] in position order */
  acts: Map<number, [number, number][]>;
  /** window id → its ids */
  windows: number[][];
  bos: boolean;
}

/** Windows cut independently of the indexer, each encoded alone. */
async function bruteForce(engine: Engine, corpus: string, context: number, maxTokens?: number): Promise<Brute> {
  const bosId = engine.sae.config.prependBos ? engine.tokenizer.bosId : undefined;
  const per = context - (bosId === undefined ? 0 : 1);
  const top = engine.sae.config.k ?? engine.sae.config.dSae;
  const windows: number[][] = [];
  let tokens = 0;
  for (const line of fs.readFileSync(corpus, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    let ids = engine.tokenizer.encode((JSON.parse(line) as { text: string }).text, false);
    if (maxTokens !== undefined) ids = ids.slice(0, Math.max(0, maxTokens - tokens));
    for (let s = 0; s < ids.length; s += per) {
      const body = ids.slice(s, s + per);
      windows.push(bosId === undefined ? body : [bosId, ...body]);
      tokens += body.length;
    }
  }
  const acts = new Map<number, [number, number][]>();
  for (let w = 0; w < windows.length; w++) {
    const enc = await engine.encode(windows[w]!, top);
    enc.forEach((t, i) => {
      if (bosId !== undefined && i === 0) return;
      for (const [f, v] of t.latents) {
        let list = acts.get(f);
        if (!list) acts.set(f, (list = []));
        list.push([w * context + i, v]);
      }
    });
  }
  for (const list of acts.values()) list.sort((a, b) => a[0] - b[0]);
  return { tokens, acts, windows, bos: bosId !== undefined };
}

function checkExample(b: Brute, context: number, f: number, e: FeatureExample, width: number, reader: IndexReader): void {
  const ids = b.windows[e.window]!;
  const list = new Map((b.acts.get(f) ?? []).map(([p, v]) => [p, v]));
  assert.equal(e.value, list.get(e.window * context + e.position), `feature ${f}: example value`);
  assert.equal(e.start, Math.max(b.bos ? 1 : 0, e.position - width));
  const end = Math.min(ids.length, e.position + width + 1);
  assert.equal(e.tokens.length, end - e.start);
  assert.deepEqual(
    e.values,
    Array.from({ length: end - e.start }, (_, i) => list.get(e.window * context + e.start + i) ?? 0),
    `feature ${f}: context values`,
  );
  void reader;
}

/** Compares every feature of the index with the brute-force recomputation. */
function compare(b: Brute, db: string, context: number, dSae: number): void {
  const reader = new IndexReader(db);
  try {
    assert.equal(reader.progress.tokens, b.tokens);
    let dead = 0;
    let total = 0;
    for (let f = 0; f < dSae; f++) {
      const list = b.acts.get(f) ?? [];
      total += list.length;
      if (!list.length) dead++;
      const d = reader.feature(f, 4);
      assert.equal(d.count, list.length, `feature ${f}: count`);
      assert.equal(d.density, list.length / b.tokens);
      const max = list.reduce((m, [, v]) => Math.max(m, v), 0);
      assert.equal(d.max, max, `feature ${f}: max`);
      if (!list.length) {
        assert.equal(d.top.length, 0);
        continue;
      }
      const sum = list.reduce((s, [, v]) => s + v, 0);
      assert.ok(Math.abs(d.mean - sum / list.length) <= 1e-9 * Math.abs(sum), `feature ${f}: mean`);
      const hist = new Array<number>(HISTOGRAM_BINS).fill(0);
      const iv = new Array<number>(INTERVALS).fill(0);
      for (const [, v] of list) {
        hist[binOf(v, max, HISTOGRAM_BINS)]!++;
        iv[binOf(v, max, INTERVALS)]!++;
      }
      assert.deepEqual(d.histogram, hist, `feature ${f}: histogram`);
      assert.deepEqual(
        d.intervals.map((i) => i.count),
        iv,
        `feature ${f}: interval counts`,
      );
      for (const [i, interval] of d.intervals.entries()) {
        assert.equal(interval.lo, (i * max) / INTERVALS);
        assert.equal(interval.share, iv[i]! / list.length);
        assert.equal(interval.examples.length, Math.min(INTERVAL_SAMPLES, iv[i]!), `feature ${f}: interval ${i} sample size`);
        for (const e of interval.examples) {
          assert.equal(binOf(e.value, max, INTERVALS), i, `feature ${f}: a sample of interval ${i} lies in it`);
          checkExample(b, context, f, e, 4, reader);
        }
        const keys = new Set(interval.examples.map((e) => `${e.window}:${e.position}`));
        assert.equal(keys.size, interval.examples.length, 'samples are distinct');
      }
      const expectedTop = [...list].sort((x, y) => y[1] - x[1] || x[0] - y[0]).slice(0, TOP_EXAMPLES);
      assert.deepEqual(
        d.top.map((e) => [e.window * context + e.position, e.value]),
        expectedTop,
        `feature ${f}: top examples`,
      );
      for (const e of d.top) checkExample(b, context, f, e, 4, reader);
      // top-token records: the tokens the top examples activate on, counted
      const hits = new Map<number, number>();
      for (const [p] of expectedTop) {
        const id = b.windows[Math.floor(p / context)]![p % context]!;
        hits.set(id, (hits.get(id) ?? 0) + 1);
      }
      assert.deepEqual(new Map(featureTopTokens(reader.db, f).map((r) => [r.token, r.hits])), hits, `feature ${f}: top tokens`);
    }
    const recorded = reader.db.prepare('select count(distinct feature) from top_tokens').pluck().get();
    assert.equal(recorded, dSae - dead, 'every live feature has top tokens, no dead one has');
    const summary = reader.summary!;
    assert.equal(summary.dead, dead);
    assert.equal(summary.activations, total);
    assert.equal(
      summary.densityHistogram.reduce((a, x) => a + x.count, 0),
      dSae - dead,
    );
  } finally {
    reader.close();
  }
}

for (const spec of [
  { name: 'topk', case: 'gpt2-topk-l1post', context: 16, batch: 3, bos: false },
  { name: 'standard (ReLU, capture K grows until exact)', case: 'gpt2-relu-l2pre', context: 24, batch: 2, bos: false },
  { name: 'topk with a prepended BOS', case: 'gpt2-topk-l1post', context: 16, batch: 4, bos: true },
]) {
  describe(`index statistics equal a brute-force recomputation: ${spec.name}`, () => {
    const dir = path.join(tmp, spec.name.replace(/\W+/g, '-'));
    let engine: Engine;
    let paths: { modelDir: string; saeDir: string };
    const corpus = path.join(dir, 'corpus.jsonl');
    before(async () => {
      const ref = referenceCase(spec.case);
      paths = spec.bos ? bosCase(ref, path.join(dir, 'case')) : ref;
      writeJsonlCorpus(corpus, 14, 5);
      engine = await Engine.open({ model: paths.modelDir, sae: paths.saeDir, cacheDir: path.join(tmp, 'graph-cache') });
    });
    after(() => engine.close());

    test('counts, max, histogram, intervals and top examples are exact', async () => {
      const db = path.join(dir, 'index.sqlite');
      const options: IndexJobOptions = {
        model: paths.modelDir,
        sae: paths.saeDir,
        cacheDir: path.join(tmp, 'graph-cache'),
        corpus,
        db,
        context: spec.context,
        batch: spec.batch,
        // small merges: features get several chunks
        mergeActivations: 700,
      };
      const result = await runIndex(options, {}, { engine });
      assert.equal(result.complete, true);
      const b = await bruteForce(engine, corpus, spec.context);
      assert.equal(result.tokens, b.tokens);
      assert.equal(result.windows, b.windows.length);
      assert.equal(result.documents, 12); // 14 lines, 2 of them empty documents
      assert.equal(result.summary?.emptyDocuments, 2);
      compare(b, db, spec.context, engine.sae.config.dSae);

      // range sampling: members of [lo, hi), all of them counted, repeatable for a seed
      const reader = new IndexReader(db);
      try {
        const f = [...b.acts.entries()].sort((x, y) => y[1].length - x[1].length)[0]![0];
        const list = b.acts.get(f)!;
        const max = list.reduce((m, [, v]) => Math.max(m, v), 0);
        const [lo, hi] = [max * 0.2, max * 0.7];
        const s1 = reader.sample(f, lo, hi, 7, 3);
        assert.equal(s1.matching, list.filter(([, v]) => v >= lo && v < hi).length);
        assert.equal(s1.examples.length, Math.min(7, s1.matching));
        for (const e of s1.examples) assert.ok(e.value >= lo && e.value < hi);
        assert.deepEqual(reader.sample(f, lo, hi, 7, 3), s1);
        assert.equal(reader.sample(f, lo, hi, 1000, 9).examples.length, s1.matching, 'n above the matches returns them all');
      } finally {
        reader.close();
      }
    });
  });
}

test('--max-tokens stops at exactly N tokens and --max-latents-per-token reports truncation', async () => {
  const ref = referenceCase('gpt2-relu-l2pre');
  const dir = path.join(tmp, 'caps');
  const corpus = path.join(dir, 'corpus.jsonl');
  writeJsonlCorpus(corpus, 10, 9);
  const engine = await Engine.open({ model: ref.modelDir, sae: ref.saeDir, cacheDir: path.join(tmp, 'graph-cache') });
  try {
    const base = { model: ref.modelDir, sae: ref.saeDir, cacheDir: path.join(tmp, 'graph-cache'), corpus, context: 32 };
    const capped = await runIndex({ ...base, db: path.join(dir, 'capped.sqlite'), maxTokens: 150, maxLatentsPerToken: 2 }, {}, { engine });
    assert.equal(capped.tokens, 150);
    assert.ok(capped.truncatedTokens > 0, 'a cap of 2 latents truncates this ReLU SAE');
    assert.ok(capped.activations <= 2 * 150);
    const b = await bruteForce(engine, corpus, 32, 150);
    assert.equal(b.tokens, 150);
    // the uncapped index of the same tokens holds every activation the brute force finds
    const exact = await runIndex({ ...base, db: path.join(dir, 'exact.sqlite'), maxTokens: 150 }, {}, { engine });
    assert.equal(exact.truncatedTokens, 0);
    assert.equal(
      exact.activations,
      [...b.acts.values()].reduce((a, l) => a + l.length, 0),
    );
  } finally {
    await engine.close();
  }
});
