/**
 * The hub requests through core's dispatch, as the UI sends them: a pull runs as a
 * `download` job with byte progress, lists its files and result, can be cancelled and
 * resumed; the catalog, the cache listing, the token setting and the folder picker.
 * This file sets HF_* variables for its own process (node's test runner runs each file apart).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { AppEvent, JobProgress } from '#shared/contract.ts';
import { createCore, type Core } from '../host/core.ts';
import { referenceCases } from '#testing/fixtures.ts';
import { fixtureRepos, TestHub } from '#testing/hub/test-hub-server.ts';

const SAE = 'jbloom/GPT2-Small-SAEs-Reformatted';
const SECRET = 'hf_secret_for_the_private_repo';
let hub: TestHub;
let tmp: string;
let core: Core;
const events: AppEvent[] = [];
const saved = { ...process.env };

before(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hub-handlers-'));
  const repos = fixtureRepos(referenceCases());
  hub = await TestHub.start({
    repos: { ...repos, 'acme/private': { ...repos[SAE]!, access: 'private', tokens: [SECRET] } },
  });
  for (const k of ['HF_TOKEN', 'HUGGING_FACE_HUB_TOKEN', 'HF_HUB_OFFLINE', 'HF_HUB_CACHE', 'HUGGINGFACE_HUB_CACHE', 'HF_TOKEN_PATH'])
    delete process.env[k];
  process.env['HF_ENDPOINT'] = hub.url;
  process.env['HF_HOME'] = path.join(tmp, 'hf-home');
  core = createCore({ host: 'cli', data: { flag: path.join(tmp, 'data') } });
  core.bus.onAny((e) => events.push(e));
});
after(async () => {
  await core?.close();
  await hub?.close();
  process.env = saved;
  fs.rmSync(tmp, { recursive: true, force: true });
});

async function ok<T>(reply: Promise<{ ok: true; value: T } | { ok: false; error: { code: string; message: string } }>): Promise<T> {
  const r = await reply;
  if (!r.ok) assert.fail(`${r.error.code}: ${r.error.message}`);
  return r.value;
}

async function pulls() {
  return ok(core.request('hub.pulls'));
}

describe('hub.pull runs a download job', () => {
  test('byte progress through job.progress, the result in hub.pulls, the files in hub.cached', async () => {
    const started = await ok(core.request('hub.pull', { repo: SAE, path: 'blocks.2.hook_resid_pre' }));
    assert.equal(started.job.kind, 'download');
    assert.match(started.job.title, /jbloom\/GPT2-Small-SAEs-Reformatted:blocks\.2\.hook_resid_pre/);
    const done = await core.jobs.wait(started.job.id);
    assert.equal(done.state, 'done', done.error);
    const p = (await pulls()).find((x) => x.job === started.job.id)!;
    assert.equal(p.state, 'done');
    assert.ok(p.result);
    const root = path.join(tmp, 'hf-home', 'hub', 'models--jbloom--GPT2-Small-SAEs-Reformatted');
    assert.equal(p.result.path, path.join(root, 'snapshots', hub.commit(SAE), 'blocks.2.hook_resid_pre'));
    assert.equal(p.files.length, 2);
    assert.ok(p.files.every((f) => f.state === 'done' && f.done === f.size));
    const progress = events.filter(
      (e): e is { name: 'job.progress'; data: JobProgress } => e.name === 'job.progress' && e.data.job === started.job.id,
    );
    const last = progress.at(-1)!.data;
    assert.equal(last.phase, 'download');
    assert.equal(last.done, p.result.bytes);
    assert.equal(last.total, p.result.bytes);

    await core.jobs.wait((await ok(core.request('hub.pull', { repo: 'ref/gpt2-relu-l2pre-model' }))).job.id);
    const cached = await ok(core.request('hub.cached'));
    const sae = cached.find((c) => c.repo === SAE)!;
    assert.equal(sae.kind, 'sae');
    assert.equal(sae.path, p.result.path);
    assert.deepEqual(sae.refs, ['main']);
    assert.equal(sae.bytes, p.result.bytes);
    const model = cached.find((c) => c.repo === 'ref/gpt2-relu-l2pre-model')!;
    assert.equal(model.kind, 'model');
    assert.equal(model.label, '');
    // what was pulled opens in the workspace as it is
    const ws = await ok(core.request('workspace.open', { model: model.path, sae: sae.path }));
    assert.equal(ws.engine?.hook, 'blocks.2.hook_resid_pre');
  });

  test('cancel keeps the partial file; pulling again resumes it', async () => {
    // 16 KiB every 60 ms: the job is mid-file when the first progress event with bytes comes
    hub.slowMs = 60;
    hub.chunkBytes = 16 * 1024;
    const file = 'blocks.1.hook_resid_pre/sae_weights.safetensors';
    const started = await ok(core.request('hub.pull', { repo: SAE, path: 'blocks.1.hook_resid_pre' }));
    // past cfg.json (one chunk; the first bytes may be its own), into the weights file; the files
    // download side by side, so wait until cfg.json is complete too (its .incomplete would stay)
    const cfgBytes = hub.fileInfo(SAE, 'blocks.1.hook_resid_pre/cfg.json').size;
    await core.bus.next('job.progress', (p) => p.job === started.job.id && p.done > cfgBytes);
    const cfgDone = async (): Promise<boolean> => {
      const f = (await pulls()).find((x) => x.job === started.job.id)?.files.find((x) => x.path.endsWith('cfg.json'));
      return f?.state === 'done' || f?.state === 'cached';
    };
    while (!(await cfgDone())) await core.bus.next('job.progress', (p) => p.job === started.job.id);
    await ok(core.request('jobs.cancel', { job: started.job.id }));
    const final = await core.jobs.wait(started.job.id);
    hub.slowMs = 0;
    hub.chunkBytes = 64 * 1024;
    assert.equal(final.state, 'cancelled');
    const p = (await pulls()).find((x) => x.job === started.job.id)!;
    assert.equal(p.state, 'cancelled');
    const partial = fs
      .readdirSync(path.join(tmp, 'hf-home', 'hub', 'models--jbloom--GPT2-Small-SAEs-Reformatted', 'blobs'))
      .filter((b) => b.endsWith('.incomplete'));
    assert.deepEqual(partial, [`${hub.fileInfo(SAE, file).sha256}.incomplete`]);

    const again = await ok(core.request('hub.pull', { repo: SAE, path: 'blocks.1.hook_resid_pre' }));
    assert.equal((await core.jobs.wait(again.job.id)).state, 'done');
    const resumed = (await pulls()).find((x) => x.job === again.job.id)!;
    assert.ok((resumed.files.find((f) => f.path === file)?.resumedFrom ?? 0) > 0, 'resumed with a Range request');
    assert.ok(hub.requests.some((q) => q.server === 'cdn' && q.range !== null));
  });

  test('a failed pull says why in hub.pulls and on the job', async () => {
    const started = await ok(core.request('hub.pull', { repo: SAE, path: 'blocks.9.hook_resid_pre' }));
    const final = await core.jobs.wait(started.job.id);
    assert.equal(final.state, 'failed');
    assert.match(final.error ?? '', /"blocks\.9\.hook_resid_pre" not found in "jbloom\/GPT2-Small-SAEs-Reformatted"/);
    const p = (await pulls()).find((x) => x.job === started.job.id)!;
    assert.equal(p.error, final.error);
    // a payload the schema refuses never starts a job
    const bad = await core.dispatch('hub.pull', { repo: '../etc', path: 'x' });
    assert.equal(bad.ok, false);
    assert.equal(!bad.ok && bad.error.code, 'bad_request');
  });
});

describe('token, catalog, tree, folder picker', () => {
  test('a token saved in the app is used, reported by source only, and kept out of results and logs', async () => {
    const before = await ok(core.request('hub.settings'));
    assert.deepEqual(before.token, { present: false, source: null, file: path.join(tmp, 'hf-home', 'token') });
    assert.equal(before.endpoint, hub.url);
    assert.equal(before.cacheDir, path.join(tmp, 'hf-home', 'hub'));
    assert.equal(before.cacheDirSource, 'HF_HOME');

    const denied = await ok(core.request('hub.pull', { repo: 'acme/private', path: 'blocks.2.hook_resid_pre' }));
    assert.match((await core.jobs.wait(denied.job.id)).error ?? '', /not found .* set a token/);

    const set = await ok(core.request('hub.setToken', { token: SECRET }));
    assert.deepEqual(set.token, { present: true, source: 'settings', file: path.join(tmp, 'hf-home', 'token') });
    const file = path.join(tmp, 'data', 'hub.json');
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    const started = await ok(core.request('hub.pull', { repo: 'acme/private', path: 'blocks.2.hook_resid_pre' }));
    assert.equal((await core.jobs.wait(started.job.id)).state, 'done');
    const everything = JSON.stringify([events, await pulls(), await ok(core.request('hub.settings')), await ok(core.request('jobs.list'))]);
    assert.ok(!everything.includes(SECRET), 'the token is in no event, result or job');

    // HF_TOKEN wins over the saved token; the HF token file comes last
    process.env['HF_TOKEN'] = 'hf_from_env';
    assert.equal((await ok(core.request('hub.settings'))).token.source, 'env');
    delete process.env['HF_TOKEN'];
    await ok(core.request('hub.setToken', { token: null }));
    fs.mkdirSync(path.join(tmp, 'hf-home'), { recursive: true });
    fs.writeFileSync(path.join(tmp, 'hf-home', 'token'), `${SECRET}\n`);
    assert.equal((await ok(core.request('hub.settings'))).token.source, 'file');
    fs.rmSync(path.join(tmp, 'hf-home', 'token'));
    assert.equal((await ok(core.request('hub.settings'))).token.present, false);
  });

  test('hub.catalog finds releases by words; hub.tree lists a folder of a repo', async () => {
    const all = await ok(core.request('hub.catalog', {}));
    assert.ok(all.length >= 5);
    const gpt2 = await ok(core.request('hub.catalog', { query: 'gpt2 resid_pre' }));
    assert.ok(gpt2.some((e) => e.name === 'gpt2-small-res-jb' && e.repo === SAE && e.hook === 'blocks.{layer}.hook_resid_pre'));
    assert.ok(gpt2.every((e) => /gpt2/i.test(`${e.name} ${e.model} ${e.repo} ${e.description}`)));
    const gemma = await ok(core.request('hub.catalog', { query: 'gemma-scope-2b-pt-res' }));
    assert.equal(gemma[0]?.path, 'layer_{layer}/width_{width}/average_l0_{l0}');
    assert.deepEqual(await ok(core.request('hub.catalog', { query: 'no such release anywhere' })), []);

    const tree = await ok(core.request('hub.tree', { repo: 'google/gemma-scope-2b-pt-res', path: 'layer_1/width_16k' }));
    assert.deepEqual(
      tree.map((e) => [e.path, e.type]),
      [
        ['layer_1/width_16k/average_l0_40', 'directory'],
        ['layer_1/width_16k/average_l0_8', 'directory'],
      ],
    );
    const missing = await core.request('hub.tree', { repo: 'nobody/nothing' });
    assert.equal(!missing.ok && missing.error.code, 'not_found');
  });

  test('hub.browse lists a local folder, marking model and SAE folders', async () => {
    const ref = referenceCases().find((c) => c.name === 'gpt2-relu-l2pre')!;
    const listing = await ok(core.request('hub.browse', { dir: ref.dir }));
    assert.equal(listing.dir, ref.dir);
    assert.equal(listing.parent, path.dirname(ref.dir));
    const kinds = Object.fromEntries(listing.entries.map((e) => [e.name, e.kind]));
    assert.deepEqual(kinds, { model: 'model', sae: 'sae', 'expected.json': null });
    assert.ok(listing.entries[0]!.dir && !listing.entries.at(-1)!.dir, 'folders first');
    const nope = await core.request('hub.browse', { dir: path.join(tmp, 'nope') });
    assert.equal(!nope.ok && nope.error.code, 'not_found');
    const relative = await core.request('hub.browse', { dir: 'relative/dir' });
    assert.equal(!relative.ok && relative.error.code, 'bad_request');
  });
});
