/**
 * The autointerp command against a scripted server that answers as an oracle would (the right
 * contexts and tokens): perfect scores with the exact counts, the user's label kept, retries
 * after 429/502/a dropped stream, and a rerun that asks for nothing stored.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { AnnotationStore } from '../../core/annotations/store.ts';
import { saeHash } from '../../core/annotations/identity.ts';
import { graphCacheDir } from '../../core/kernel/data-dir.ts';
import { featureContexts, type FeatureContexts } from '../../core/autointerp/examples.ts';
import { explainMessages } from '../../core/autointerp/prompts.ts';
import { fuzzingRound } from '../../core/autointerp/score.ts';
import { autoExplanations } from '../../core/autointerp/store.ts';
import { answer, demoIndex, mockServer, oracleAnswer, type MockServer } from '#testing/autointerp/test-support.ts';
import { IndexReader } from '../../core/index/reader.ts';
import { defaultAutointerpSettings, type AutoExplanation } from '#shared/autointerp-types.ts';
import { parseFeatureSpec } from '#shared/feature-spec.ts';
import { runCliCaptured } from '#testing/cli/testing.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-autointerp-oracle-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('autointerp (CLI) against a scripted chat-completions server', () => {
  let db = '';
  let server: MockServer;
  let features: number[] = [];
  const contexts = new Map<number, FeatureContexts>();
  const s = { ...defaultAutointerpSettings, scoreExamples: 6, seed: 3 };
  const data = path.join(tmp, 'data');
  const annotations = path.join(data, 'annotations.sqlite');

  before(async () => {
    db = await demoIndex(tmp);
    const reader = new IndexReader(db);
    try {
      features = reader.db.prepare('select id from features where count >= 12 order by id limit 5').pluck().all() as number[];
      for (const f of features) contexts.set(f, featureContexts(reader, f, s));
    } finally {
      reader.close();
    }
    // which feature a request is about: the explain prompt's examples, or the oracle's explanation text
    const featureOf = (body: { messages: { role: string; content: string }[] }): FeatureContexts => {
      const user = body.messages.find((m) => m.role === 'user')?.content ?? '';
      const named = /oracle text of feature (\d+)/.exec(user);
      if (named) return contexts.get(Number(named[1]))!;
      const hit = [...contexts.values()].find((c) => explainMessages(c.explain, c.max)[1]!.content === user);
      if (!hit) throw new Error('a request about no known feature');
      return hit;
    };
    server = await mockServer((body, n, res) => {
      if (n === 0) return void res.writeHead(429, { 'retry-after': '0.05' }).end(); // rate limited once
      if (n === 3) return void res.writeHead(502).end();
      if (n === 5) {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        return void res.socket?.destroy(); // a dropped stream
      }
      answer(res, oracleAnswer(body.messages, featureOf(body)), body.stream);
    });
  });
  after(() => server.close());

  test('explains and scores every feature, stores them as auto beside the user label, and a rerun redoes nothing', async () => {
    const store = new AnnotationStore(annotations);
    const indexed = new IndexReader(db);
    const sae = saeHash(indexed.settings.sae, graphCacheDir(data));
    indexed.close();
    store.set(sae, features[0]!, { label: 'written by the user' });
    store.close();

    const list = `${features[0]}-${features[0]},${features.slice(1).join(',')}`;
    const args = [
      'autointerp',
      '--db',
      db,
      '--features',
      list,
      '--endpoint',
      server.url,
      '--model',
      'scripted',
      '--seed',
      '3',
      '--score-examples',
      '6',
      '--data',
      data,
      '--concurrency',
      '2',
      '--json',
    ];
    const r = await runCliCaptured(...args);
    assert.equal(r.code, 0, r.err);
    const out = JSON.parse(r.out) as { explained: AutoExplanation[]; skipped: number; failed: unknown[]; sae: string };
    assert.deepEqual(out.failed, []);
    assert.equal(out.sae, sae);
    assert.deepEqual(
      out.explained.map((e) => e.feature),
      features,
    );
    for (const e of out.explained) {
      const c = contexts.get(e.feature)!;
      assert.equal(e.description, `oracle text of feature ${e.feature}`);
      assert.deepEqual(e.detection, {
        balancedAccuracy: 1,
        truePositives: c.activating.length,
        falsePositives: 0,
        trueNegatives: c.nonActivating.length,
        falseNegatives: 0,
        unanswered: 0,
      });
      const fr = fuzzingRound(c, s);
      assert.equal(e.fuzzing?.truePositives, fr.truth.filter(Boolean).length);
      assert.equal(e.fuzzing?.balancedAccuracy, 1);
      assert.deepEqual(e.settings, s);
    }
    assert.equal(server.stats.requests, features.length * 3 + 3, 'three requests per feature, plus three retried');
    assert.ok(server.stats.maxInFlight <= 2);

    const store2 = new AnnotationStore(annotations);
    try {
      assert.equal(store2.get(sae, features[0]!)?.label, 'written by the user');
      assert.equal(autoExplanations(store2.db, sae, features[0]!)[0]?.description, `oracle text of feature ${features[0]}`);
    } finally {
      store2.close();
    }

    const before = server.stats.requests;
    const again = await runCliCaptured(...args);
    assert.equal(again.code, 0, again.err);
    assert.equal((JSON.parse(again.out) as { skipped: number }).skipped, features.length);
    assert.equal(server.stats.requests, before, 'nothing redone');
  });

  test('an interrupted run resumes: a rerun explains only what was not stored', async () => {
    const fresh = path.join(tmp, 'data-resume');
    const args = (list: string) => [
      'autointerp',
      '--db',
      db,
      '--features',
      list,
      '--endpoint',
      server.url,
      '--model',
      'scripted',
      '--seed',
      '3',
      '--score-examples',
      '6',
      '--data',
      fresh,
      '--json',
    ];
    const first = await runCliCaptured(...args(features.slice(0, 2).join(',')));
    assert.equal(first.code, 0, first.err);
    const before = server.stats.requests;
    const rest = await runCliCaptured(...args(features.join(',')));
    assert.equal(rest.code, 0, rest.err);
    const out = JSON.parse(rest.out) as { explained: AutoExplanation[]; skipped: number };
    assert.equal(out.skipped, 2);
    assert.deepEqual(
      out.explained.map((e) => e.feature),
      features.slice(2),
    );
    assert.equal(server.stats.requests - before, 3 * (features.length - 2));
  });

  test('bad input is a clear usage error', async () => {
    const base = ['autointerp', '--db', db, '--data', path.join(tmp, 'data-bad')];
    const cases: [string[], RegExp][] = [
      [['--features', '1', '--endpoint', server.url], /--endpoint needs --model/],
      [['--features', '1', '--endpoint', 'nonsense', '--model', 'm'], /not an endpoint URL/],
      [['--features', '5-2', '--endpoint', server.url, '--model', 'm'], /runs backwards/],
      [['--features', '99999', '--endpoint', server.url, '--model', 'm'], /this SAE has features 0–/],
    ];
    for (const [extra, message] of cases) {
      const r = await runCliCaptured(...base, ...extra);
      assert.equal(r.code, 2, `${extra.join(' ')}: ${r.err}`);
      assert.match(r.err, message);
    }
    // no explainer flag and none saved in Settings: not a usage error, a missing setting, named
    const unset = await runCliCaptured(...base, '--features', '1');
    assert.deepEqual([unset.code, unset.err], [1, 'error: no explainer is set: choose a local ONNX model or an endpoint in Settings\n']);
    const both = await runCliCaptured(...base, '--features', '1', '--endpoint', server.url, '--model', 'm', '--explainer-model', tmp);
    assert.equal(both.code, 2);
    assert.match(both.err, /give one explainer/);
    assert.deepEqual(parseFeatureSpec('3,1-2,3', 10), [3, 1, 2]);
  });
});
