/**
 * What a careless command line gets: one clear error line and the right exit code (2 for
 * usage errors, 1 for everything else), never a raw library error, and nothing written
 * where it should not be.
 */
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { openDatabase } from '../../core/kernel/sqlite.ts';
import { referenceCase, writeJsonlCorpus } from '#testing/index/test-support.ts';
import { STEER_VALUE_MAX } from '#shared/steer-bounds.ts';
import { joinNegativeValues } from '../command.ts';
import { runCliCaptured as cli } from '#testing/cli/testing.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-robust-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));
const ref = referenceCase('gpt2-topk-l1post');
const demo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../resources/demo');
const data = path.join(tmp, 'data');
const ANSI = '\u001b[';

const index = (corpus: string, db: string, ...more: string[]) =>
  cli('index', '--model', ref.modelDir, '--sae', ref.saeDir, '--corpus', corpus, '--db', db, '--context', '32', '--data', data, ...more);

/** One error line on stderr, nothing on stdout. */
function oneErrorLine(r: { out: string; err: string }): void {
  assert.equal(r.out, '');
  assert.match(r.err, /^error: [^\n]+\n$/);
  assert.ok(!r.err.includes(ANSI), 'no terminal colour codes');
}

describe('index', () => {
  const corpus = path.join(tmp, 'corpus.jsonl');
  writeJsonlCorpus(corpus, 6, 2);

  test("into another application's SQLite file: exit 1 naming it, and the file untouched", async () => {
    const file = path.join(tmp, 'notes.sqlite');
    const db = openDatabase(file);
    db.exec("create table notes (body text); insert into notes values ('mine')");
    db.close();
    const hash = (): string => crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
    const before = hash();
    const r = await index(corpus, file);
    assert.equal(r.code, 1);
    oneErrorLine(r);
    assert.match(r.err, /notes\.sqlite is a SQLite database of another application \(tables notes\), not an activation index/);
    assert.equal(hash(), before);
    assert.deepEqual(
      fs.readdirSync(tmp).filter((f) => f.startsWith('notes.sqlite')),
      ['notes.sqlite'],
      'no WAL, journal or lock file made beside it',
    );
  });

  test('an empty corpus is refused (exit 1), not made a "complete" index of 0 tokens', async () => {
    const empty = path.join(tmp, 'empty.jsonl');
    fs.writeFileSync(empty, '{"text": ""}\n{"text": ""}\n');
    const db = path.join(tmp, 'empty.sqlite');
    const r = await index(empty, db);
    assert.equal(r.code, 1);
    oneErrorLine(r);
    assert.match(r.err, /empty\.jsonl: the corpus has no tokens to index \(0 documents, 2 empty\); nothing was indexed/);
    assert.equal(fs.existsSync(db), false, 'no index left behind');
    const none = path.join(tmp, 'nothing.jsonl');
    fs.writeFileSync(none, '');
    const r2 = await index(none, path.join(tmp, 'nothing.sqlite'));
    assert.equal(r2.code, 1);
    assert.match(r2.err, /has no tokens to index/);
  });

  test('a broken JSONL line exits 1 naming the line (2 is for usage errors)', async () => {
    const broken = path.join(tmp, 'broken.jsonl');
    fs.writeFileSync(broken, '{"text": "a fine line"}\n{"text": "cut off\n{"text": "another"}\n');
    const r = await index(broken, path.join(tmp, 'broken.sqlite'));
    assert.equal(r.code, 1);
    oneErrorLine(r);
    assert.match(r.err, /broken\.jsonl:2: .*pass --on-bad-line skip/);
  });

  test('options are checked by the index.start schema; negative numbers reach it instead of "ambiguous"', async () => {
    const negative = await index(corpus, path.join(tmp, 'neg.sqlite'), '--seed', '-3');
    assert.equal(negative.code, 2);
    oneErrorLine(negative);
    assert.match(negative.err, /^error: --seed: Too small: expected number to be >=0 \(got -3\)/);
    assert.ok(!negative.err.includes('ambiguous'));
    const provider = await index(corpus, path.join(tmp, 'p.sqlite'), '--provider', 'tpu');
    assert.equal(provider.code, 2);
    assert.match(provider.err, /^error: --provider: Invalid option/);
    const notNumber = await index(corpus, path.join(tmp, 'n.sqlite'), '--context', 'wide');
    assert.equal(notNumber.code, 2);
    assert.match(notNumber.err, /^error: --context must be a number, got "wide"/);
  });
});

