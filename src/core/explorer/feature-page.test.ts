/**
 * The feature page's additions through core's dispatcher, on a real fixture model + SAE and
 * an index built by the index job: co-occurring features against a brute-force recount of
 * the index's activations (also for an index finished before they were counted), a
 * feature's activation on typed text against engine.encode, and the effect of zero-ablating
 * a top example's feature against the untouched model's logits.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import type { PayloadInput, RequestName, ResultOf } from '#shared/contract.ts';
import { createCore, type Core } from '../host/core.ts';
import { decodeChunk, decodeTokens } from '../index/codec.ts';
import { IndexReader } from '../index/reader.ts';
import { referenceCase, writeJsonlCorpus } from '#testing/index/test-support.ts';
import { logSoftmax } from '../model/sampling.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'feature-page-'));
const cores: Core[] = [];
after(async () => {
  for (const c of cores) await c.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

async function ask<K extends RequestName>(core: Core, name: K, payload?: PayloadInput<K>): Promise<ResultOf<K>> {
  const r = await core.request(name, payload);
  if (!r.ok) throw new Error(`${name}: ${r.error.code}: ${r.error.message}`);
  return r.value;
}

/** Every feature's active positions, decoded straight from the index's chunks. */
function positions(file: string): Map<number, Set<number>> {
  const db = new Database(file, { readonly: true });
  try {
    const out = new Map<number, Set<number>>();
    for (const c of db.prepare('select feature, first, n, data from chunks').all() as {
      feature: number;
      first: number;
      n: number;
      data: Buffer;
    }[]) {
      const pos = new Float64Array(c.n);
      decodeChunk(c.data, c.first, c.n, pos, new Float32Array(c.n));
      let set = out.get(c.feature);
      if (!set) out.set(c.feature, (set = new Set()));
      for (const p of pos) set.add(p);
    }
    return out;
  } finally {
    db.close();
  }
}

