import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createCore, type Core } from '../host/core.ts';
import { IndexReader } from '../index/reader.ts';
import { featureContexts, type FeatureContexts } from './examples.ts';
import { AUTOINTERP_SETTINGS_FILE } from './settings-file.ts';
import { answer, demoDir, demoIndex, mockServer, oracleAnswer, type MockServer } from '#testing/autointerp/test-support.ts';
import { defaultAutointerpSettings } from '#shared/autointerp-types.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'autointerp-core-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('autointerp requests through core', () => {
  let core: Core;
  let server: MockServer;
  let db = '';
  let feature = 0;
  let contexts: FeatureContexts;
  before(async () => {
    db = await demoIndex(tmp, 40);
    const reader = new IndexReader(db);
    try {
      feature = reader.db.prepare('select id from features where count >= 12 order by id limit 1').pluck().get() as number;
      contexts = featureContexts(reader, feature, defaultAutointerpSettings);
    } finally {
      reader.close();
    }
    server = await mockServer((b, _n, res) => answer(res, oracleAnswer(b.messages, contexts), b.stream));
    core = createCore({ host: 'cli', data: { flag: path.join(tmp, 'data') } });
    const opened = await core.request('workspace.open', { model: path.join(demoDir, 'model'), sae: path.join(demoDir, 'sae') });
    assert.ok(opened.ok, opened.ok ? '' : opened.error.message);
  });
  after(async () => {
    await core?.close();
    await server?.close();
  });

  test('settings keep the key in a 0600 file and never answer it', async () => {
    const none = await core.request('autointerp.explain', { db, feature });
    assert.ok(!none.ok && /no explainer is set/.test(none.error.message));
    const bad = await core.request('autointerp.setSettings', { endpoint: 'not a url', model: 'm' });
    assert.ok(!bad.ok && /not an endpoint URL/.test(bad.error.message));
    const set = await core.request('autointerp.setSettings', { endpoint: server.url, model: 'scripted', apiKey: 'sk-secret' });
    assert.ok(set.ok, set.ok ? '' : set.error.message);
    assert.deepEqual(set.value, { endpoint: server.url, model: 'scripted', onnxModel: null, keySource: 'settings' });
    assert.ok(!JSON.stringify(set.value).includes('sk-secret'));
    const file = path.join(tmp, 'data', AUTOINTERP_SETTINGS_FILE);
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
  });

  test('explain stores an auto explanation of the workspace SAE beside the user label; explanations lists it', async () => {
    const label = await core.request('annotation.set', { feature, label: 'mine' });
    assert.ok(label.ok);
    const r = await core.request('autointerp.explain', { db, feature });
    assert.ok(r.ok, r.ok ? '' : r.error.message);
    assert.equal(r.value.detection?.balancedAccuracy, 1);
    assert.equal(r.value.fuzzing?.balancedAccuracy, 1);
    assert.deepEqual(server.stats.auth.at(-1), 'Bearer sk-secret');
    const got = await core.request('annotation.get', { feature });
    assert.ok(got.ok && got.value?.label === 'mine');
    const list = await core.request('autointerp.explanations', { feature });
    assert.ok(list.ok);
    assert.deepEqual(list.value, [r.value]);
    const bad = await core.request('autointerp.explain', { db, feature: -1 });
    assert.ok(!bad.ok && bad.error.code === 'bad_request');
  });
});
