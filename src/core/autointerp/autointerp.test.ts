import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { defaultAutointerpSettings, type AutointerpSettings, type ExplainerMessage } from '#shared/autointerp-types.ts';
import { AnnotationStore } from '../annotations/store.ts';
import { IndexReader } from '../index/reader.ts';
import { seededRandom } from '../util/random.ts';
import { balancedAccuracy } from './balanced.ts';
import { featureContexts, type FeatureContexts } from './examples.ts';
import { explainFeature } from './explain.ts';
import type { Explainer } from './explainer.ts';
import { markText, parseExplanation, parseVerdicts, PROMPT_VERSION } from './prompts.ts';
import { detectionRound, fuzzingRound } from './score.ts';
import { autoExplanations, hasAutoExplanation, saveAutoExplanation } from './store.ts';
import { demoIndex, oracleAnswer, roundItems } from '#testing/autointerp/test-support.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'autointerp-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const settings: AutointerpSettings = { ...defaultAutointerpSettings, topExamples: 5, intervalExamples: 5, scoreExamples: 6, seed: 7 };

/** An explainer that answers from the ground truth of the feature it was made for. */
function oracle(c: () => FeatureContexts): Explainer {
  return { model: 'oracle', complete: (m) => Promise.resolve(oracleAnswer(m, c())) };
}

/** An explainer that answers every round with seeded coin flips. */
function coinFlipper(seed: number): Explainer {
  const rand = seededRandom(seed);
  return {
    model: 'coin',
    complete: (m: readonly ExplainerMessage[]) => {
      const n = roundItems(m).length;
      const isExplain = m.some((x) => x.content.includes('[EXPLANATION]'));
      return Promise.resolve(
        isExplain ? '[EXPLANATION]: anything' : `[${Array.from({ length: n }, () => (rand() < 0.5 ? 1 : 0)).join(',')}]`,
      );
    },
  };
}

describe('balanced accuracy', () => {
  test('hand-counted cases', () => {
    // truth T T T F F, verdicts yes no (none) no yes: TP 1, FN 2 (one unanswered), TN 1, FP 1
    const s = balancedAccuracy([true, true, true, false, false], [true, false, null, false, true]);
    assert.deepEqual(s, {
      balancedAccuracy: (1 / 3 + 1 / 2) / 2,
      truePositives: 1,
      falsePositives: 1,
      trueNegatives: 1,
      falseNegatives: 2,
      unanswered: 1,
    });
    assert.equal(balancedAccuracy([true, false], [true, false]).balancedAccuracy, 1);
    assert.equal(balancedAccuracy([true, false], [false, true]).balancedAccuracy, 0);
    // always "yes" on a 1:3 mix is 0.5 balanced, though 25% accurate
    assert.equal(balancedAccuracy([true, false, false, false], [true, true, true, true]).balancedAccuracy, 0.5);
    assert.equal(balancedAccuracy([true, true], [true, false]).balancedAccuracy, null);
    assert.throws(() => balancedAccuracy([true], []), /1 items but 0 verdicts/);
  });

  test('answers are parsed: the last 0/1 list of the right length, the explanation after its tag', () => {
    assert.deepEqual(parseVerdicts('maybe [1, 2] then [1,0, 1]', 3), [true, false, true]);
    assert.equal(parseVerdicts('[1, 0]', 3), null);
    assert.equal(parseVerdicts('no list at all', 1), null);
    assert.equal(parseExplanation('a\n[EXPLANATION]: "the word the"\n'), 'the word the');
    assert.equal(parseExplanation('first line\nlast line'), 'last line');
    assert.equal(parseExplanation('  \n'), null);
    assert.equal(markText({ tokens: ['a', ' b', ' c', ' d'], marked: [false, true, true, false] }), 'a<< b c>> d');
  });
});

