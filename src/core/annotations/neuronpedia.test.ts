/**
 * Neuronpedia interop through core's dispatcher on a real fixture SAE and real SQLite files:
 * an SAE's Neuronpedia ids (its cfg.json's, or set by the user), explanation rows shaped as
 * Neuronpedia's dataset exports imported (plain and gzipped) and exported back, mismatched
 * ids refused or mapped, duplicates and user labels, and text search over explanations.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { after, before, describe, test } from 'node:test';
import type { PayloadInput, RequestName, ResultOf } from '#shared/contract.ts';
import { createCore, type Core } from '../host/core.ts';
import { referenceCase, writeJsonlCorpus } from '#testing/index/test-support.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'neuronpedia-'));
const ref = referenceCase('gpt2-topk-l1post');
const cores: Core[] = [];
after(async () => {
  for (const c of cores) await c.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

async function ask<K extends RequestName>(core: Core, name: K, payload?: PayloadInput<K>): Promise<ResultOf<K>> {
  const r = await core.request(name, payload);
  if (!r.ok) throw new Error(`${name}: ${r.error.code}: ${r.error.message}`);
  return r.value;
}

async function refused<K extends RequestName>(core: Core, name: K, payload: PayloadInput<K>): Promise<{ code: string; message: string }> {
  const r = await core.request(name, payload);
  assert.ok(!r.ok, `${name} should have been refused`);
  return r.error;
}

async function openCore(name: string, sae = ref.saeDir, corpus?: string): Promise<Core> {
  const core = createCore({ host: 'cli', data: { flag: path.join(tmp, name) } });
  cores.push(core);
  const done = corpus ? core.bus.next('job.state', (s) => s.kind === 'index' && ['done', 'failed', 'cancelled'].includes(s.state)) : null;
  await ask(core, 'workspace.open', { model: ref.modelDir, sae, ...(corpus ? { corpus } : {}) });
  if (done) assert.equal((await done).state, 'done');
  return core;
}

/** The columns of Neuronpedia's explanation dataset export (utils/neuronpedia-utils export-data.py), in its order. */
const EXPORT_COLUMNS = [
  'id',
  'modelId',
  'layer',
  'index',
  'authorId',
  'description',
  'embedding',
  'typeName',
  'explanationModelName',
  'umap_x',
  'umap_y',
  'umap_cluster',
  'umap_log_feature_sparsity',
];

/** A row as Neuronpedia's export writes it (Python json.dumps of the Explanation columns). */
function npRow(modelId: string, layer: string, index: number, description: string, n: number): Record<string, unknown> {
  return {
    id: `clx${String(n).padStart(4, '0')}q3d80001abcd1234ef`,
    modelId,
    layer,
    index: String(index),
    authorId: 'clsxqq2xd0000vvp2k5itlhqj',
    description,
    embedding: null,
    typeName: 'oai_token-act-pair',
    explanationModelName: 'gpt-4o-mini',
    umap_x: 0.5 + n,
    umap_y: -1.25,
    umap_cluster: n % 3,
    umap_log_feature_sparsity: -2.5,
  };
}

/** JSON lines with Python's separators (`", "` and `": "`), as json.dumps writes them. */
function pythonJsonl(rows: readonly Record<string, unknown>[]): string {
  return rows.map((r) => `${JSON.stringify(r).replace(/","/g, '", "').replace(/":/g, '": ')}\n`).join('');
}

const rows = [
  npRow('tiny-gpt2', '1-res-test', 3, ' years and other spans of time', 1),
  npRow('tiny-gpt2', '1-res-test', 3, 'units of time after numbers', 2),
  npRow('tiny-gpt2', '1-res-test', 7, 'closing parentheses in code', 3),
  npRow('tiny-gpt2', '1-res-test', 40, 'French place names', 4),
];
const file = pythonJsonl(rows);

