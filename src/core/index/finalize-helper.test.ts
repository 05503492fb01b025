/**
 * The finalize phase's helper thread: an index finalized with it (blocks of features computed
 * on the helper, from its own read-only connection and the shared co-occurrence table, while
 * the phase's thread computes others) holds exactly what one thread writes, also when the phase
 * is stopped part-way and resumed, and when the helper fails part-way. Latents from testdata/hashed-capture.ts over 2,048 features, so the
 * phase has four blocks; the rest (corpus, tokenizer, store, reader) is the real thing.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { Engine } from '../model/engine.ts';
import { openDatabase } from '../kernel/sqlite.ts';
import { referenceCase, writeJsonlCorpus } from '#testing/index/test-support.ts';
import { IndexReader } from './reader.ts';
import { blockComputer, FEATURES_PER_BLOCK } from './finalize-blocks.ts';
import { startFinalizeHelper, type StartFinalizeHelper } from './finalize-helper.ts';
import { runIndex, type IndexJobOptions, type IndexModel, type IndexRuntime } from './indexer.ts';
import { hashedCapture } from './testdata/hashed-capture.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'index-finalize-helper-'));
const ref = referenceCase('gpt2-topk-l1post');
const corpus = path.join(tmp, 'corpus.jsonl');
const cacheDir = path.join(tmp, 'graph-cache');
const D_SAE = 2048;
const K = 16;
let engine: Engine;
let model: IndexModel;
const options = (db: string): IndexJobOptions => ({ model: ref.modelDir, sae: ref.saeDir, cacheDir, corpus, db, context: 64, seed: 3 });

before(async () => {
  writeJsonlCorpus(corpus, 120, 5, 120);
  engine = await Engine.open({ model: ref.modelDir, sae: ref.saeDir, cacheDir });
  // the reference engine's tokenizer and folder, with a wider TopK SAE's latents
  model = {
    sae: { config: { ...engine.sae.config, dSae: D_SAE, k: K } },
    hook: engine.hook,
    folder: engine.folder,
    tokenizer: engine.tokenizer,
    capture: hashedCapture(D_SAE, K),
  };
});
after(async () => {
  await engine?.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** The `features` table as stored, blobs in hex. */
function featureRows(file: string): unknown[][] {
  return tables(file).features!;
}

/** What finalize writes, as stored: features, co-occurrence, top tokens, their text, the meta rows (summary, progress...). */
function tables(file: string): Record<string, unknown[][]> {
  const db = openDatabase(file, { readonly: true });
  const all = (sql: string): unknown[][] => db.prepare(sql).raw().all() as unknown[][];
  try {
    return {
      features: all('select id, count, sum, max, hex(histogram), hex(intervals), hex(top), hex(samples) from features order by id'),
      cooccurrence: all('select feature, hex(data) from cooccurrence order by feature'),
      topTokens: all('select token, feature, hits from top_tokens order by token, feature'),
      tokenText: all('select * from token_text order by token'),
      // (not the writer lock: it names the process and the time)
      meta: all("select key, value from meta where key not in ('settings', 'tokenizer', 'writer') order by key"),
    };
  } finally {
    db.close();
  }
}

/** The reader's feature pages and range samples of some features. */
function answers(file: string, ids: readonly number[]): unknown[] {
  const r = new IndexReader(file);
  try {
    return ids.map((f) => [r.feature(f, 3), r.sample(f, 0, Number.MAX_VALUE, 5, 1)]);
  } finally {
    r.close();
  }
}

/**
 * The real helper, counting the blocks it answers; with `failAfter`, every later block fails as
 * a dead thread's would. It says it is ready at once, so it is handed blocks while its thread
 * still loads (they wait in its queue): on a small index the phase's thread would otherwise
 * have computed every block before the thread, started from sources, is up.
 */
function watchedHelper(failAfter = Infinity): { start: StartFinalizeHelper; answered: () => number } {
  let answered = 0;
  let asked = 0;
  const start: StartFinalizeHelper = (data) => {
    const real = startFinalizeHelper(data);
    return {
      ready: Promise.resolve(),
      useTable: (table) => real.useTable(table),
      rows: (start, end) => {
        if (++asked > failAfter) return Promise.reject(new Error('the finalize helper thread exited (code 1)'));
        return real.rows(start, end).then((rows) => (answered++, rows));
      },
      close: () => real.close(),
    };
  };
  return { start, answered: () => answered };
}

