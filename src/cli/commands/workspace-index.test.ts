/** `index list` and the query commands' default index: the one the app's workspace uses in the data folder. */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { createCore } from '../../core/host/core.ts';
import { referenceCase, writeJsonlCorpus } from '#testing/index/test-support.ts';
import { runCliCaptured as cli } from '#testing/cli/testing.ts';
import type { ListedIndex } from './workspace-index.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-workspace-index-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));
const data = path.join(tmp, 'data');
const ref = referenceCase('gpt2-topk-l1post');
let db = '';

before(async () => {
  // what the app does: open a model, SAE and corpus in the data folder and index it
  const corpus = path.join(tmp, 'corpus.jsonl');
  writeJsonlCorpus(corpus, 6, 8);
  const core = createCore({ host: 'serve', data: { flag: data }, files: { grants: [ref.dir, tmp] } });
  try {
    const done = core.bus.next('job.state', (s) => s.kind === 'index' && ['done', 'failed', 'cancelled'].includes(s.state));
    const opened = await core.request('workspace.open', { model: ref.modelDir, sae: ref.saeDir, corpus });
    assert.ok(opened.ok, opened.ok ? '' : opened.error.message);
    assert.equal((await done).state, 'done');
    db = opened.value.db!;
  } finally {
    await core.close();
  }
  // and a second index in the same folder that the workspace does not use
  const other = path.join(tmp, 'other.jsonl');
  writeJsonlCorpus(other, 3, 8);
  const r = await cli(
    'index',
    '--model',
    ref.modelDir,
    '--sae',
    ref.saeDir,
    '--corpus',
    other,
    '--db',
    path.join(data, 'indexes', 'other.sqlite'),
  );
  assert.equal(r.code, 0, r.err);
});

test('index list shows every index of the data folder, the workspace’s marked', async () => {
  const r = await cli('index', 'list', '--data', data, '--json');
  assert.equal(r.code, 0, r.err);
  const rows = JSON.parse(r.out) as ListedIndex[];
  assert.deepEqual(rows.map((x) => path.basename(x.db)).sort(), [path.basename(db), 'other.sqlite'].sort());
  assert.deepEqual(
    rows.filter((x) => x.workspace).map((x) => x.db),
    [db],
  );
  assert.ok(rows.every((x) => x.state === 'complete'));
  const text = await cli('index', 'list', '--data', data);
  assert.match(text.out, new RegExp(`^\\* ${db.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'm'));
  assert.equal((await cli('index', 'lsit', '--data', data)).code, 2);
});

test('feature and sample read the workspace’s index when no --db is given', async () => {
  // a feature that fires on this small corpus
  let id = 0;
  let explicit = '';
  for (; id < 64; id++) {
    explicit = (await cli('feature', '--db', db, '--id', String(id), '--json')).out;
    if ((JSON.parse(explicit) as { count: number }).count > 0) break;
  }
  const implicit = await cli('feature', '--data', data, '--id', String(id), '--json');
  assert.equal(implicit.code, 0, implicit.err);
  assert.equal(implicit.out, explicit);
  const f = JSON.parse(implicit.out) as { max: number; count: number };
  const s = await cli('sample', '--data', data, '--id', String(id), '--lo', '0', '--hi', String(f.max + 1), '--json');
  assert.equal(s.code, 0, s.err);
  assert.equal((JSON.parse(s.out) as { matching: number }).matching, f.count);
});

test('without --db and without a workspace index, the error says what to pass', async () => {
  const empty = path.join(tmp, 'empty-data');
  fs.mkdirSync(empty);
  const r = await cli('feature', '--data', empty, '--id', '1');
  assert.equal(r.code, 2);
  assert.match(
    r.err,
    /^error: no --db given and the app's workspace in .* has no index yet: pass --db FILE \('index list' shows the indexes there\)\n$/,
  );
  assert.match((await cli('index', 'list', '--data', empty)).out, /^no indexes in /);
});
