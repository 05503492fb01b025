import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { after, before, describe, test } from 'node:test';
import { AnnotationStore } from '../../core/annotations/store.ts';
import { featureContexts, type FeatureContexts } from '../../core/autointerp/examples.ts';
import { contextText, explainMessages, markText } from '../../core/autointerp/prompts.ts';
import { detectionRound, fuzzingRound } from '../../core/autointerp/score.ts';
import { latestAutoExplanations } from '../../core/autointerp/store.ts';
import { answer, demoDir, demoIndex, mockServer, roundItems, type MockServer } from '#testing/autointerp/test-support.ts';
import { IndexReader } from '../../core/index/reader.ts';
import { repoRoot } from '#testing/fixtures.ts';
import { defaultAutointerpSettings, type AutoExplanation, type BalancedScore } from '#shared/autointerp-types.ts';
import { runCliCaptured } from '#testing/cli/testing.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-autointerp-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

type Kind = 'explain' | 'detection' | 'fuzzing';

/** Balanced accuracy counted by hand: a missing verdict is a "no". */
function byHand(truth: readonly boolean[], verdicts: readonly (boolean | null)[]): BalancedScore {
  let tp = 0;
  let fp = 0;
  let tn = 0;
  let fn = 0;
  for (let i = 0; i < truth.length; i++) {
    const yes = verdicts[i] === true;
    if (truth[i]) {
      if (yes) tp++;
      else fn++;
    } else if (yes) fp++;
    else tn++;
  }
  return {
    balancedAccuracy: (tp / (tp + fn) + tn / (tn + fp)) / 2,
    truePositives: tp,
    falsePositives: fp,
    trueNegatives: tn,
    falseNegatives: fn,
    unanswered: verdicts.filter((v) => v === null).length,
  };
}

