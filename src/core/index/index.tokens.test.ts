/**
 * Pre-tokenized corpora through the real indexer (demo model and SAE, which prepends BOS):
 * token ids index exactly as the text they decode to, a streamed row resumes where it was
 * stopped, and ids outside the vocabulary stop the job keeping what was committed.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { AppError } from '#shared/reply.ts';
import { Engine } from '../model/engine.ts';
import { repoRoot } from '#testing/fixtures.ts';
import { decodeTokens } from './codec.ts';
import { openCorpus } from './corpus.ts';
import { runIndex, type IndexJobOptions } from './indexer.ts';
import { IndexReader } from './reader.ts';
import { dumpIndex } from '#testing/index/test-support.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'index-tokens-'));
const model = path.join(repoRoot, 'resources/demo/model');
const sae = path.join(repoRoot, 'resources/demo/sae');
const cacheDir = path.join(tmp, 'graph-cache');
const tokensParquet = fileURLToPath(new URL('./testdata/tokens.parquet', import.meta.url));
let engine: Engine;
let BOS: number;
before(async () => {
  engine = await Engine.open({ model, sae, cacheDir, provider: 'cpu' });
  BOS = engine.tokenizer.bosId!;
  assert.equal(engine.sae.config.prependBos, true);
});
after(async () => {
  await engine.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

const options = (corpus: string, db: string, extra: Partial<IndexJobOptions> = {}): IndexJobOptions => ({
  model,
  sae,
  cacheDir,
  corpus,
  db,
  context: 64,
  batch: 4,
  ...extra,
});

/** Every window's ids and BOS flag, in order. */
function windowsOf(db: string): { ids: number[]; bos: number }[] {
  const r = new IndexReader(db);
  try {
    return (r.db.prepare('select bos, tokens from windows order by id').all() as { bos: number; tokens: Buffer }[]).map((w) => ({
      ids: decodeTokens(w.tokens),
      bos: w.bos,
    }));
  } finally {
    r.close();
  }
}

/** An index without what names its corpus (document sources, settings paths). */
function sameAs(db: string): unknown {
  const { documents, ...rest } = dumpIndex(db) as { documents: { source: string }[] };
  return { ...rest, documents: documents.map(({ source: _s, ...d }) => d) };
}

test('a pre-tokenized Parquet corpus (BOS first in each row) indexes exactly as the text its rows decode to', async () => {
  const rows: number[][] = [];
  for await (const r of openCorpus(tokensParquet).records()) {
    assert.equal(r.kind, 'tokens');
    if (r.kind !== 'tokens') return;
    const ids: number[] = [];
    for await (const s of r.chunks()) ids.push(...s);
    rows.push(ids);
  }
  const text = path.join(tmp, 'decoded.jsonl');
  fs.writeFileSync(
    text,
    rows.map((ids) => JSON.stringify({ text: ids.length > 1 ? engine.tokenizer.decode(ids.slice(1)) : '' })).join('\n'),
  );
  const fromText = await runIndex(options(text, path.join(tmp, 'text.sqlite')), {}, { engine });
  const fromIds = await runIndex(options(tokensParquet, path.join(tmp, 'ids.sqlite')), {}, { engine });
  assert.equal(fromIds.complete, true);
  assert.equal(
    fromIds.tokens,
    rows.reduce((s, r) => s + Math.max(0, r.length - 1), 0),
    'every id but the BOS counts',
  );
  assert.equal(fromIds.summary?.emptyDocuments, 1);
  assert.deepEqual(sameAs(path.join(tmp, 'ids.sqlite')), sameAs(path.join(tmp, 'text.sqlite')));
  assert.deepEqual(
    windowsOf(path.join(tmp, 'ids.sqlite')).map((w) => w.ids),
    rows.filter((r) => r.length),
    'the windows are the rows as given',
  );
  assert.equal(fromText.activations, fromIds.activations);
});

