/**
 * Co-occurring features against a brute-force recount from the index's own activations
 * (each feature's token set, intersected pair by pair): the finalize phase's rows, a sampled
 * count, and a backfill of an index finished without them.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { Engine } from '../model/engine.ts';
import { decodeChunk } from './codec.ts';
import {
  buildCooccurrenceTable,
  COOCCURRENCE_META,
  COOCCURRING_KEPT,
  CooccurrenceCounter,
  windowCounted,
  type ChunkRow,
} from './cooccurrence.ts';
import { backfillCooccurrence, cooccurrenceMeta, readCooccurrence } from './cooccurrence-store.ts';
import { runIndex } from './indexer.ts';
import { IndexReader } from './reader.ts';
import { referenceCase, writeJsonlCorpus } from '#testing/index/test-support.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cooccurrence-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const CONTEXT = 16;

/** Every feature's active positions, decoded straight from its chunks. */
function positions(file: string): Map<number, Set<number>> {
  const db = new Database(file, { readonly: true });
  try {
    const out = new Map<number, Set<number>>();
    for (const c of db.prepare('select feature, first, n, data from chunks').all() as (ChunkRow & { feature: number })[]) {
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

/** What a row must hold for feature a: every other feature's shared count, and the best by count and by Jaccard. */
function checkRow(acts: Map<number, Set<number>>, a: number, row: ReturnType<typeof readCooccurrence>): void {
  const mine = acts.get(a) ?? new Set<number>();
  assert.equal(row.count, mine.size, `feature ${a}: count`);
  const all: { id: number; shared: number; jaccard: number }[] = [];
  for (const [b, theirs] of acts) {
    if (b === a) continue;
    let shared = 0;
    for (const p of mine) if (theirs.has(p)) shared++;
    if (shared) all.push({ id: b, shared, jaccard: shared / (mine.size + theirs.size - shared) });
  }
  for (const e of row.entries) {
    const truth = all.find((x) => x.id === e.id);
    assert.equal(e.shared, truth?.shared, `feature ${a} with ${e.id}: shared tokens`);
    assert.equal(e.otherCount, acts.get(e.id)!.size, `feature ${e.id}: its count`);
  }
  const best = (key: 'shared' | 'jaccard') =>
    [...all]
      .sort((x, y) => y[key] - x[key] || x.id - y.id)
      .slice(0, COOCCURRING_KEPT)
      .map((x) => x.id);
  const kept = new Set(row.entries.map((e) => e.id));
  for (const id of [...best('shared'), ...best('jaccard')]) assert.ok(kept.has(id), `feature ${a}: ${id} is among its best and kept`);
  assert.equal(kept.size, new Set([...best('shared'), ...best('jaccard')]).size, `feature ${a}: nothing else kept`);
}

describe('co-occurring features', () => {
  const ref = referenceCase('gpt2-topk-l1post');
  const db = path.join(tmp, 'index.sqlite');
  let dSae = 0;
  let engine: Engine;
  before(async () => {
    const corpus = path.join(tmp, 'corpus.jsonl');
    writeJsonlCorpus(corpus, 24, 11);
    engine = await Engine.open({ model: ref.modelDir, sae: ref.saeDir, cacheDir: path.join(tmp, 'graph-cache') });
    dSae = engine.sae.config.dSae;
    const r = await runIndex(
      {
        model: ref.modelDir,
        sae: ref.saeDir,
        cacheDir: path.join(tmp, 'graph-cache'),
        corpus,
        db,
        context: CONTEXT,
        batch: 3,
        mergeActivations: 500,
      },
      {},
      { engine },
    );
    assert.equal(r.complete, true);
  });
  after(() => engine.close());

  test('finalize records every live feature, counted exactly', () => {
    const acts = positions(db);
    const reader = new IndexReader(db);
    try {
      assert.deepEqual(cooccurrenceMeta(reader.db), { sampled: 1 });
      let checked = 0;
      for (let f = 0; f < dSae; f++) {
        const row = readCooccurrence(reader.db, f);
        if (!acts.has(f)) {
          assert.deepEqual(row, { count: 0, entries: [] }, `dead feature ${f}`);
          continue;
        }
        checkRow(acts, f, row);
        checked++;
      }
      assert.ok(checked > 50, `${checked} live features checked`);
    } finally {
      reader.close();
    }
  });

  test('an index finished without them is backfilled to the same rows', async () => {
    const copy = path.join(tmp, 'old.sqlite');
    fs.copyFileSync(db, copy);
    const w = new Database(copy);
    const before = w.prepare('select feature, hex(data) as d from cooccurrence order by feature').all();
    w.prepare('delete from meta where key = ?').run(COOCCURRENCE_META);
    w.exec('delete from cooccurrence');
    w.close();
    const r0 = new IndexReader(copy);
    assert.equal(cooccurrenceMeta(r0.db), undefined, 'nothing to read before the backfill');
    r0.close();
    let pauses = 0;
    assert.equal(await backfillCooccurrence(copy, { pause: async () => void pauses++ }), true);
    const r = new Database(copy, { readonly: true });
    assert.deepEqual(r.prepare('select feature, hex(data) as d from cooccurrence order by feature').all(), before);
    r.close();
    assert.equal(await backfillCooccurrence(copy), true, 'a second run finds it done');
  });

  test('a sampled count covers exactly the windows the keyed hash picks', () => {
    const all = positions(db);
    const seed = 0;
    const share = 0.5;
    const counted = (p: number) => windowCounted(seed, Math.floor(p / CONTEXT), share);
    const acts = new Map([...all].map(([f, s]) => [f, new Set([...s].filter(counted))] as const).filter(([, s]) => s.size > 0));
    const handle = new Database(db, { readonly: true });
    try {
      const windows = Number(handle.prepare('select count(*) from windows').pluck().get());
      const picked = Array.from({ length: windows }, (_, w) => windowCounted(seed, w, share)).filter(Boolean).length;
      assert.ok(picked > windows * 0.25 && picked < windows * 0.75, `${picked} of ${windows} windows picked`);
      const counter = new CooccurrenceCounter(buildCooccurrenceTable(handle, dSae, windows, CONTEXT, seed, share));
      const chunks = handle.prepare('select first, n, data from chunks where feature = ? order by first');
      for (const f of [...acts.keys()].slice(0, 60)) {
        const blob = counter.row(f, chunks.all(f) as ChunkRow[]);
        const xs = blob ? readCooccurrenceBlob(blob) : { count: 0, entries: [] };
        checkRow(acts, f, xs);
      }
    } finally {
      handle.close();
    }
  });
});

/** Decodes a row blob through the reader (via an in-memory table). */
function readCooccurrenceBlob(blob: Buffer): ReturnType<typeof readCooccurrence> {
  const mem = new Database(':memory:');
  try {
    mem.exec('create table cooccurrence (feature integer primary key, data blob not null)');
    mem.prepare('insert into cooccurrence values (0, ?)').run(blob);
    return readCooccurrence(mem, 0);
  } finally {
    mem.close();
  }
}