describe('steer', () => {
  const steer = (...more: string[]) =>
    cli('steer', '--model', path.join(demo, 'model'), '--sae', path.join(demo, 'sae'), '--data', data, '--text', 'The cat', ...more);

  test('--top-p 2 is refused as the API refuses it, greedy or not; --seed -1 reaches the schema', async () => {
    for (const args of [
      ['--top-p', '2'],
      ['--temperature', '0.8', '--top-p', '2'],
    ]) {
      const r = await steer(...args);
      assert.equal(r.code, 2, r.err);
      oneErrorLine(r);
      assert.match(r.err, /^error: --top-p: Too big: expected number to be <=1 \(got 2\)/);
    }
    const seed = await steer('--seed', '-1');
    assert.equal(seed.code, 2);
    assert.match(seed.err, /^error: --seed: Too small: expected number to be >=0/);
  });

  test("max new tokens are bounded by the schema and by the model's positions: a clear error, no ONNX Runtime message", async () => {
    const huge = await steer('--max-new-tokens', '100000000');
    assert.equal(huge.code, 2);
    oneErrorLine(huge);
    assert.match(huge.err, /^error: --max-new-tokens: Too big: expected number to be <=1024 \(got 100000000\)/);

    const past = await steer('--max-new-tokens', '300');
    assert.notEqual(past.code, 0);
    oneErrorLine(past);
    assert.match(
      past.err,
      /^error: the prompt is \d+ tokens and 300 new tokens would pass the model's 256 positions: lower max new tokens to \d+/,
    );
    assert.ok(!/Gather|onnxruntime|\bORT\b/i.test(past.err), past.err);
  });

  test('steering values past the bound are refused, not turned into token 0 over and over', async () => {
    for (const args of [
      ['--clamp', '5=1e39'],
      ['--add', '5=1e308'],
    ]) {
      const r = await steer('--max-new-tokens', '3', ...args);
      assert.notEqual(r.code, 0, r.out);
      oneErrorLine(r);
      assert.match(
        r.err,
        new RegExp(
          `feature 5: the steering value \\S+ is out of range: it must be a finite number from -${STEER_VALUE_MAX} to ${STEER_VALUE_MAX}`,
        ),
      );
    }
    const fine = await steer('--max-new-tokens', '3', '--add', `5=-${STEER_VALUE_MAX}`, '--json');
    assert.equal(fine.code, 0, fine.err);
    const out = JSON.parse(fine.out) as { steered: { logprobs: number[] } };
    assert.ok(out.steered.logprobs.every((l) => Number.isFinite(l)));
  });
});

test('joinNegativeValues: a negative number after an option that takes a value is that value', () => {
  const options = { lo: { type: 'string', description: '' }, json: { type: 'boolean', description: '' } } as const;
  assert.deepEqual(joinNegativeValues(['--lo', '-2', '--json'], options), ['--lo=-2', '--json']);
  assert.deepEqual(joinNegativeValues(['--lo', '-.5'], options), ['--lo=-.5']);
  assert.deepEqual(joinNegativeValues(['--json', '-2'], options), ['--json', '-2'], 'not after a flag');
  assert.deepEqual(joinNegativeValues(['--lo', '-x'], options), ['--lo', '-x'], 'not a number: left to parseArgs');
  assert.deepEqual(joinNegativeValues(['--', '--lo', '-2'], options), ['--', '--lo', '-2']);
});
