/** The index requests through core's dispatcher, as the UI sends them. */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import type { RequestName, ResultOf } from '#shared/contract.ts';
import { createCore } from '../host/core.ts';
import { IndexReader } from './reader.ts';
import { referenceCase, writeJsonlCorpus } from '#testing/index/test-support.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'index-handlers-'));
const core = createCore({ host: 'cli', data: { flag: path.join(tmp, 'data') } });
after(async () => {
  await core.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});
const ref = referenceCase('gpt2-topk-l1post');
const corpus = path.join(tmp, 'wiki.jsonl');
writeJsonlCorpus(corpus, 40, 3);

async function ask<K extends RequestName>(name: K, payload: unknown): Promise<ResultOf<K>> {
  const r = await core.dispatch(name, payload);
  if (!r.ok) throw new Error(`${name}: ${r.error.code}: ${r.error.message}`);
  // dispatch answered request K, so the value is ResultOf<K>
  return r.value as ResultOf<K>;
}

test('index.start runs a job with progress events; status, list, feature.get and feature.sample answer from the index', async () => {
  const phases = new Set<string>();
  const off = core.bus.on('job.progress', (p) => phases.add(p.phase));
  const started = await ask('index.start', { model: ref.modelDir, sae: ref.saeDir, corpus, context: 16, batch: 2 });
  assert.equal(started.db, path.join(tmp, 'data', 'indexes', 'wiki.sqlite'));
  const final = await core.bus.next('job.state', (s) => s.job === started.job && (s.state === 'done' || s.state === 'failed'));
  off();
  assert.equal(final.state, 'done', final.error);
  for (const phase of ['load', 'index', 'finalize']) assert.ok(phases.has(phase), `a ${phase} progress event`);

  const status = await ask('index.status', { db: 'wiki' });
  assert.equal(status.state, 'complete');
  assert.equal(status.dSae, 512);
  assert.ok(status.tokens > 0 && status.summary && status.summary.densityHistogram.length === 50);
  const list = await ask('index.list', {});
  assert.deepEqual(
    list.map((s) => s.db),
    [started.db],
  );

  const reader = new IndexReader(started.db);
  const busiest = reader.db.prepare('select id from features order by count desc limit 1').pluck().get() as number;
  reader.close();
  const f = await ask('feature.get', { db: 'wiki.sqlite', id: busiest, context: 2 });
  assert.ok(f.count > 0 && f.top.length > 0 && f.intervals.length === 10);
  assert.ok(f.top[0]!.tokens.length <= 5);
  const s = await ask('feature.sample', { db: 'wiki', id: busiest, lo: 0, hi: f.max + 1, n: 3, seed: 1 });
  assert.equal(s.matching, f.count);
  assert.equal(s.examples.length, Math.min(3, f.count));

  const bad = await core.dispatch('feature.get', { db: 'wiki', id: 512 });
  assert.equal(bad.ok, false);
  assert.equal(!bad.ok && bad.error.code, 'not_found');
  const escape = await core.dispatch('index.status', { db: '../elsewhere' });
  assert.equal(!escape.ok && escape.error.code, 'bad_request');
});

test('the index service pauses a job and resumes it to the end; jobs.cancel stops one that a new start resumes', async () => {
  const db = path.join(tmp, 'paused.sqlite');
  const payload = { model: ref.modelDir, sae: ref.saeDir, corpus, db, context: 16, batch: 1 };
  const { job } = await ask('index.start', payload);
  await core.bus.next('job.progress', (p) => p.job === job && p.phase === 'index' && p.done > 0);
  core.index.pause(job);
  await core.bus.next('job.progress', (p) => p.job === job && p.phase === 'paused');
  assert.equal((await ask('index.status', { db })).state, 'indexing');
  core.index.resume(job);
  const done = await core.bus.next('job.state', (s) => s.job === job && s.state !== 'running');
  assert.equal(done.state, 'done', done.error);

  const db2 = path.join(tmp, 'cancelled.sqlite');
  const second = await ask('index.start', { ...payload, db: db2 });
  await core.bus.next('job.progress', (p) => p.job === second.job && p.phase === 'index' && p.done > 0);
  // held first, so a fast machine cannot finish the corpus before the cancel lands
  core.index.pause(second.job);
  await core.bus.next('job.progress', (p) => p.job === second.job && p.phase === 'paused');
  await ask('jobs.cancel', { job: second.job });
  const cancelled = await core.bus.next('job.state', (s) => s.job === second.job && s.state !== 'running');
  assert.equal(cancelled.state, 'cancelled');
  assert.equal((await ask('index.status', { db: db2 })).state, 'indexing');
  const again = await ask('index.start', { ...payload, db: db2 });
  const end = await core.bus.next('job.state', (s) => s.job === again.job && s.state !== 'running');
  assert.equal(end.state, 'done', end.error);
  const a = await ask('index.status', { db });
  const b = await ask('index.status', { db: db2 });
  assert.equal(b.state, 'complete');
  assert.deepEqual({ ...b, db: '', bytes: 0 }, { ...a, db: '', bytes: 0 });
});