describe('Neuronpedia ids', () => {
  test("an SAE's cfg.json neuronpedia_id is used; the user's ids win and can be forgotten", async () => {
    const withId = path.join(tmp, 'sae-with-id');
    fs.cpSync(ref.saeDir, withId, { recursive: true });
    const cfgFile = path.join(withId, 'cfg.json');
    fs.writeFileSync(cfgFile, JSON.stringify({ ...JSON.parse(fs.readFileSync(cfgFile, 'utf8')), neuronpedia_id: 'tiny-gpt2/1-res-test' }));
    const core = await openCore('ids', withId);
    const own = { modelId: 'tiny-gpt2', layer: '1-res-test' };
    assert.deepEqual(await ask(core, 'annotation.neuronpediaId', {}), { id: own, source: 'sae', fromSae: own });
    const set = await ask(core, 'annotation.setNeuronpediaId', { neuronpediaId: 'gpt2-small/8-res-jb' });
    assert.deepEqual(set, { id: { modelId: 'gpt2-small', layer: '8-res-jb' }, source: 'user', fromSae: own });
    // kept in the data folder: another core on the same folder sees it
    const again = createCore({ host: 'cli', data: { flag: path.join(tmp, 'ids') } });
    cores.push(again);
    assert.deepEqual((await ask(again, 'annotation.neuronpediaId', { sae: withId })).id, set.id);
    assert.deepEqual(await ask(core, 'annotation.setNeuronpediaId', { neuronpediaId: null }), { id: own, source: 'sae', fromSae: own });
    const bad = await refused(core, 'annotation.setNeuronpediaId', { neuronpediaId: 'no slash here' });
    assert.equal(bad.code, 'bad_request');
    assert.match(bad.message, /MODEL\/LAYER/);
  });
});