describe('feature page additions on the topk fixture', () => {
  const ref = referenceCase('gpt2-topk-l1post');
  let core: Core;
  let db: string;
  before(async () => {
    const corpus = path.join(tmp, 'corpus.jsonl');
    writeJsonlCorpus(corpus, 30, 4);
    core = createCore({ host: 'cli', data: { flag: path.join(tmp, 'data') } });
    cores.push(core);
    const done = core.bus.next('job.state', (s) => s.kind === 'index' && ['done', 'failed', 'cancelled'].includes(s.state));
    db = (await ask(core, 'workspace.open', { model: ref.modelDir, sae: ref.saeDir, corpus })).db!;
    assert.equal((await done).state, 'done');
  });

  test('co-occurring features: shared-token counts and Jaccard equal a brute-force recount, ranked, with labels', async () => {
    const acts = positions(db);
    const busiest = [...acts].sort((a, b) => b[1].size - a[1].size || a[0] - b[0]);
    await ask(core, 'annotation.set', { feature: busiest[1]![0], label: 'second busiest' });
    for (const [f, mine] of [busiest[0]!, busiest[1]!, busiest[40]!]) {
      const truth = [...acts]
        .filter(([g]) => g !== f)
        .map(([g, theirs]) => {
          let shared = 0;
          for (const p of mine) if (theirs.has(p)) shared++;
          return { id: g, count: shared, jaccard: shared / (mine.size + theirs.size - shared) };
        })
        .filter((x) => x.count > 0);
      for (const by of ['jaccard', 'count'] as const) {
        const got = await ask(core, 'feature.cooccurring', { db, id: f, by, n: 10 });
        assert.equal(got.count, mine.size);
        assert.equal(got.sampled, 1);
        const expected = [...truth].sort((a, b) => b[by] - a[by] || a.id - b.id).slice(0, 10);
        assert.deepEqual(
          got.features.map((x) => [x.id, x.count]),
          expected.map((x) => [x.id, x.count]),
          `feature ${f} by ${by}`,
        );
        for (const x of got.features) assert.ok(Math.abs(x.jaccard - expected.find((e) => e.id === x.id)!.jaccard) < 1e-12);
      }
    }
    const withLabel = await ask(core, 'feature.cooccurring', { db, id: busiest[0]![0], by: 'count', n: 32 });
    assert.equal(withLabel.features.find((x) => x.id === busiest[1]![0])?.label, 'second busiest');
    const missing = await core.request('feature.cooccurring', { db, id: 512 });
    assert.equal(!missing.ok && missing.error.code, 'not_found');
  });

  test('an index finished before co-occurrence was counted gets it on first request, as a fresh one has it', async () => {
    const old = path.join(path.dirname(db), 'old-index.sqlite');
    fs.copyFileSync(db, old);
    const w = new Database(old);
    w.exec(
      "DROP TABLE cooccurrence; DELETE FROM meta WHERE key = 'cooccurrence'; DROP INDEX top_tokens_by_feature; " +
        // migration 4's columns, which an index of schema 2 lacks
        'ALTER TABLE documents DROP COLUMN input; ALTER TABLE progress DROP COLUMN cursor; PRAGMA user_version = 2',
    );
    w.close();
    for (const id of [0, 5, 100]) {
      assert.deepEqual(await ask(core, 'feature.cooccurring', { db: old, id }), await ask(core, 'feature.cooccurring', { db, id }));
    }
  });

  test('feature.onText: the feature at every token equals engine.encode', async () => {
    const engine = await core.workspace.currentEngine();
    const text = 'the water was long and the people made it over there';
    const enc = await engine.encode(engine.tokenize(text), engine.sae.config.dSae);
    const counts = new Map<number, number>();
    for (const t of enc) for (const [f] of t.latents) counts.set(f, (counts.get(f) ?? 0) + 1);
    // a feature active on some tokens and not others
    const f = [...counts].find(([, n]) => n > 1 && n < enc.length)![0];
    const got = await ask(core, 'feature.onText', { id: f, text });
    assert.deepEqual(
      got.tokens.map((t) => [t.text, t.value]),
      enc.map((t) => [t.text, t.latents.find(([g]) => g === f)?.[1] ?? 0]),
    );
    assert.equal(got.max, Math.max(...got.tokens.map((t) => t.value)));
    assert.equal(got.truncatedAt, null);
  });

  test('feature.ablate: clean log-probabilities are the model’s own; removing the feature moves the next token', async () => {
    const engine = await core.workspace.currentEngine();
    const reader = new IndexReader(db);
    try {
      const acts = positions(db);
      const f = [...acts].sort((a, b) => b[1].size - a[1].size || a[0] - b[0])[3]![0];
      const example = reader.feature(f, 4).top.find((e) => e.position + 1 < reader.settings.context && e.position > 0)!;
      const got = await ask(core, 'feature.ablate', { db, id: f, window: example.window, position: example.position });
      assert.equal(got.value, example.value);
      // the clean side against the untouched model's logits at that position
      const tokens = decodeTokens(reader.db.prepare('select tokens from windows where id = ?').pluck().get(example.window) as Buffer);
      const prefix = tokens.slice(0, example.position + 1);
      const logits = await engine.logits([prefix], 'base');
      const clean = logSoftmax(logits.data.subarray((prefix.length - 1) * logits.vocab, prefix.length * logits.vocab));
      const next = tokens[example.position + 1];
      if (next !== undefined) {
        assert.equal(got.next?.id, next);
        assert.ok(Math.abs(got.next!.clean - clean[next]!) < 1e-4, `${got.next!.clean} vs ${clean[next]}`);
      }
      for (const t of [...got.dropped, ...got.raised]) assert.ok(Math.abs(t.clean - clean[t.id]!) < 1e-4);
      // dropped: largest falls first, all falls; raised: largest rises first
      const fall = got.dropped.map((t) => t.clean - t.ablated);
      assert.deepEqual(
        fall,
        [...fall].sort((a, b) => b - a),
      );
      assert.ok(fall[0]! > 1e-4, 'removing an active feature moves some token');
      const rise = got.raised.map((t) => t.ablated - t.clean);
      assert.deepEqual(
        rise,
        [...rise].sort((a, b) => b - a),
      );
      assert.ok(rise[0]! > 0);
      // a position where the feature is not active: nothing to ablate
      const inactive = [...Array(reader.settings.context).keys()].find(
        (p) => p < tokens.length && !acts.get(f)!.has(example.window * reader.settings.context + p),
      )!;
      const bad = await core.request('feature.ablate', { db, id: f, window: example.window, position: inactive });
      assert.equal(!bad.ok && bad.error.code, 'bad_request');
      assert.match(bad.ok ? '' : bad.error.message, /not active/);
    } finally {
      reader.close();
    }
  });
});