describe('autointerp (CLI job) against a scripted chat-completions server', () => {
  let db = '';
  let server: MockServer;
  let features: number[] = [];
  const contexts = new Map<number, FeatureContexts>();
  const s = { ...defaultAutointerpSettings, topExamples: 5, intervalExamples: 3, scoreExamples: 6, seed: 3 };
  const data = path.join(tmp, 'data');
  /** Complete answers given, by `feature:kind`. */
  const answered = new Map<string, number>();
  /** What each scoring round was shown and answered: items (as shown) and verdicts (null: unreadable answer). */
  const rounds = new Map<string, { items: string[]; verdicts: (boolean | null)[] }>();
  const faults = { tooMany: 0, dropped: 0, malformed: 0 };

  before(async () => {
    db = await demoIndex(tmp, 80);
    const reader = new IndexReader(db);
    try {
      features = reader.db.prepare('select id from features where count >= 12 order by id limit 50').pluck().all() as number[];
      for (const f of features) contexts.set(f, featureContexts(reader, f, s));
    } finally {
      reader.close();
    }
    assert.equal(features.length, 50);
    const explainPrompts = new Map([...contexts].map(([f, c]) => [explainMessages(c.explain, c.max)[1]!.content, f]));
    server = await mockServer((body, n, res) => {
      // faults by request number, whatever the request: rate limits, malformed JSON, dropped streams
      if (n % 13 === 5) {
        faults.tooMany++;
        return void res.writeHead(429, { 'retry-after': '0.01' }).end();
      }
      if (n % 17 === 8) {
        faults.malformed++;
        return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"choices": [ {"mess');
      }
      if (n % 19 === 11) {
        faults.dropped++;
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write(`data: ${JSON.stringify({ choices: [{ index: 0, delta: { content: '[1, ' } }] })}\n\n`);
        return void res.socket?.destroy();
      }
      const system = body.messages.find((m) => m.role === 'system')?.content ?? '';
      const user = body.messages.find((m) => m.role === 'user')?.content ?? '';
      let feature: number;
      let kind: Kind;
      let text: string;
      if (system.includes('[EXPLANATION]')) {
        feature = explainPrompts.get(user)!;
        assert.notEqual(feature, undefined, 'an explain prompt of a known feature');
        kind = 'explain';
        text = `Looking at the examples...\n[EXPLANATION]: scripted text of feature ${feature}`;
      } else {
        feature = Number(/scripted text of feature (\d+)/.exec(user)?.[1]);
        kind = system.includes('fires anywhere') ? 'detection' : 'fuzzing';
        const items = roundItems(body.messages);
        let verdicts: (boolean | null)[];
        if (kind === 'detection' && feature % 7 === 0) {
          // a malformed verdict list (wrong length): every item unanswered
          verdicts = items.map(() => null);
          text = 'I would say [1, 0]';
        } else {
          verdicts = items.map((_, i) => (kind === 'detection' ? (i + feature) % 3 !== 0 : i % 2 === 0));
          text = `Answer: [${verdicts.map((v) => (v ? 1 : 0)).join(', ')}]`;
        }
        rounds.set(`${feature}:${kind}`, { items, verdicts });
      }
      answered.set(`${feature}:${kind}`, (answered.get(`${feature}:${kind}`) ?? 0) + 1);
      answer(res, text, body.stream);
    });
  });
  after(() => server?.close());

  const args = (): string[] => [
    'autointerp',
    '--db',
    db,
    '--sae',
    path.join(demoDir, 'sae'),
    '--features',
    `${features.slice(0, 10).join(',')},${features.slice(10).join(',')}`,
    '--endpoint',
    server.url,
    '--model',
    'scripted',
    '--top',
    '5',
    '--intervals',
    '3',
    '--score-examples',
    '6',
    '--seed',
    '3',
    '--concurrency',
    '2',
    '--data',
    data,
    '--json',
  ];

  test('50 features: killed after 10 results, a rerun finishes the rest without asking again what was stored; scores match the scripted answers', async () => {
    // 1. the CLI as a child process, SIGKILLed once 10 features are fully stored
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/index.ts', ...args()], {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    let results = 0;
    const progress: string[] = [];
    await new Promise<void>((resolve, reject) => {
      readline.createInterface({ input: child.stderr }).on('line', (line) => {
        if (/^feature \d+: (?!failed)/.test(line) && ++results === 10) {
          child.kill('SIGKILL');
          resolve();
        } else if (/features/.test(line)) progress.push(line);
      });
      void exited.then(() => reject(new Error('the CLI exited before 10 results')));
    });
    await exited;
    await new Promise((r) => setTimeout(r, 200));
    assert.ok(
      progress.some((l) => /\/ 50 features/.test(l)),
      `progress on stderr: ${progress.join(' | ')}`,
    );

    const store = new AnnotationStore(path.join(data, 'annotations.sqlite'));
    const sae = [...new Set(store.db.prepare('select sae from explanations').pluck().all() as string[])];
    assert.equal(sae.length, 1);
    const atKill = latestAutoExplanations(store.db, sae[0]!);
    store.close();
    const complete = [...atKill.values()].filter((e) => e.detection && e.fuzzing).length;
    assert.ok(complete >= 10 && complete < 50, `${complete} complete at the kill`);
    const storedAtKill = (f: number, kind: Kind): boolean => {
      const e = atKill.get(f);
      return kind === 'explain' ? !!e : kind === 'detection' ? !!e?.detection : !!e?.fuzzing;
    };
    answered.clear();

    // 2. the rerun, in this process
    const r = await runCliCaptured(...args());
    assert.equal(r.code, 0, r.err);
    const out = JSON.parse(r.out) as { explained: AutoExplanation[]; skipped: number; failed: unknown[]; features: number };
    assert.deepEqual(out.failed, []);
    assert.equal(out.features, 50);
    assert.equal(out.skipped, complete);
    assert.equal(out.explained.length + out.skipped, 50);
    for (const f of features) {
      for (const kind of ['explain', 'detection', 'fuzzing'] as const) {
        assert.equal(
          answered.get(`${f}:${kind}`) ?? 0,
          storedAtKill(f, kind) ? 0 : 1,
          `feature ${f} ${kind}: asked again only if not stored`,
        );
      }
    }
    assert.ok(faults.tooMany > 0 && faults.malformed > 0 && faults.dropped > 0, JSON.stringify(faults));

    // 3. every feature stored with the scores its scripted answers earn
    const after = new AnnotationStore(path.join(data, 'annotations.sqlite'));
    const stored = latestAutoExplanations(after.db, sae[0]!);
    after.close();
    assert.equal(stored.size, 50);
    for (const f of features) {
      const c = contexts.get(f)!;
      const e = stored.get(f)!;
      assert.equal(e.description, `scripted text of feature ${f}`);
      assert.equal(e.explainerModel, 'scripted');
      assert.deepEqual(e.settings, s);
      const activating = new Set(c.activating.map((x) => contextText(x.tokens)));
      const rightlyMarked = new Set(c.activating.map((x) => markText({ tokens: x.tokens, marked: x.values.map((v) => v > 0) })));
      const det = rounds.get(`${f}:detection`)!;
      const fuz = rounds.get(`${f}:fuzzing`)!;
      assert.equal(det.items.length, c.activating.length + c.nonActivating.length);
      assert.equal(fuz.items.length, fuzzingRound(c, s).items.length);
      assert.deepEqual(
        e.detection,
        byHand(
          det.items.map((t) => activating.has(t)),
          det.verdicts,
        ),
        `feature ${f} detection`,
      );
      assert.deepEqual(
        e.fuzzing,
        byHand(
          fuz.items.map((t) => rightlyMarked.has(t)),
          fuz.verdicts,
        ),
        `feature ${f} fuzzing`,
      );
      if (f % 7 === 0) assert.equal(e.detection?.balancedAccuracy, 0.5, 'all unanswered: all "no"');
    }
    // the shown order is the seeded shuffle of the scoring code (a cross-check, not the source of the expectations)
    const f0 = features[0]!;
    assert.deepEqual(rounds.get(`${f0}:detection`)!.items, detectionRound(contexts.get(f0)!, s).items.map(contextText));
  });

  test('usage errors are clear', async () => {
    const base = ['autointerp', '--db', db, '--data', data];
    const cases: [string[], RegExp][] = [
      [[], /--features is required/],
      [['--features', '1', '--endpoint', server.url], /--endpoint needs --model/],
      [['--features', '1', '--endpoint', server.url, '--model', 'm', '--explainer-model', demoDir], /give one explainer/],
      [['--features', '5-2', '--endpoint', server.url, '--model', 'm'], /runs backwards/],
      [['--features', '99999', '--endpoint', server.url, '--model', 'm'], /this SAE has features 0–/],
      [['--features', '1', '--endpoint', 'nonsense', '--model', 'm'], /not an endpoint URL/],
    ];
    for (const [extra, message] of cases) {
      const r = await runCliCaptured(...base, ...extra);
      assert.equal(r.code, 2, `${extra.join(' ')}: ${r.err}`);
      assert.match(r.err, message);
    }
  });
});

describe('autointerp (CLI) with the embedded demo LM as the explainer', () => {
  test('one explanation and its scores run end to end through the chat template', async () => {
    const dir = path.join(tmp, 'onnx');
    fs.mkdirSync(dir);
    const db = await demoIndex(dir, 40);
    // the demo with a chat template added to its tokenizer_config.json
    const model = path.join(dir, 'chat-model');
    fs.cpSync(path.join(demoDir, 'model'), model, { recursive: true });
    const cfgFile = path.join(model, 'tokenizer_config.json');
    const cfg = JSON.parse(fs.readFileSync(cfgFile, 'utf8')) as Record<string, unknown>;
    cfg['chat_template'] =
      '{% for m in messages %}<|{{ m.role }}|>{{ m.content }}{{ eos_token }}{% endfor %}{% if add_generation_prompt %}<|assistant|>{% endif %}';
    fs.writeFileSync(cfgFile, JSON.stringify(cfg));
    const reader = new IndexReader(db);
    const f = reader.db.prepare('select id from features where count >= 12 order by count desc limit 1').pluck().get() as number;
    const s = { ...defaultAutointerpSettings, topExamples: 3, intervalExamples: 2, scoreExamples: 4 };
    const c = featureContexts(reader, f, s);
    reader.close();
    const data = path.join(dir, 'data');
    const r = await runCliCaptured(
      'autointerp',
      '--db',
      db,
      '--features',
      String(f),
      '--explainer-model',
      model,
      '--max-new-tokens',
      '12',
      '--top',
      '3',
      '--intervals',
      '2',
      '--score-examples',
      '4',
      '--data',
      data,
      '--json',
    );
    assert.equal(r.code, 0, r.err);
    const out = JSON.parse(r.out) as { explained: AutoExplanation[]; explainer: string };
    assert.equal(out.explainer, 'onnx:chat-model');
    const [e] = out.explained;
    assert.ok(e && e.description.length > 0, 'an explanation (nonsense, but through the whole path)');
    const count = (x: BalancedScore | null): number => (x ? x.truePositives + x.falsePositives + x.trueNegatives + x.falseNegatives : -1);
    assert.equal(count(e.detection), detectionRound(c, s).items.length, 'every detection item counted');
    assert.equal(count(e.fuzzing), fuzzingRound(c, s).items.length, 'every fuzzing item counted');
    const store = new AnnotationStore(path.join(data, 'annotations.sqlite'));
    try {
      const stored = latestAutoExplanations(store.db, out.explained[0] ? (JSON.parse(r.out) as { sae: string }).sae : '');
      assert.deepEqual(stored.get(f), e);
    } finally {
      store.close();
    }
  });
});