test('a streamed pre-tokenized row (a 1.3 MB line) stopped mid-row resumes to the uninterrupted index; ids are used as given', async () => {
  const demo = fs
    .readFileSync(path.join(repoRoot, 'resources/demo/corpus.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .slice(0, 200)
    .map((l) => (JSON.parse(l) as { text: string }).text)
    .join(' ');
  const body = engine.tokenizer.encode(demo);
  const row = [BOS, ...body];
  while (row.length < 260_000) row.push(...body);
  const corpus = path.join(tmp, 'long-row.jsonl');
  fs.writeFileSync(corpus, `${JSON.stringify({ id: 'x'.repeat(100), input_ids: row })}\n${JSON.stringify({ input_ids: [BOS, 11, 12] })}\n`);
  assert.ok(fs.statSync(corpus).size > 1 << 20, 'longer than a line read whole');
  const extra = { maxTokens: 3000 };
  const whole = await runIndex(options(corpus, path.join(tmp, 'whole.sqlite'), extra), {}, { engine });
  assert.deepEqual([whole.tokens, whole.documents], [3000, 1]);
  const ws = windowsOf(path.join(tmp, 'whole.sqlite'));
  assert.deepEqual(
    ws.flatMap((w) => w.ids),
    row.slice(0, 3001),
    'the first 3,000 ids after the BOS, as given',
  );
  assert.deepEqual(
    ws.map((w) => w.bos),
    ws.map((w, i) => (i === 0 ? 1 : 0)),
    'no BOS added to the windows after the first',
  );

  const db = path.join(tmp, 'stopped.sqlite');
  let batches = 0;
  const stopped = await runIndex(options(corpus, db, extra), { shouldStop: () => ++batches >= 3 }, { engine });
  assert.equal(stopped.complete, false);
  assert.ok(stopped.windows > 0 && stopped.windows < ws.length, 'stopped inside the row');
  const resumed = await runIndex(options(corpus, db, extra), {}, { engine });
  assert.deepEqual([resumed.complete, resumed.resumed], [true, true]);
  assert.deepEqual(dumpIndex(db), dumpIndex(path.join(tmp, 'whole.sqlite')));
});

test('a streamed text line (1.2 MB) stopped mid-document resumes to the uninterrupted index', async () => {
  const demo = fs
    .readFileSync(path.join(repoRoot, 'resources/demo/corpus.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => (JSON.parse(l) as { text: string }).text)
    .join(' ');
  const corpus = path.join(tmp, 'long-text.jsonl');
  fs.writeFileSync(corpus, `${JSON.stringify({ text: demo.repeat(2).slice(0, 1_200_000) })}\n{"text": "after"}\n`);
  const extra = { maxTokens: 2000 };
  const whole = path.join(tmp, 'long-text.sqlite');
  const r = await runIndex(options(corpus, whole, extra), {}, { engine });
  assert.deepEqual([r.tokens, r.documents], [2000, 1]);
  assert.deepEqual(
    windowsOf(whole).flatMap((w) => w.ids.slice(1)),
    engine.tokenizer.encode(demo.slice(0, 20_000)).slice(0, 2000),
  );
  const db = path.join(tmp, 'long-text-stopped.sqlite');
  let batches = 0;
  const stopped = await runIndex(options(corpus, db, extra), { shouldStop: () => ++batches >= 2 }, { engine });
  assert.equal(stopped.complete, false);
  await runIndex(options(corpus, db, extra), {}, { engine });
  assert.deepEqual(dumpIndex(db), dumpIndex(whole));
});

test('ids outside the vocabulary stop the job naming file, row, id and vocabulary size; what came before is kept and resumes', async () => {
  const good = (i: number): string => JSON.stringify({ tokens: [BOS, ...Array.from({ length: 40 }, (_, k) => (i * 97 + k * 13) % 4000)] });
  const corpus = path.join(tmp, 'vocab.jsonl');
  const lines = Array.from({ length: 6 }, (_, i) => good(i));
  fs.writeFileSync(corpus, [...lines, JSON.stringify({ tokens: [BOS, 5, 50256] }), good(7)].join('\n'));
  const db = path.join(tmp, 'vocab.sqlite');
  await assert.rejects(
    runIndex(options(corpus, db), {}, { engine }),
    (e: unknown) =>
      e instanceof AppError &&
      e.message ===
        `${corpus}:7: token id 50256 ("tokens"[2]) is not below the model's vocabulary size 4096 (tokenized for another vocabulary?)`,
  );
  const kept = new IndexReader(db);
  try {
    assert.equal(kept.progress.documents, 6, 'the rows before it are committed');
  } finally {
    kept.close();
  }
  fs.writeFileSync(corpus, [...lines, good(6), good(7)].join('\n'));
  const r = await runIndex(options(corpus, db), {}, { engine });
  assert.deepEqual([r.complete, r.resumed, r.documents], [true, true, 8]);
  await runIndex(options(corpus, path.join(tmp, 'vocab-fresh.sqlite')), {}, { engine });
  assert.deepEqual(dumpIndex(db), dumpIndex(path.join(tmp, 'vocab-fresh.sqlite')));
});
