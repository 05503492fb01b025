/** The index, feature and sample commands: the JSON shapes later tools depend on, and their errors. */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { referenceCase, writeJsonlCorpus } from '#testing/index/test-support.ts';
import { runCliCaptured as cli } from '#testing/cli/testing.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-index-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));
const ref = referenceCase('gpt2-topk-l1post');
const db = path.join(tmp, 'corpus.sqlite');

before(async () => {
  const corpus = path.join(tmp, 'corpus.jsonl');
  writeJsonlCorpus(corpus, 12, 8);
  const r = await cli(
    'index',
    '--model',
    ref.modelDir,
    '--sae',
    ref.saeDir,
    '--corpus',
    corpus,
    '--db',
    db,
    '--context',
    '32',
    '--data',
    path.join(tmp, 'data'),
    '--json',
  );
  assert.equal(r.code, 0, r.err);
  const out = JSON.parse(r.out) as Record<string, number>;
  assert.deepEqual(Object.keys(out), ['tokens', 'documents', 'windows', 'seconds', 'tokens_per_second', 'activations', 'db_bytes']);
  assert.ok(out['tokens']! > 0 && out['activations'] === out['tokens']! * 8, 'k = 8 latents per token');
});

test('feature --json: statistics, top examples and intervals with examples in the documented shape', async () => {
  const r = await cli('feature', '--db', db, '--id', '7', '--json');
  assert.equal(r.code, 0, r.err);
  const f = JSON.parse(r.out) as Record<string, unknown>;
  assert.deepEqual(Object.keys(f), ['id', 'count', 'density', 'max', 'mean', 'histogram', 'top', 'intervals']);
  assert.equal((f['histogram'] as number[]).length, 50);
  const intervals = f['intervals'] as Record<string, unknown>[];
  assert.equal(intervals.length, 10);
  assert.deepEqual(Object.keys(intervals[0]!), ['lo', 'hi', 'count', 'share', 'examples']);
  const examples = [...(f['top'] as Record<string, unknown>[]), ...intervals.flatMap((i) => i['examples'] as Record<string, unknown>[])];
  for (const e of examples) {
    assert.deepEqual(Object.keys(e), ['window', 'position', 'value', 'start', 'tokens', 'values']);
    const tokens = e['tokens'] as string[];
    const values = e['values'] as number[];
    assert.equal(tokens.length, values.length);
    assert.ok(tokens.length <= 17, 'at most 8 tokens on each side');
    assert.equal(values[(e['position'] as number) - (e['start'] as number)], e['value']);
  }
  const text = await cli('feature', '--db', db, '--id', '7', '--context', '2');
  assert.match(text.out, /^feature 7: count \d+/);
});

test('sample --json: n examples within [lo, hi), the same for the same seed', async () => {
  const f = JSON.parse((await cli('feature', '--db', db, '--id', '7', '--json')).out) as { max: number; count: number };
  const args = ['sample', '--db', db, '--id', '7', '--lo', String(f.max / 4), '--hi', String(f.max), '--n', '4', '--seed', '3', '--json'];
  const a = await cli(...args);
  assert.equal(a.code, 0, a.err);
  const s = JSON.parse(a.out) as { matching: number; examples: { value: number }[] };
  assert.equal(s.examples.length, Math.min(4, s.matching));
  for (const e of s.examples) assert.ok(e.value >= f.max / 4 && e.value < f.max);
  assert.equal((await cli(...args)).out, a.out);
});

test('errors are one line with a non-zero exit', async () => {
  assert.deepEqual(await cli('feature', '--db', db, '--id', '100000'), {
    code: 1,
    out: '',
    err: 'error: no feature 100000: this SAE has features 0–511\n',
  });
  const noData = path.join(tmp, 'no-data-folder');
  assert.equal(
    (await cli('feature', '--id', '1', '--data', noData)).err,
    `error: no data folder at ${noData}: pass --data DIR (the app's data folder) or --db FILE\n`,
  );
  assert.equal((await cli('sample', '--db', db, '--id', '1', '--lo', 'x', '--hi', '2')).err, 'error: --lo must be a number, got "x"\n');
  assert.equal(
    (await cli('sample', '--db', db, '--id', '1', '--lo', '2', '--hi', '1')).err,
    'error: an empty range: hi (1) must be greater than lo (2)\n',
  );
  const missing = await cli('feature', '--db', path.join(tmp, 'none.sqlite'), '--id', '1');
  assert.match(missing.err, /^error: no index at .*none\.sqlite\n$/);
  const noCorpus = await cli(
    'index',
    '--model',
    ref.modelDir,
    '--sae',
    ref.saeDir,
    '--corpus',
    path.join(tmp, 'nope.jsonl'),
    '--db',
    path.join(tmp, 'x.sqlite'),
  );
  assert.match(noCorpus.err, /^error: corpus not found: /);
});
