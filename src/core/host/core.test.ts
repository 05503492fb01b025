import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { probeProviders } from '../model/providers.ts';
import { createCore } from './core.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sae-core-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

test('app.status reports real providers, versions and the data folder', async () => {
  const core = createCore({ host: 'cli', data: { flag: path.join(dir, 'data') } });
  const reply = await core.request('app.status');
  assert.ok(reply.ok, JSON.stringify(reply));
  const s = reply.value;
  assert.deepEqual(s.providers, await probeProviders());
  assert.ok(s.providers.some((p) => p.name === 'cpu' && p.available));
  assert.ok(s.providers.find((p) => p.name === s.activeProvider)?.available);
  assert.match(s.onnxruntimeVersion, /^\d+\.\d+/);
  assert.match(s.appVersion, /^\d+\.\d+\.\d+/);
  assert.equal(s.dataDir, path.join(dir, 'data'));
  assert.equal(s.dataDirSource, 'flag');
  assert.ok(fs.statSync(s.dataDir).isDirectory(), 'the data folder is created');
  assert.equal(s.versions.node, process.versions.node);
  assert.match(s.sqlite.version ?? '', /^3\./);
  await core.close();
});

test('dispatch validates before core sees the payload and never throws', async () => {
  const core = createCore({ host: 'cli', data: { flag: path.join(dir, 'data2') } });
  assert.equal((await core.dispatch('jobs.cancel', {})).ok, false);
  const missing = await core.dispatch('jobs.cancel', { job: 'nope' });
  assert.deepEqual(missing, { ok: false, error: { code: 'not_found', message: 'no job "nope"' } });
  assert.deepEqual(await core.dispatch('jobs.list', undefined), { ok: true, value: [] });
  await core.close();
});