describe('Neuronpedia explanation rows', () => {
  let core: Core;
  before(async () => {
    core = await openCore('rows');
    await ask(core, 'annotation.setNeuronpediaId', { neuronpediaId: 'tiny-gpt2/1-res-test' });
  });

  test('round trip: imported rows export back as the same rows, field for field', async () => {
    const r = await ask(core, 'annotation.import', { content: file, name: 'batch-0.jsonl' });
    assert.deepEqual(
      [r.format, r.added, r.explanationsAdded, r.skipped, r.sources, r.matchedId],
      ['neuronpedia', 4, 4, [], [{ neuronpediaId: 'tiny-gpt2/1-res-test', rows: 4 }], 'tiny-gpt2/1-res-test'],
    );
    const f3 = await ask(core, 'annotation.explanations', { feature: 3 });
    assert.deepEqual(
      f3.map((e) => [e.description, e.explainerModel, e.typeName, e.explanationId, e.score, e.source]),
      [
        [' years and other spans of time', 'gpt-4o-mini', 'oai_token-act-pair', rows[0]!['id'], null, 'neuronpedia'],
        ['units of time after numbers', 'gpt-4o-mini', 'oai_token-act-pair', rows[1]!['id'], null, 'neuronpedia'],
      ],
    );
    // the user's own annotation is untouched: importing explanations writes no label
    assert.equal(await ask(core, 'annotation.get', { feature: 3 }), null);

    const out = await ask(core, 'annotation.export', { format: 'neuronpedia' });
    assert.equal(out.filename, 'tiny-gpt2_1-res-test.explanations.jsonl');
    const back = out.content
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    for (const row of back) assert.deepEqual(Object.keys(row), EXPORT_COLUMNS);
    // every imported row comes back exactly (embeddings are not kept: exported as null, as the column allows)
    assert.deepEqual(back, rows);
  });

  test('a gzipped export imports the same; importing it again adds nothing (duplicates)', async () => {
    const other = await openCore('gzip');
    await ask(other, 'annotation.setNeuronpediaId', { neuronpediaId: 'tiny-gpt2/1-res-test' });
    const gz = zlib.gzipSync(Buffer.from(file)).toString('base64');
    const r = await ask(other, 'annotation.import', { content: gz, encoding: 'base64', name: 'batch-0.jsonl.gz' });
    assert.equal(r.added, 4);
    const a = (await ask(core, 'annotation.export', { format: 'neuronpedia' })).content;
    const b = (await ask(other, 'annotation.export', { format: 'neuronpedia' })).content;
    assert.equal(b, a);
    const again = await ask(other, 'annotation.import', { content: gz, encoding: 'base64', name: 'batch-0.jsonl.gz' });
    assert.equal(again.added, 0);
    assert.deepEqual(
      again.skipped.map((s) => [s.reason, s.count]),
      [['duplicate', 4]],
    );
    // a row repeated within one file is added once
    const twice = pythonJsonl([npRow('tiny-gpt2', '1-res-test', 9, 'digits', 9), npRow('tiny-gpt2', '1-res-test', 9, 'digits', 10)]);
    const t = await ask(other, 'annotation.import', { content: twice, name: 'twice.jsonl' });
    assert.deepEqual([t.added, t.skipped.map((s) => [s.reason, s.count])], [1, [['duplicate', 1]]]);
    assert.match(t.skipped[0]!.detail, /1 row left out.*line 2, feature 9/);
  });

  test("a user's label survives: never overwritten, exported first, and a row repeating it is left out", async () => {
    await ask(core, 'annotation.set', { feature: 7, label: 'Close paren' });
    await ask(core, 'annotation.set', { feature: 40, label: 'my own label' });
    const r = await ask(core, 'annotation.import', {
      content: pythonJsonl([
        npRow('tiny-gpt2', '1-res-test', 7, 'close paren', 11),
        npRow('tiny-gpt2', '1-res-test', 40, 'places in France', 12),
      ]),
      name: 'more.jsonl',
    });
    assert.deepEqual([r.added, r.skipped.map((s) => [s.reason, s.count])], [1, [['same-as-label', 1]]]);
    assert.equal((await ask(core, 'annotation.get', { feature: 40 }))?.label, 'my own label');
    assert.equal((await ask(core, 'annotation.get', { feature: 7 }))?.label, 'Close paren');
    const back = (await ask(core, 'annotation.export', { format: 'neuronpedia' })).content
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { index: string; description: string; typeName: string | null; authorId: string });
    const f40 = back.filter((x) => x.index === '40');
    assert.deepEqual(
      f40.map((x) => [x.description, x.typeName]),
      [
        ['my own label', null],
        ['French place names', 'oai_token-act-pair'],
        ['places in France', 'oai_token-act-pair'],
      ],
    );
    // feature 7: the label written here, then the explanation imported before; the row repeating the label (but for case) was left out
    assert.deepEqual(
      back.filter((x) => x.index === '7').map((x) => x.description),
      ['Close paren', 'closing parentheses in code'],
    );
    // a label's row id is stable across exports (Neuronpedia's importer skips ids it has)
    const labelLine = (content: string): string | undefined => content.split('\n').find((l) => l.includes('"my own label"'));
    const first = labelLine((await ask(core, 'annotation.export', { format: 'neuronpedia' })).content);
    const second = labelLine((await ask(core, 'annotation.export', { format: 'neuronpedia' })).content);
    assert.equal(second, first);
    assert.match(first ?? '', /^\{"id":"c[0-9a-z]{24}","modelId":"tiny-gpt2"/);
    assert.equal(f40[0]!.authorId, 'sae-explorer');
  });

  test('mismatched ids are refused naming both, reported by a dry run, and imported under a confirmed mapping', async () => {
    const other = await openCore('mismatch');
    // no Neuronpedia id at all: refused, saying how to set or map one
    const noId = await refused(other, 'annotation.import', { content: file, name: 'batch-0.jsonl' });
    assert.equal(noId.code, 'conflict');
    assert.match(noId.message, /batch-0\.jsonl holds explanations of tiny-gpt2\/1-res-test \(4 rows\).*no Neuronpedia id/);
    await ask(other, 'annotation.setNeuronpediaId', { neuronpediaId: 'tiny-gpt2/0-res-test' });
    const wrong = await refused(other, 'annotation.import', { content: file, name: 'batch-0.jsonl' });
    assert.equal(wrong.code, 'conflict');
    assert.ok(wrong.message.includes('tiny-gpt2/1-res-test') && wrong.message.includes('tiny-gpt2/0-res-test'), wrong.message);
    assert.match(wrong.message, /neuronpediaId tiny-gpt2\/1-res-test/);
    assert.deepEqual(await ask(other, 'annotation.explanations', { feature: 3 }), [], 'nothing imported');

    const dry = await ask(other, 'annotation.import', { content: file, name: 'batch-0.jsonl', dryRun: true });
    assert.deepEqual(
      [dry.dryRun, dry.added, dry.sources, dry.skipped.map((s) => [s.reason, s.count])],
      [true, 0, [{ neuronpediaId: 'tiny-gpt2/1-res-test', rows: 4 }], [['other-sae', 4]]],
    );
    const mappedDry = await ask(other, 'annotation.import', { content: file, dryRun: true, neuronpediaId: 'tiny-gpt2/1-res-test' });
    assert.deepEqual([mappedDry.added, mappedDry.matchedId], [4, 'tiny-gpt2/1-res-test']);
    assert.deepEqual(await ask(other, 'annotation.explanations', { feature: 3 }), [], 'a dry run writes nothing');

    // a file mixing SAEs: the mapped ones are imported, the others left out with the reason
    const mixed =
      file + pythonJsonl([npRow('gpt2-small', '8-res-jb', 5, 'another SAE', 20), npRow('tiny-gpt2', '1-res-test', 4096, 'too far', 21)]);
    const r = await ask(other, 'annotation.import', { content: mixed, name: 'mixed.jsonl', neuronpediaId: 'tiny-gpt2/1-res-test' });
    assert.equal(r.added, 4);
    assert.deepEqual(
      r.skipped.map((s) => [s.reason, s.count]),
      [
        ['other-sae', 1],
        ['out-of-range', 1],
      ],
    );
    assert.match(r.skipped[0]!.detail, /gpt2-small\/8-res-jb, not tiny-gpt2\/1-res-test.*line 5/);
    // exported under the SAE's own ids, with the rows' indexes and descriptions
    const back = (await ask(other, 'annotation.export', { format: 'neuronpedia' })).content
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, string>);
    assert.deepEqual(
      back.map((x) => [x['modelId'], x['layer'], x['index'], x['description']]),
      rows.map((x) => ['tiny-gpt2', '0-res-test', x['index'], x['description']]),
    );
  });

  test('bad files are refused naming the file, the line and the problem', async () => {
    const cases: [string, string | Buffer, RegExp][] = [
      ['broken.jsonl', `${pythonJsonl([rows[0]!])}{"modelId": "tiny-gpt2", "layer"`, /^broken\.jsonl line 2: not JSON/],
      ['noindex.jsonl', JSON.stringify({ ...rows[0], index: 'three' }), /^noindex\.jsonl line 1: index: index must be a feature number/],
      ['nomodel.jsonl', JSON.stringify({ ...rows[0], modelId: undefined }), /^nomodel\.jsonl line 1: modelId: /],
      ['empty.jsonl', '\n\n', /^empty\.jsonl: no explanation rows/],
      ['cut.jsonl.gz', zlib.gzipSync(Buffer.from(file)).subarray(0, 30), /^cut\.jsonl\.gz: not a readable gzip file/],
      ['binary.bin', Buffer.from([0xff, 0xfe, 0x00, 0x80]), /^binary\.bin: not UTF-8 text/],
    ];
    for (const [name, content, why] of cases) {
      const payload =
        typeof content === 'string' ? { content, name } : { content: content.toString('base64'), encoding: 'base64' as const, name };
      const e = await refused(core, 'annotation.import', payload);
      assert.equal(e.code, 'bad_request', name);
      assert.match(e.message, why, name);
    }
  });
});

test('imported explanations are found by text search like labels, and shown in the feature list', async () => {
  const corpus = path.join(tmp, 'corpus.jsonl');
  writeJsonlCorpus(corpus, 40);
  const core = await openCore('search', ref.saeDir, corpus);
  const db = (await ask(core, 'workspace.get')).db!;
  await ask(core, 'annotation.setNeuronpediaId', { neuronpediaId: 'tiny-gpt2/1-res-test' });
  await ask(core, 'annotation.set', { feature: 40, label: 'my own label' });
  await ask(core, 'annotation.import', { content: file, name: 'batch-0.jsonl' });
  const hits = await ask(core, 'feature.search', { db, query: { kind: 'text', text: 'spans tim' } });
  assert.deepEqual(
    hits.rows.map((r) => r.id),
    [3],
  );
  assert.deepEqual([hits.rows[0]!.label, hits.rows[0]!.explanation], [null, ' years and other spans of time']);
  // a feature with both: its own label and its best imported explanation
  const french = await ask(core, 'feature.search', { db, query: { kind: 'text', text: 'french' } });
  assert.deepEqual(
    french.rows.map((r) => [r.id, r.label, r.explanation]),
    [[40, 'my own label', 'French place names']],
  );
});
