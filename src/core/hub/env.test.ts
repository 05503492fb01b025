/** Where the hub, the cache and the token come from, decided as Python's huggingface_hub decides them. */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { DEFAULT_ENDPOINT, hubCacheDir, hubConfig, publicSettings, readHubSettings, resolveToken, writeHubSettings } from './env.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hub-env-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));
const home = path.join(tmp, 'home');

test('the cache folder: HF_HUB_CACHE, then HUGGINGFACE_HUB_CACHE, HF_HOME/hub, XDG_CACHE_HOME/huggingface/hub, ~/.cache/huggingface/hub', () => {
  assert.deepEqual(hubCacheDir({}, home), { dir: path.join(home, '.cache', 'huggingface', 'hub'), source: 'default' });
  assert.deepEqual(hubCacheDir({ XDG_CACHE_HOME: '/x' }, home), { dir: '/x/huggingface/hub', source: 'XDG_CACHE_HOME' });
  assert.deepEqual(hubCacheDir({ XDG_CACHE_HOME: '/x', HF_HOME: '/h' }, home), { dir: '/h/hub', source: 'HF_HOME' });
  assert.deepEqual(hubCacheDir({ HF_HOME: '/h', HUGGINGFACE_HUB_CACHE: '/old' }, home), { dir: '/old', source: 'HUGGINGFACE_HUB_CACHE' });
  assert.deepEqual(hubCacheDir({ HF_HOME: '/h', HUGGINGFACE_HUB_CACHE: '/old', HF_HUB_CACHE: '/new' }, home), {
    dir: '/new',
    source: 'HF_HUB_CACHE',
  });
  assert.deepEqual(hubCacheDir({ HF_HUB_CACHE: '~/hf' }, home), { dir: path.join(home, 'hf'), source: 'HF_HUB_CACHE' });
});

test('endpoint and offline mode', () => {
  assert.equal(hubConfig({}, null, home).endpoint, DEFAULT_ENDPOINT);
  assert.equal(hubConfig({ HF_ENDPOINT: 'http://mirror.local:8080/' }, null, home).endpoint, 'http://mirror.local:8080');
  assert.equal(hubConfig({}, null, home).offline, false);
  assert.equal(hubConfig({ HF_HUB_OFFLINE: '1' }, null, home).offline, true);
  assert.equal(hubConfig({ HF_HUB_OFFLINE: '0' }, null, home).offline, false);
});

test('the token: HF_TOKEN, then the app setting, then the HF token file; settings report its source only', () => {
  const data = path.join(tmp, 'data');
  const hfHome = path.join(tmp, 'hf');
  fs.mkdirSync(hfHome, { recursive: true });
  const env = { HF_HOME: hfHome };
  assert.deepEqual(resolveToken(env, data, home), { token: null, source: null, file: path.join(hfHome, 'token') });
  fs.writeFileSync(path.join(hfHome, 'token'), 'hf_file\n');
  assert.equal(resolveToken(env, data, home).source, 'file');
  assert.equal(resolveToken(env, data, home).token, 'hf_file');
  writeHubSettings(data, { token: 'hf_app' });
  assert.equal(fs.statSync(path.join(data, 'hub.json')).mode & 0o777, 0o600);
  assert.deepEqual(readHubSettings(data), { token: 'hf_app' });
  assert.equal(resolveToken(env, data, home).token, 'hf_app');
  assert.equal(resolveToken({ ...env, HF_TOKEN: 'hf_env' }, data, home).token, 'hf_env');
  assert.equal(resolveToken({ ...env, HUGGING_FACE_HUB_TOKEN: 'hf_old' }, data, home).source, 'env');
  assert.equal(resolveToken({ HF_TOKEN_PATH: path.join(hfHome, 'token') }, null, home).token, 'hf_file');
  const shown = JSON.stringify(publicSettings(hubConfig({ ...env, HF_TOKEN: 'hf_env' }, data, home)));
  assert.ok(!shown.includes('hf_env') && shown.includes('"source":"env"'));
  // an unreadable settings file means no setting
  fs.writeFileSync(path.join(data, 'hub.json'), '{not json');
  assert.deepEqual(readHubSettings(data), {});
});