test('finalize with a helper thread writes what one thread writes, also stopped part-way and resumed', async () => {
  const runtime = (finalizeHelper: boolean | StartFinalizeHelper): IndexRuntime => ({ engine: model, finalizeHelper });
  // the helper's blocks fall back to this thread, with a warning, only when the helper fails
  const warnings: string[] = [];
  const log = (level: string, message: string): void => void (level === 'warn' && warnings.push(message));
  const alone = path.join(tmp, 'alone.sqlite');
  const r1 = await runIndex(options(alone), {}, runtime(false));
  assert.equal(r1.complete, true);
  assert.ok(r1.activations > 50_000, `${r1.activations} activations`);

  const helped = path.join(tmp, 'helped.sqlite');
  const watch = watchedHelper();
  const r2 = await runIndex(options(helped), { log }, runtime(watch.start));
  // it is handed the first two blocks at once, and more whenever it is free
  assert.ok(watch.answered() >= 2, `the helper computed ${watch.answered()} blocks`);
  assert.equal(r2.complete, true);
  const expected = featureRows(alone);
  assert.ok(expected.length > 3 * FEATURES_PER_BLOCK, `${expected.length} live features span the four blocks`);
  assert.deepEqual(featureRows(helped), expected);
  // the reader's answers too, for the features of each block
  const sample = Array.from({ length: 4 }, (_, b) => b * FEATURES_PER_BLOCK + 7);
  assert.deepEqual(answers(helped, sample), answers(alone, sample));
  assert.deepEqual(tables(helped), tables(alone));

  // stopped after its second block (the helper's first) is written, then resumed with the helper
  const resumed = path.join(tmp, 'resumed.sqlite');
  let done = 0;
  const stopped = await runIndex(
    options(resumed),
    { progress: (p) => void (p.phase === 'finalize' && (done = p.done)), shouldStop: () => done >= 2 * FEATURES_PER_BLOCK, log },
    runtime(true),
  );
  assert.equal(stopped.complete, false);
  const partial = featureRows(resumed) as [number][];
  assert.ok(partial.length > 0 && partial.at(-1)![0] < 2 * FEATURES_PER_BLOCK, `stopped with ${partial.length} features written`);
  const again = await runIndex(options(resumed), { log }, runtime(true));
  assert.equal(again.complete, true);
  assert.deepEqual(tables(resumed), tables(alone));
  assert.deepEqual(warnings, []);
});

test('a helper that fails part-way: this thread computes its blocks, with one warning, and writes the same index', async () => {
  const alone = path.join(tmp, 'alone-2.sqlite');
  await runIndex(options(alone), {}, { engine: model, finalizeHelper: false });
  const warnings: string[] = [];
  const failing = path.join(tmp, 'failing.sqlite');
  const watch = watchedHelper(1);
  const r = await runIndex(
    options(failing),
    { log: (level, message) => void (level === 'warn' && warnings.push(message)) },
    { engine: model, finalizeHelper: watch.start },
  );
  assert.equal(r.complete, true);
  assert.equal(watch.answered(), 1);
  assert.deepEqual(tables(failing), tables(alone));
  assert.equal(warnings.length, 1, warnings.join('\n'));
  assert.match(
    warnings[0]!,
    /the finalize helper thread failed \(the finalize helper thread exited \(code 1\)\): this thread computes the rest/,
  );
});

test('the helper thread says when it is ready; its blocks are the ones this thread computes', async () => {
  const db = path.join(tmp, 'ready.sqlite');
  await runIndex(options(db), {}, { engine: model, finalizeHelper: false });
  const helper = startFinalizeHelper({ file: db, seed: 3 });
  try {
    let ready = false;
    void helper.ready.then(() => (ready = true));
    await helper.ready;
    assert.equal(ready, true);
    const conn = openDatabase(db, { readonly: true });
    try {
      const here = blockComputer(conn, 3, undefined);
      for (const start of [0, FEATURES_PER_BLOCK]) {
        // (Buffers cross threads as plain Uint8Arrays)
        const mine = here(start, start + FEATURES_PER_BLOCK).map((r) => ({ ...r, blobs: r.blobs.map((b) => new Uint8Array(b)) }));
        assert.ok(mine.length > 0);
        assert.deepEqual(await helper.rows(start, start + FEATURES_PER_BLOCK), mine);
      }
    } finally {
      conn.close();
    }
  } finally {
    await helper.close();
  }
});
