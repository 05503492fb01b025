/**
 * The explorer requests through core's dispatcher on real fixture models, SAEs and a small
 * index built by the index job; every answer is checked against a brute-force
 * recomputation written apart from the code under test.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { PayloadInput, RequestName, ResultOf } from '#shared/contract.ts';
import { createCore, type Core } from '../host/core.ts';
import { decodeTokens } from '../index/codec.ts';
import { IndexReader } from '../index/reader.ts';
import { bosCase, referenceCase, writeJsonlCorpus } from '#testing/index/test-support.ts';
import { readFloatTensor, readModel } from '../model/onnx/proto.ts';
import { loadSae } from '../sae/load.ts';
import type { Sae } from '../sae/types.ts';
import { findResources } from '../workspace/demo.ts';
import { assertLogitEffects } from '#testing/explorer/logits-asserts.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'explorer-'));
const cores: Core[] = [];
/** The topk fixture's index (built by the first suite). */
let topkDb = '';
after(async () => {
  for (const c of cores) await c.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

async function ask<K extends RequestName>(core: Core, name: K, payload?: PayloadInput<K>): Promise<ResultOf<K>> {
  const r = await core.request(name, payload);
  if (!r.ok) throw new Error(`${name}: ${r.error.code}: ${r.error.message}`);
  return r.value;
}

/** A core with a workspace on (model, SAE) and, with a corpus, its finished index. */
async function workspace(name: string, model: string, sae: string, corpus?: string): Promise<{ core: Core; db: string | null }> {
  const core = createCore({ host: 'cli', data: { flag: path.join(tmp, name) } });
  cores.push(core);
  const done = corpus ? core.bus.next('job.state', (s) => s.kind === 'index' && ['done', 'failed', 'cancelled'].includes(s.state)) : null;
  const info = await ask(core, 'workspace.open', { model, sae, ...(corpus ? { corpus } : {}) });
  if (done) {
    const final = await done;
    assert.equal(final.state, 'done', final.error);
  }
  return { core, db: info.db };
}

/** The token id at a window position, read from the index's windows table. */
function decodeTokensAt(reader: IndexReader, window: number, position: number): number {
  const blob = reader.db.prepare('select tokens from windows where id = ?').pluck().get(window) as Buffer;
  return decodeTokens(blob)[position]!;
}

/** Cosine of decoder rows in float64, straight from the loaded weights. */
function bruteCosines(sae: Sae, id: number): number[] {
  const { dSae, dIn } = sae.config;
  const W = sae.params.W_dec.data;
  const row = (r: number) => Array.from(W.subarray(r * dIn, (r + 1) * dIn));
  const q = row(id);
  const norm = (v: number[]) => Math.sqrt(v.reduce((s, x) => s + x * x, 0));
  return Array.from({ length: dSae }, (_, r) => {
    const v = row(r);
    const n = norm(v) * norm(q);
    return n > 0 ? v.reduce((s, x, j) => s + x * q[j]!, 0) / n : 0;
  });
}

/**
 * Σ_j W_dec[id, j] · γ[j] · E[v, j] for every token v of a tied embedding table E [vocab, d],
 * with γ the final LayerNorm's scale (folded into W_U as TransformerLens does), in float64.
 */
function bruteLogits(sae: Sae, id: number, modelFile: string, embName: string, gammaName = 'transformer.ln_f.weight'): number[] {
  const { model, dir } = readModel(modelFile);
  const init = (name: string) =>
    readFloatTensor(
      model.graph!.initializer!.find((x) => x.name === name)!,
      dir,
    );
  const E = init(embName);
  const gamma = init(gammaName);
  const d = sae.config.dIn;
  assert.equal(gamma.length, d);
  const w = sae.params.W_dec.data.subarray(id * d, (id + 1) * d);
  const vocab = E.length / d;
  return Array.from({ length: vocab }, (_, v) => {
    let s = 0;
    for (let j = 0; j < d; j++) s += w[j]! * gamma[j]! * E[v * d + j]!;
    return s;
  });
}

describe('explorer on the topk fixture with an index', () => {
  const ref = referenceCase('gpt2-topk-l1post');
  let core: Core;
  let db: string;
  let reader: IndexReader;
  let sae: Sae;
  before(async () => {
    const corpus = path.join(tmp, 'corpus.jsonl');
    writeJsonlCorpus(corpus, 40, 3);
    const ws = await workspace('topk', ref.modelDir, ref.saeDir, corpus);
    core = ws.core;
    db = ws.db!;
    topkDb = db;
    reader = new IndexReader(db);
    sae = loadSae(ref.saeDir);
  });
  after(() => reader.close());

  test('search all: every feature with its index statistics and a 16-bin sparkline; sorted and paged', async () => {
    const all = await ask(core, 'feature.search', { db, query: { kind: 'all' }, limit: 5000 });
    assert.equal(all.total, 512);
    assert.deepEqual(
      all.rows.map((r) => r.id),
      Array.from({ length: 512 }, (_, i) => i),
    );
    for (const r of all.rows) {
      const d = reader.feature(r.id, 0);
      assert.equal(r.count, d.count);
      assert.equal(r.density, d.density);
      assert.equal(r.max, d.max);
      assert.equal(r.spark.length, 16);
      assert.ok(Math.abs(r.spark.reduce((a, b) => a + b, 0) - d.count) < 1e-6, `feature ${r.id}: the sparkline keeps the count`);
      assert.equal(r.score, null);
      // its top tokens: the tokens its top examples activate on, most first (ties: lower token id)
      const hits = new Map<number, { text: string; n: number }>();
      for (const e of d.top) {
        const id = decodeTokensAt(reader, e.window, e.position);
        hits.set(id, { text: e.tokens[e.position - e.start]!, n: (hits.get(id)?.n ?? 0) + 1 });
      }
      const expected = [...hits].sort((a, b) => b[1].n - a[1].n || a[0] - b[0]).slice(0, 3);
      assert.deepEqual(
        r.topTokens,
        expected.map(([, h]) => ({ text: h.text, count: h.n })),
        `feature ${r.id}: top tokens`,
      );
      assert.equal(r.explanation, null);
    }
    const byCount = [...all.rows].sort((a, b) => b.count - a.count || a.id - b.id).map((r) => r.id);
    const page = await ask(core, 'feature.search', { db, query: { kind: 'all' }, sort: 'count', offset: 10, limit: 7 });
    assert.deepEqual(
      page.rows.map((r) => r.id),
      byCount.slice(10, 17),
    );
    const asc = await ask(core, 'feature.search', { db, query: { kind: 'all' }, sort: 'max', order: 'asc', limit: 5000 });
    assert.deepEqual(
      asc.rows.map((r) => r.id),
      [...all.rows].sort((a, b) => a.max - b.max || a.id - b.id).map((r) => r.id),
    );
    // density and max ranges
    const filters = { densityMin: 0.01, densityMax: 0.2, maxMin: 40 };
    const ranged = await ask(core, 'feature.search', { db, query: { kind: 'all' }, filters, limit: 5000 });
    const expected = all.rows.filter((r) => r.density >= 0.01 && r.density <= 0.2 && r.max >= 40).map((r) => r.id);
    assert.ok(expected.length > 0 && expected.length < 512, 'the filter keeps some features and drops others');
    assert.equal(ranged.total, expected.length);
    assert.deepEqual(
      ranged.rows.map((r) => r.id),
      expected,
    );
  });

  test('search by id: lists and ranges, ids beyond the SAE noted', async () => {
    const r = await ask(core, 'feature.search', { db, query: { kind: 'id', text: '12, 40-43 7 900' } });
    assert.deepEqual(
      r.rows.map((x) => x.id),
      [7, 12, 40, 41, 42, 43],
    );
    assert.match(r.note ?? '', /above 511/);
  });

  test('search by label/notes/tags text (FTS5, prefixes) and the labelled / starred / list filters', async () => {
    await ask(core, 'annotation.set', { feature: 20, label: 'Paris and French cities', tags: ['geo'], starred: true, lists: ['cities'] });
    await ask(core, 'annotation.set', { feature: 21, label: 'numbers', notes: 'fires after paris sometimes', lists: ['cities'] });
    await ask(core, 'annotation.set', { feature: 22, label: 'closing brackets', tags: ['syntax'] });
    const ids = async (payload: PayloadInput<'feature.search'>) => (await ask(core, 'feature.search', payload)).rows.map((r) => r.id);
    assert.deepEqual((await ids({ db, query: { kind: 'text', text: 'pari' } })).sort(), [20, 21]);
    assert.deepEqual(await ids({ db, query: { kind: 'text', text: 'french cit' } }), [20]);
    assert.deepEqual(await ids({ db, query: { kind: 'text', text: 'syntax' } }), [22]);
    assert.deepEqual(await ids({ db, query: { kind: 'text', text: 'label:paris' } }), [20]);
    const bad = await core.request('feature.search', { db, query: { kind: 'text', text: 'label:(' } });
    assert.equal(!bad.ok && bad.error.code, 'bad_request');
    assert.deepEqual(await ids({ db, query: { kind: 'all' }, filters: { labelled: true } }), [20, 21, 22]);
    assert.equal((await ask(core, 'feature.search', { db, query: { kind: 'all' }, filters: { labelled: false } })).total, 509);
    assert.deepEqual(await ids({ db, query: { kind: 'all' }, filters: { starred: true } }), [20]);
    assert.deepEqual(await ids({ db, query: { kind: 'all' }, filters: { list: 'cities' } }), [20, 21]);
    const row = (await ask(core, 'feature.search', { db, query: { kind: 'id', text: '20' } })).rows[0]!;
    assert.deepEqual([row.label, row.starred, row.tags], ['Paris and French cities', true, ['geo']]);
  });

  test('search by top-token text equals a count over each feature’s top examples', async () => {
    const tops = new Map<number, string[]>();
    for (let f = 0; f < 512; f++)
      tops.set(
        f,
        reader.feature(f, 0).top.map((e) => e.tokens[e.position - e.start]!),
      );
    const brute = (text: string, exact: boolean) => {
      const q = text.trim().toLowerCase();
      const out = new Map<number, number>();
      for (const [f, toks] of tops) {
        const n = toks.filter((t) => (exact ? t.trim().toLowerCase() === q : t.trim().toLowerCase().includes(q))).length;
        if (n) out.set(f, n);
      }
      return out;
    };
    for (const [text, exact] of [
      ['e', false],
      [' T', true],
      ['o', true],
    ] as const) {
      const r = await ask(core, 'feature.search', { db, query: { kind: 'token', text, exact }, limit: 5000 });
      const expected = brute(text, exact);
      assert.ok(expected.size > 0, `some feature fires on "${text}"`);
      assert.equal(r.total, expected.size);
      assert.deepEqual(new Map(r.rows.map((x) => [x.id, x.score])), expected);
      // relevance: most hits first, then id
      const scores = r.rows.map((x) => [x.score!, x.id] as const);
      assert.deepEqual(
        scores,
        [...scores].sort((a, b) => b[0] - a[0] || a[1] - b[1]),
      );
      assert.equal(r.note, null);
    }
  });

  test('token search on an index finished before top tokens existed fills them, then answers as a fresh index', async () => {
    const old = path.join(tmp, 'old-index.sqlite');
    fs.copyFileSync(db, old);
    const Database = (await import('better-sqlite3')).default;
    const w = new Database(old);
    w.exec(
      "DROP TABLE top_tokens; DROP TABLE token_text; DELETE FROM meta WHERE key = 'topTokens'; " +
        "DROP TABLE cooccurrence; DELETE FROM meta WHERE key = 'cooccurrence'; " +
        // migration 4's columns, which an index of schema 1 lacks
        'ALTER TABLE documents DROP COLUMN input; ALTER TABLE progress DROP COLUMN cursor; PRAGMA user_version = 1',
    );
    w.close();
    const tables = (file: string) => {
      const d = new Database(file, { readonly: true });
      try {
        return [
          d.prepare('select token, feature, hits from top_tokens order by token, feature').all(),
          d.prepare('select * from token_text order by token').all(),
        ];
      } finally {
        d.close();
      }
    };
    for (const [text, exact] of [
      ['e', false],
      [' T', true],
    ] as const) {
      const page = { query: { kind: 'token', text, exact }, limit: 5000 } as const;
      const fresh = await ask(core, 'feature.search', { db, ...page });
      const got = await ask(core, 'feature.search', { db: old, ...page });
      assert.ok(fresh.total > 0);
      assert.deepEqual(got, fresh);
    }
    assert.deepEqual(tables(old), tables(db));
  });

  test('token search on an unfinished index says it works once the index is finished', async () => {
    const part = path.join(tmp, 'unfinished-index.sqlite');
    fs.copyFileSync(db, part);
    const Database = (await import('better-sqlite3')).default;
    const w = new Database(part);
    w.exec(
      "UPDATE progress SET phase = 'finalize'; DELETE FROM top_tokens; DELETE FROM token_text; DELETE FROM meta WHERE key = 'topTokens'",
    );
    w.close();
    const r = await ask(core, 'feature.search', { db: part, query: { kind: 'token', text: 'e' } });
    assert.equal(r.total, 0);
    assert.match(r.note ?? '', /token search works once the index is finished/);
  });

  test('search by decoder similarity and feature.nearest equal float64 cosines of W_dec rows', async () => {
    const id = 37;
    const cos = bruteCosines(sae, id);
    const expected = cos
      .map((c, i) => [i, c] as const)
      .filter(([i]) => i !== id)
      .sort((a, b) => b[1] - a[1] || a[0] - b[0]);
    const r = await ask(core, 'feature.search', { db, query: { kind: 'similar', feature: id }, limit: 20 });
    assert.equal(r.total, 511);
    assert.deepEqual(
      r.rows.map((x) => x.id),
      expected.slice(0, 20).map(([i]) => i),
    );
    for (const x of r.rows) assert.ok(Math.abs(x.score! - cos[x.id]!) < 1e-5);
    const near = await ask(core, 'feature.nearest', { id, n: 8, db });
    assert.deepEqual(
      near.map((x) => x.id),
      expected.slice(0, 8).map(([i]) => i),
    );
    for (const x of near) {
      assert.ok(Math.abs(x.cosine - cos[x.id]!) < 1e-5);
      assert.equal(x.density, reader.feature(x.id, 0).density);
    }
    const missing = await core.request('feature.nearest', { id: 512 });
    assert.equal(!missing.ok && missing.error.code, 'not_found');
  });

  test('feature.logits equals W_dec[i] · diag(γ_ln_f) · W_U with W_U the tied token embedding', async () => {
    for (const id of [0, 37, 511]) {
      const got = await ask(core, 'feature.logits', { id, k: 6 });
      assertLogitEffects(got, bruteLogits(sae, id, path.join(ref.modelDir, 'model.onnx'), 'transformer.wte.weight'), 6);
    }
  });

  test('prompt.rank equals a brute-force ranking from engine.encode, with a density cutoff from the index', async () => {
    const engine = await core.workspace.currentEngine();
    const text = 'the water was long and the people made it';
    const ids = engine.tokenize(text);
    const enc = await engine.encode(ids, engine.sae.config.dSae);
    const rank = (from: number, to: number, sort: 'max' | 'sum', keep: (f: number) => boolean) => {
      const s = new Map<number, { max: number; sum: number; tokens: number }>();
      for (let t = from; t < to; t++) {
        for (const [f, v] of enc[t]!.latents) {
          if (!keep(f)) continue;
          const x = s.get(f) ?? { max: 0, sum: 0, tokens: 0 };
          s.set(f, { max: Math.max(x.max, v), sum: x.sum + v, tokens: x.tokens + 1 });
        }
      }
      return [...s.entries()].sort((a, b) => b[1][sort] - a[1][sort] || a[0] - b[0]);
    };
    const r = await ask(core, 'prompt.rank', { text, sort: 'sum', limit: 1000, top: 3 });
    assert.equal(r.truncatedAt, null);
    assert.deepEqual(r.span, { from: 0, to: ids.length });
    const expected = rank(0, ids.length, 'sum', () => true);
    assert.deepEqual(
      r.ranking.map((x) => x.id),
      expected.map(([f]) => f),
    );
    for (const x of r.ranking) {
      const e = expected.find(([f]) => f === x.id)![1];
      assert.equal(x.max, e.max);
      assert.ok(Math.abs(x.sum - e.sum) <= 1e-9 * e.sum);
      assert.equal(x.tokens, e.tokens);
      assert.equal(x.density, null);
    }
    assert.deepEqual(
      r.tokens.map((t) => [t.id, t.latents]),
      enc.map((t) => [t.id, t.latents.slice(0, 3)]),
    );

    const cutoff = 0.05;
    const dense = (f: number) => reader.feature(f, 0).density > cutoff;
    const span = { from: 2, to: 7 };
    const cut = await ask(core, 'prompt.rank', { text, db, span, maxDensity: cutoff, sort: 'max', limit: 5 });
    const expCut = rank(2, 7, 'max', (f) => !dense(f)).slice(0, 5);
    assert.ok(
      rank(2, 7, 'max', () => true).some(([f]) => dense(f)),
      'some feature in the span is denser than the cutoff',
    );
    assert.deepEqual(
      cut.ranking.map((x) => [x.id, x.max]),
      expCut.map(([f, s]) => [f, s.max]),
    );
    for (const x of cut.ranking) assert.equal(x.density, reader.feature(x.id, 0).density);
    for (const t of cut.tokens) assert.ok(t.latents.every(([f]) => !dense(f)));

    const empty = await core.request('prompt.rank', { text, span: { from: 5, to: 5 } });
    assert.equal(!empty.ok && empty.error.code, 'bad_request');
    const noDb = await core.request('prompt.rank', { text, maxDensity: 0.1 });
    assert.equal(!noDb.ok && noDb.error.code, 'bad_request');
  });
});

describe('prompt.rank on a ReLU SAE (capture K grows until exact) and with a prepended BOS', () => {
  test('ReLU: every active latent is ranked, none truncated', async () => {
    const ref = referenceCase('gpt2-relu-l2pre');
    const { core } = await workspace('relu', ref.modelDir, ref.saeDir);
    const engine = await core.workspace.currentEngine();
    const text = 'about how many people could see the water';
    const enc = await engine.encode(engine.tokenize(text), engine.sae.config.dSae);
    assert.ok(Math.max(...enc.map((t) => t.latents.length)) > 64, 'some token has more than the first capture K active');
    const r = await ask(core, 'prompt.rank', { text, sort: 'max', limit: 1000, top: 256 });
    assert.equal(r.truncatedAt, null);
    assert.deepEqual(
      r.tokens.map((t) => t.latents),
      enc.map((t) => t.latents),
    );
    const best = new Map<number, number>();
    for (const t of enc) for (const [f, v] of t.latents) best.set(f, Math.max(best.get(f) ?? 0, v));
    assert.deepEqual(
      r.ranking.map((x) => [x.id, x.max]),
      [...best.entries()].sort((a, b) => b[1] - a[1] || a[0] - b[0]),
    );
    const otherIndex = await core.request('prompt.rank', { text, db: topkDb });
    assert.equal(!otherIndex.ok && otherIndex.error.code, 'bad_request', 'an index of another SAE is refused');
  });

  test('BOS: marked, and left out of the ranking unless asked', async () => {
    const paths = bosCase(referenceCase('gpt2-topk-l1post'), path.join(tmp, 'bos-case'));
    const { core } = await workspace('bos', paths.modelDir, paths.saeDir);
    const engine = await core.workspace.currentEngine();
    const text = 'when she said';
    const ids = engine.tokenize(text);
    assert.equal(ids[0], 0);
    const enc = await engine.encode(ids, engine.sae.config.dSae);
    const r = await ask(core, 'prompt.rank', { text, limit: 1000 });
    assert.deepEqual(
      r.tokens.map((t) => t.bos),
      ids.map((_, i) => i === 0),
    );
    const fromRest = new Set(enc.slice(1).flatMap((t) => t.latents.map(([f]) => f)));
    assert.deepEqual(new Set(r.ranking.map((x) => x.id)), fromRest);
    const withBos = await ask(core, 'prompt.rank', { text, limit: 1000, ignoreBos: false });
    assert.deepEqual(new Set(withBos.ranking.map((x) => x.id)), new Set(enc.flatMap((t) => t.latents.map(([f]) => f))));
  });
});

test('feature.logits on the embedded demo model equals W_dec[i] · diag(γ_ln_f) · W_U', async (t) => {
  const res = findResources();
  if (!res) return t.skip('no embedded demo in this checkout');
  const demo = path.join(res, 'demo');
  const { core } = await workspace('demo', path.join(demo, 'model'), path.join(demo, 'sae'));
  const sae = loadSae(path.join(demo, 'sae'));
  for (const id of [3, 1000]) {
    const got = await ask(core, 'feature.logits', { id, k: 10 });
    assertLogitEffects(got, bruteLogits(sae, id, path.join(demo, 'model', 'model.onnx'), 'transformer.wte.weight'), 10);
    if (got.available) assert.ok(got.promoted.every((e) => e.text.length > 0));
  }
});