describe('explain and score on the demo index', () => {
  let db = '';
  let reader: IndexReader;
  let live: number[] = [];
  before(async () => {
    db = await demoIndex(tmp);
    reader = new IndexReader(db);
    live = (reader.db.prepare('select id from features where count >= 12 order by id').pluck().all() as number[]).slice(0, 12);
    assert.ok(live.length >= 8, `enough live features (${live.length})`);
  });
  after(() => reader.close());

  test('contexts: explained ones are not scored; non-activating ones are zero throughout', () => {
    const c = featureContexts(reader, live[0]!, settings);
    assert.ok(c.explain.length > 0 && c.explain.length <= 10);
    const shown = new Set(c.explain.map((e) => `${e.window}:${e.position}`));
    assert.ok(c.activating.length > 0);
    for (const e of c.activating) {
      assert.ok(!shown.has(`${e.window}:${e.position}`));
      assert.ok(e.values.some((v) => v > 0));
    }
    assert.equal(c.nonActivating.length, settings.scoreExamples);
    for (const e of c.nonActivating) assert.ok(e.values.length > 0);
    // detection: every activating and non-activating context once; fuzzing marks as many tokens either way
    const d = detectionRound(c, settings);
    assert.equal(d.truth.filter(Boolean).length, c.activating.length);
    assert.equal(d.truth.length, c.activating.length + c.nonActivating.length);
    const f = fuzzingRound(c, settings);
    assert.ok(f.truth.some((t) => t) && f.truth.some((t) => !t), 'fuzzing has right and wrong markings');
    assert.deepEqual(detectionRound(c, settings), d, 'the same seed shuffles the same');
  });

  test('an explainer answering from the ground truth scores 1.0 with the counts behind it', async () => {
    for (const f of live.slice(0, 4)) {
      const c = featureContexts(reader, f, settings);
      const r = await explainFeature(
        reader,
        oracle(() => c),
        f,
        settings,
        { now: () => 1234 },
      );
      assert.equal(r.description, `oracle text of feature ${f}`);
      assert.equal(r.detection?.balancedAccuracy, 1);
      assert.equal(r.detection?.truePositives, c.activating.length);
      assert.equal(r.detection?.trueNegatives, c.nonActivating.length);
      assert.equal(r.fuzzing?.balancedAccuracy, 1);
      const fr = fuzzingRound(c, settings);
      assert.equal(r.fuzzing?.truePositives, fr.truth.filter(Boolean).length);
      assert.equal(r.fuzzing?.trueNegatives, fr.truth.filter((t) => !t).length);
      assert.deepEqual({ ...r.settings, v: r.promptVersion, at: r.createdAt }, { ...settings, v: PROMPT_VERSION, at: 1234 });
    }
  });

  test('a seeded coin-flipping explainer scores about 0.5, and repeats with the same seed', async () => {
    const scores: number[] = [];
    for (const f of live) {
      const r = await explainFeature(reader, coinFlipper(f), f, settings);
      for (const s of [r.detection!, r.fuzzing!]) {
        assert.ok(s.balancedAccuracy !== null && s.balancedAccuracy >= 0 && s.balancedAccuracy <= 1);
        scores.push(s.balancedAccuracy);
      }
    }
    const mean = scores.reduce((a, b) => a + b, 0) / scores.length;
    assert.ok(mean > 0.35 && mean < 0.65, `mean balanced accuracy ${mean}`);
    const again = await explainFeature(reader, coinFlipper(live[0]!), live[0]!, settings);
    const first = await explainFeature(reader, coinFlipper(live[0]!), live[0]!, settings);
    assert.deepEqual(again.detection, first.detection);
  });

  test('stored beside imported explanations; the user label survives; search finds it; resume sees it', async () => {
    const store = new AnnotationStore(path.join(tmp, 'annotations.sqlite'));
    try {
      const f = live[1]!;
      store.set('sae-hash', f, { label: 'my own label', notes: 'mine' });
      const c = featureContexts(reader, f, settings);
      const r = await explainFeature(
        reader,
        oracle(() => c),
        f,
        settings,
      );
      assert.equal(hasAutoExplanation(store.db, 'sae-hash', f, 'oracle', PROMPT_VERSION), false);
      saveAutoExplanation(store.db, 'sae-hash', r);
      saveAutoExplanation(store.db, 'sae-hash', { ...r, createdAt: r.createdAt + 1 }); // same text again: one row
      assert.equal(store.get('sae-hash', f)?.label, 'my own label');
      assert.equal(store.get('sae-hash', f)?.notes, 'mine');
      const stored = autoExplanations(store.db, 'sae-hash', f);
      assert.equal(stored.length, 1);
      assert.deepEqual(stored[0], { ...r, createdAt: r.createdAt + 1 });
      assert.equal(hasAutoExplanation(store.db, 'sae-hash', f, 'oracle', PROMPT_VERSION), true);
      assert.equal(hasAutoExplanation(store.db, 'sae-hash', f, 'other-model', PROMPT_VERSION), false);
      assert.ok(
        store.search('sae-hash', 'oracle').some((h) => h.feature === f),
        'label search finds the auto explanation',
      );
    } finally {
      store.close();
    }
  });

  test('a dead feature and an unanswered explanation are clear errors', async () => {
    const anyDead = Array.from({ length: reader.settings.dSae }, (_, i) => i).find(
      (i) => !(reader.db.prepare('select 1 from features where id = ? and count > 0').get(i) as unknown),
    );
    assert.notEqual(anyDead, undefined, 'the small demo index has dead features');
    assert.throws(() => featureContexts(reader, anyDead!, settings), /never activates/);
    const mute: Explainer = { model: 'mute', complete: () => Promise.resolve('   ') };
    await assert.rejects(explainFeature(reader, mute, live[0]!, settings), /gave no explanation for feature/);
  });
});
