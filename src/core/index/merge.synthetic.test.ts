/**
 * Shards + merge at scale: a corpus of over a million tokens indexed once whole and once as 3
 * shards (one of them stopped part-way and resumed), with latents from a deterministic
 * stand-in for the capture graph (testdata/hashed-capture.ts) through the real reader,
 * store, finalize and merge. The merged index must answer every feature exactly as the
 * single run does, and hold the same documents, windows, activations, top tokens,
 * co-occurrence and summary. The resumed shard must seek to where it stopped: the lines it
 * had read are made unreadable before it resumes.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { Engine } from '../model/engine.ts';
import { runIndex, type IndexJobOptions } from './indexer.ts';
import { mergeShards } from './merge.ts';
import { IndexReader } from './reader.ts';
import { readProgress } from './store.ts';
import { openDatabase } from '../kernel/sqlite.ts';
import { dumpIndex, referenceCase, writeJsonlCorpus } from '#testing/index/test-support.ts';
import { hashedCapture } from './testdata/hashed-capture.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'index-merge-1m-'));
const ref = referenceCase('gpt2-topk-l1post');
const corpus = path.join(tmp, 'corpus.jsonl');
const cacheDir = path.join(tmp, 'graph-cache');
const capture = hashedCapture(512, 8);
let engine: Engine;
const options = (db: string, shard?: { index: number; count: number }): IndexJobOptions => ({
  model: ref.modelDir,
  sae: ref.saeDir,
  cacheDir,
  corpus,
  db,
  context: 128,
  seed: 7,
  ...(shard ? { shard } : {}),
});
const single = path.join(tmp, 'single.sqlite');
const shardFile = (i: number): string => path.join(tmp, `shard-${i}.sqlite`);

before(async () => {
  // about 490 tokens a document with this tokenizer: 1.17M tokens
  writeJsonlCorpus(corpus, 2400, 21, 260);
  engine = await Engine.open({ model: ref.modelDir, sae: ref.saeDir, cacheDir });
});
after(async () => {
  await engine?.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

test('≥ 1M tokens: 3 shards (one stopped and resumed by seeking) + merge = one run, feature by feature', async () => {
  const whole = await runIndex(options(single), {}, { engine, capture });
  assert.equal(whole.complete, true);
  assert.ok(whole.tokens >= 1_000_000, `${whole.tokens} tokens`);

  for (const i of [0, 2])
    assert.equal((await runIndex(options(shardFile(i), { index: i, count: 3 }), {}, { engine, capture })).complete, true);
  // shard 1 stops after a third of its batches, as a cancel or a kill between commits leaves it
  let batches = 0;
  const stopped = await runIndex(
    options(shardFile(1), { index: 1, count: 3 }),
    { progress: (p) => void (p.phase === 'index' && (batches = p.batches)), shouldStop: () => batches >= 120 },
    { engine, capture },
  );
  assert.equal(stopped.complete, false);
  const d = openDatabase(shardFile(1), { readonly: true });
  const p = readProgress(d)!;
  d.close();
  assert.ok(p.cursor && p.cursor.offset > 0 && p.cursor.ordinal <= p.nextInput, JSON.stringify(p.cursor));
  // every line of shard 1 it has read becomes bytes that are not UTF-8 (same length): reading any
  // of them again would stop the job (the line is decoded before its ordinal is looked at)
  const original = fs.readFileSync(corpus);
  const spoiled = Buffer.from(original);
  for (let i = 0, at = 0; at < spoiled.length; i++) {
    const end = spoiled.indexOf(0x0a, at);
    if (i % 3 === 1 && i < p.nextInput - 1) spoiled.fill(0xff, at, end);
    at = end + 1;
  }
  assert.notDeepEqual(spoiled, original);
  fs.writeFileSync(corpus, spoiled);
  const resumed = await runIndex(options(shardFile(1), { index: 1, count: 3 }), {}, { engine, capture });
  fs.writeFileSync(corpus, original);
  assert.equal(resumed.complete, true);
  assert.equal(resumed.resumed, true);

  const merged = await mergeShards(path.join(tmp, 'merged.sqlite'), [shardFile(2), shardFile(0), shardFile(1)]);
  assert.equal(merged.complete, true);
  assert.equal(merged.tokens, whole.tokens);
  assert.equal(merged.activations, whole.activations);

  const a = new IndexReader(single);
  const b = new IndexReader(merged.out);
  try {
    for (let f = 0; f < a.settings.dSae; f++) assert.equal(JSON.stringify(b.feature(f)), JSON.stringify(a.feature(f)), `feature ${f}`);
    assert.deepEqual(b.status().summary, a.status().summary);
  } finally {
    a.close();
    b.close();
  }
  assert.deepEqual(dumpIndex(merged.out), dumpIndex(single));
});
