import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { events, type AppEvent } from '#shared/contract.ts';
import { defaultAutointerpSettings } from '#shared/autointerp-types.ts';
import { createCore, type Core } from '../host/core.ts';
import { IndexReader } from '../index/reader.ts';
import { featureContexts, type FeatureContexts } from './examples.ts';
import { explainMessages } from './prompts.ts';
import { latestAutoExplanations } from './store.ts';
import { answer, demoIndex, mockServer, oracleAnswer, type MockServer } from '#testing/autointerp/test-support.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'autointerp-job-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('autointerp.start: the explain + score job', () => {
  let core: Core;
  let server: MockServer;
  let db = '';
  let features: number[] = [];
  const contexts = new Map<number, FeatureContexts>();
  /** Requests by feature, in arrival order. */
  const asked: number[] = [];
  let delayMs = 0;
  const seen: AppEvent[] = [];

  before(async () => {
    db = await demoIndex(tmp, 40);
    const reader = new IndexReader(db);
    try {
      features = reader.db.prepare('select id from features where count >= 12 order by id limit 6').pluck().all() as number[];
      for (const f of features) contexts.set(f, featureContexts(reader, f, defaultAutointerpSettings));
    } finally {
      reader.close();
    }
    const byPrompt = new Map([...contexts].map(([f, c]) => [explainMessages(c.explain, c.max)[1]!.content, f]));
    server = await mockServer((body, _n, res) => {
      const user = body.messages.find((m) => m.role === 'user')?.content ?? '';
      const f = byPrompt.get(user) ?? Number(/oracle text of feature (\d+)/.exec(user)?.[1]);
      asked.push(f);
      setTimeout(() => answer(res, oracleAnswer(body.messages, contexts.get(f)!), body.stream), delayMs);
    });
    core = createCore({ host: 'cli', data: { flag: path.join(tmp, 'data') } });
    core.bus.onAny((e) => seen.push(e));
  });
  after(async () => {
    await core?.close();
    await server?.close();
  });

  const explainer = () => ({ endpoint: server.url, model: 'oracle' });

  test('one feature streams its explanation, then each score; progress and events are typed as the contract says', async () => {
    const f = features[0]!;
    const r = await core.request('autointerp.start', { db, features: [f], explainer: explainer(), stream: true });
    assert.ok(r.ok, r.ok ? '' : r.error.message);
    assert.deepEqual(
      { features: r.value.features, stored: r.value.stored, explainer: r.value.explainer },
      { features: 1, stored: 0, explainer: 'oracle' },
    );
    const end = await core.jobs.wait(r.value.job);
    assert.equal(end.state, 'done', end.error);
    const mine = seen.filter((e) => 'job' in e.data && e.data.job === r.value.job);
    for (const e of mine) assert.ok(events[e.name].safeParse(e.data).success, `${e.name} matches its schema`);
    const text = mine.flatMap((e) => (e.name === 'autointerp.text' ? [e.data.text] : [])).join('');
    assert.equal(text, `Thinking...\n[EXPLANATION]: oracle text of feature ${f}`, 'the answer streamed piece by piece');
    const steps = mine.flatMap((e) => (e.name === 'autointerp.result' ? [e.data] : []));
    assert.deepEqual(
      steps.map((s) => [s.stage, s.done, s.explanation?.detection !== null, s.explanation?.fuzzing !== null]),
      [
        ['explained', false, false, false],
        ['scored', false, true, false],
        ['scored', true, true, true],
      ],
    );
    const names = mine.map((e) => e.name);
    assert.ok(names.indexOf('autointerp.text') < names.indexOf('autointerp.result'), 'text before the stored explanation');
    const progress = mine.flatMap((e) => (e.name === 'job.progress' ? [e.data] : []));
    assert.deepEqual(progress.at(-1) && [progress.at(-1)!.phase, progress.at(-1)!.done, progress.at(-1)!.total], ['explain', 1, 1]);
    assert.equal(steps.at(-1)?.explanation?.detection?.balancedAccuracy, 1);

    // started again: stored, so skipped, and the server is not asked
    const before = asked.length;
    const again = await core.request('autointerp.start', { db, features: String(f), explainer: explainer() });
    assert.ok(again.ok);
    assert.equal(again.value.stored, 1);
    assert.equal((await core.jobs.wait(again.value.job)).state, 'done');
    assert.equal(asked.length, before);
  });

  test('cancelled half way, jobs.retry finishes the rest without asking again about what was stored', async () => {
    delayMs = 30;
    const rest = features.slice(1);
    const r = await core.request('autointerp.start', { db, features: rest, explainer: explainer(), concurrency: 1 });
    assert.ok(r.ok, r.ok ? '' : r.error.message);
    await core.bus.next('autointerp.result', (s) => s.job === r.value.job && s.done && s.feature === rest[1]);
    core.jobs.cancel(r.value.job);
    const cancelled = await core.jobs.wait(r.value.job);
    assert.equal(cancelled.state, 'cancelled');
    assert.equal(cancelled.retryable, true);
    const store = core.annotations.store();
    const sae = r.value.sae;
    const complete = new Set([...latestAutoExplanations(store.db, sae)].filter(([, e]) => e.fuzzing !== null).map(([feature]) => feature));
    assert.ok(complete.size >= 3 && complete.size < features.length, `${complete.size} complete at the cancel`);
    const mark = asked.length;
    const retried = await core.jobs.retry(r.value.job);
    assert.equal((await core.jobs.wait(retried.id)).state, 'done');
    assert.ok(
      asked.slice(mark).every((f) => !complete.has(f)),
      'nothing stored was asked again',
    );
    const all = latestAutoExplanations(store.db, sae);
    assert.deepEqual(
      features.map((f) => all.get(f)?.fuzzing?.balancedAccuracy),
      features.map(() => 1),
    );
  });

  test('bad sets and no explainer are refused before a job starts', async () => {
    const bad = [
      [{ db, features: '5-2', explainer: explainer() }, /runs backwards/],
      [{ db, features: [999_999], explainer: explainer() }, /this SAE has features 0–/],
      [{ db, features: 'one,two', explainer: explainer() }, /ids and ranges/],
      [{ db, features: 'all' }, /no explainer is set/],
    ] as const;
    for (const [payload, message] of bad) {
      const r = await core.dispatch('autointerp.start', payload);
      assert.ok(!r.ok && message.test(r.error.message), JSON.stringify(r));
    }
  });
});
