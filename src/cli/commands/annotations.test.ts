/**
 * `annotations export` / `annotations import` in-process, on a real fixture SAE and a real
 * data folder: a gzipped Neuronpedia export imported and written back (gzipped) row for row,
 * a mismatched file refused with its reason, JSON between data folders, and usage errors.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { after, test } from 'node:test';
import type { AnnotationImportResult } from '#shared/annotation-types.ts';
import { referenceCase } from '#testing/index/test-support.ts';
import { runCliCaptured } from '#testing/cli/testing.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-annotations-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));
const ref = referenceCase('gpt2-topk-l1post');

/** Rows as Neuronpedia's explanation dataset export has them. */
const rows = [3, 7, 7, 300].map((index, n) => ({
  id: `clz${n}abcdefghijklmnopqrstu`,
  modelId: 'tiny-gpt2',
  layer: '1-res-cli',
  index: String(index),
  authorId: 'clsxqq2xd0000vvp2k5itlhqj',
  description: [' numbers', 'the word "the"', 'articles before nouns', 'past tense verbs'][n]!,
  embedding: null,
  typeName: 'oai_token-act-pair',
  explanationModelName: 'claude-3-5-haiku-20241022',
  umap_x: 0,
  umap_y: 0,
  umap_cluster: 0,
  umap_log_feature_sparsity: 0,
}));

test('import a gzipped Neuronpedia export and export it back gzipped, row for row', async () => {
  const data = path.join(tmp, 'data');
  const gz = path.join(tmp, 'batch-0.jsonl.gz');
  fs.writeFileSync(gz, zlib.gzipSync(rows.map((r) => `${JSON.stringify(r)}\n`).join('')));

  // the fixture SAE has no Neuronpedia id: refused, saying what the file holds
  const refused = await runCliCaptured('annotations', 'import', '--sae', ref.saeDir, gz, '--data', data);
  assert.equal(refused.code, 1);
  assert.match(refused.err, /^error: batch-0\.jsonl\.gz holds explanations of tiny-gpt2\/1-res-cli \(4 rows\).*--neuronpedia-id/);

  const dry = await runCliCaptured(
    'annotations',
    'import',
    '--sae',
    ref.saeDir,
    gz,
    '--neuronpedia-id',
    'tiny-gpt2/1-res-cli',
    '--dry-run',
    '--data',
    data,
  );
  assert.equal(dry.code, 0, dry.err);
  assert.match(dry.out, /^would import 4 explanation\(s\) from .*batch-0\.jsonl\.gz as tiny-gpt2\/1-res-cli/);

  const run = await runCliCaptured(
    'annotations',
    'import',
    '--sae',
    ref.saeDir,
    gz,
    '--neuronpedia-id',
    'tiny-gpt2/1-res-cli',
    '--json',
    '--data',
    data,
  );
  assert.equal(run.code, 0, run.err);
  const summary = JSON.parse(run.out) as AnnotationImportResult & { file: string };
  assert.deepEqual([summary.file, summary.format, summary.added, summary.skipped], [gz, 'neuronpedia', 4, []]);
  const again = await runCliCaptured(
    'annotations',
    'import',
    '--sae',
    ref.saeDir,
    gz,
    '--neuronpedia-id',
    'tiny-gpt2/1-res-cli',
    '--data',
    data,
  );
  assert.equal(again.code, 0, again.err);
  assert.match(again.out, /imported 0 explanation\(s\)[^]*skipped: 4 rows left out: rows whose feature has this explanation already/);

  const out = path.join(tmp, 'out.jsonl.gz');
  const exp = await runCliCaptured(
    'annotations',
    'export',
    '--sae',
    ref.saeDir,
    '--format',
    'neuronpedia',
    '--neuronpedia-id',
    'tiny-gpt2/1-res-cli',
    '--out',
    out,
    '--json',
    '--data',
    data,
  );
  assert.equal(exp.code, 0, exp.err);
  assert.deepEqual(JSON.parse(exp.out), {
    out,
    format: 'neuronpedia',
    count: 4,
    bytes: fs.statSync(out).size,
    suggestedName: 'tiny-gpt2_1-res-cli.explanations.jsonl',
  });
  const back = zlib
    .gunzipSync(fs.readFileSync(out))
    .toString()
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as unknown);
  assert.deepEqual(back, rows);
});

test('JSON and CSV exports carry labels and explanations to another data folder', async () => {
  const data = path.join(tmp, 'data');
  const json = path.join(tmp, 'all.json');
  const e = await runCliCaptured('annotations', 'export', '--sae', ref.saeDir, '--format', 'json', '--out', json, '--data', data);
  assert.equal(e.code, 0, e.err);
  const i = await runCliCaptured('annotations', 'import', '--sae', ref.saeDir, json, '--json', '--data', path.join(tmp, 'other'));
  assert.equal(i.code, 0, i.err);
  const r = JSON.parse(i.out) as AnnotationImportResult;
  assert.deepEqual([r.format, r.explanationsAdded], ['json', 4]);
  const csv = path.join(tmp, 'all.csv');
  assert.equal(
    (await runCliCaptured('annotations', 'export', '--sae', ref.saeDir, '--format', 'csv', '--out', csv, '--data', path.join(tmp, 'other')))
      .code,
    0,
  );
  const lines = fs.readFileSync(csv, 'utf8').trim().split('\r\n');
  assert.equal(lines.length, 1 + 3, 'a header and one line per explained feature');
  assert.ok(
    lines.some((l) => l.startsWith('300,') && l.includes('past tense verbs') && l.includes('claude-3-5-haiku-20241022')),
    lines.join('\n'),
  );
});

test('usage errors exit 2 and name the problem', async () => {
  const cases: [string[], RegExp][] = [
    [['annotations', 'export', '--format', 'json', '--out', 'x'], /--sae PATH is required/],
    [
      ['annotations', 'export', '--sae', ref.saeDir, '--format', 'xml', '--out', 'x'],
      /--format must be one of json, csv, neuronpedia, got "xml"/,
    ],
    [['annotations', 'export', '--sae', ref.saeDir, '--format', 'json'], /--out FILE is required/],
    [['annotations', 'import', '--sae', ref.saeDir], /import needs the FILE/],
    [['annotations', 'import', '--sae', ref.saeDir, 'f.jsonl', '--neuronpedia-id', 'gpt2-small'], /--neuronpedia-id must be MODEL\/LAYER/],
    [['annotations', 'merge', '--sae', ref.saeDir], /the first argument is export or import, got "merge"/],
  ];
  for (const [argv, why] of cases) {
    const r = await runCliCaptured(...argv, '--data', path.join(tmp, 'usage'));
    assert.equal(r.code, 2, `${argv.join(' ')}: ${r.err}`);
    assert.match(r.err, why);
  }
  const missing = await runCliCaptured(
    'annotations',
    'import',
    '--sae',
    ref.saeDir,
    path.join(tmp, 'nope.jsonl'),
    '--data',
    path.join(tmp, 'usage'),
  );
  assert.equal(missing.code, 1);
  assert.match(missing.err, /nope\.jsonl: cannot read: no such file/);
});
