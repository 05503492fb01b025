/**
 * Pulls against the local test hub (src/testing/hub/test-hub-server.ts) serving the reference
 * fixtures: the HF cache layout Python expects, cache hits without network, resume after a
 * dropped connection or a cancel, corrupted bytes, and the hub's errors.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { AppError } from '#shared/reply.ts';
import { loadSae } from '../sae/load.ts';
import { referenceCases } from '#testing/fixtures.ts';
import { repoFolderName } from './cache.ts';
import type { HubConfig } from './env.ts';
import { pullFromHub, type PullRequest, type PullState } from './pull.ts';
import { fixtureRepos, folderFiles, TestHub } from '#testing/hub/test-hub-server.ts';

const cases = referenceCases();
const relu = cases.find((c) => c.name === 'gpt2-relu-l2pre')!;
const SAE_REPO = 'jbloom/GPT2-Small-SAEs-Reformatted';
let hub: TestHub;
let tmp: string;
let n = 0;

/** A fresh cache folder and a config pointing at the test hub. */
function setup(overrides: Partial<HubConfig> = {}): HubConfig {
  const cacheDir = path.join(tmp, `cache-${++n}`);
  return {
    endpoint: hub.url,
    cacheDir,
    cacheDirSource: 'HF_HUB_CACHE',
    offline: false,
    token: null,
    tokenSource: null,
    tokenFile: path.join(tmp, 'no-token'),
    ...overrides,
  };
}

async function pull(config: HubConfig, req: PullRequest, signal = new AbortController().signal, states?: PullState[]) {
  return pullFromHub(config, req, { signal, update: (s) => states?.push(s) });
}

const sha256 = (file: string): string => createHash('sha256').update(fs.readFileSync(file)).digest('hex');

async function rejects(p: Promise<unknown>, code: string, pattern: RegExp): Promise<AppError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof AppError, `expected an AppError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    assert.match(e.message, pattern);
    return e;
  }
  assert.fail('expected the pull to fail');
}

before(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hub-pull-'));
  hub = await TestHub.start({
    repos: {
      ...fixtureRepos(cases),
      'acme/private-saes': { files: folderFiles(relu.saeDir, 'blocks.2.hook_resid_pre'), access: 'private', tokens: ['hf_acme'] },
      'acme/gated-saes': { files: folderFiles(relu.saeDir, 'blocks.2.hook_resid_pre'), access: 'gated', tokens: ['hf_acme'] },
      'evil/saes': { files: folderFiles(relu.saeDir, 'blocks.2.hook_resid_pre') },
      'acme/two-saes': {
        files: { ...folderFiles(relu.saeDir, 'a/blocks.2.hook_resid_pre'), ...folderFiles(relu.saeDir, 'b/blocks.2.hook_resid_pre') },
        revisions: ['v1.0'],
      },
    },
    tokens: ['hf_other'],
    renamed: { 'jbloom/old-name': SAE_REPO },
    pageSize: 3,
  });
});
after(async () => {
  await hub?.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('download into the HF cache', () => {
  test('an SAELens folder: only its cfg.json and weights, stored as huggingface_hub stores them', async () => {
    const config = setup();
    const states: PullState[] = [];
    const r = await pull(config, { repo: SAE_REPO, path: 'blocks.2.hook_resid_pre' }, undefined, states);
    const commit = hub.commit(SAE_REPO);
    const root = path.join(config.cacheDir, 'models--jbloom--GPT2-Small-SAEs-Reformatted');
    assert.equal(r.commit, commit);
    assert.equal(r.snapshot, path.join(root, 'snapshots', commit));
    assert.equal(r.path, path.join(r.snapshot, 'blocks.2.hook_resid_pre'));
    assert.deepEqual([...r.files].sort(), ['blocks.2.hook_resid_pre/cfg.json', 'blocks.2.hook_resid_pre/sae_weights.safetensors']);
    const weights = fs.statSync(path.join(relu.saeDir, 'sae_weights.safetensors')).size;
    const cfg = fs.statSync(path.join(relu.saeDir, 'cfg.json')).size;
    assert.equal(r.bytes, weights + cfg);
    assert.equal(r.downloaded, weights + cfg);
    assert.equal(r.cachedFiles, 0);
    // refs/main → commit; snapshots/<commit>/<file> → ../../blobs/<etag> (relative links)
    assert.equal(fs.readFileSync(path.join(root, 'refs', 'main'), 'utf8'), commit);
    const lfs = hub.fileInfo(SAE_REPO, 'blocks.2.hook_resid_pre/sae_weights.safetensors');
    const small = hub.fileInfo(SAE_REPO, 'blocks.2.hook_resid_pre/cfg.json');
    assert.ok(lfs.lfs && !small.lfs);
    const wLink = path.join(r.path, 'sae_weights.safetensors');
    assert.equal(fs.readlinkSync(wLink), path.join('..', '..', '..', 'blobs', lfs.sha256));
    assert.equal(fs.readlinkSync(path.join(r.path, 'cfg.json')), path.join('..', '..', '..', 'blobs', small.oid));
    assert.equal(sha256(wLink), sha256(path.join(relu.saeDir, 'sae_weights.safetensors')));
    assert.deepEqual(fs.readdirSync(path.join(root, 'blobs')).sort(), [lfs.sha256, small.oid].sort());
    // only the two files were fetched: README.md and the other SAE were not
    assert.equal(hub.count('GET', '/cdn-lfs/'), 1);
    assert.equal(hub.requests.filter((q) => q.method === 'GET' && q.url.includes('/resolve/')).length, 1);
    assert.equal(hub.count('GET', 'blocks.1.hook_resid_pre'), 0);
    // the CDN never sees a token; progress ended at the total
    assert.ok(hub.requests.filter((q) => q.server === 'cdn').every((q) => !q.auth));
    const last = states.at(-1)!;
    assert.equal(last.done, last.total);
    assert.equal(last.total, weights + cfg);
    assert.ok(last.files.every((f) => f.state === 'done'));
    // and the engine's loader opens it
    const sae = loadSae(r.path);
    assert.equal(sae.config.hookName, 'blocks.2.hook_resid_pre');
  });
});

describe('the cache answers first', () => {
  test('a second pull fetches nothing: no HEAD, no download', async () => {
    const config = setup();
    await pull(config, { repo: SAE_REPO, path: 'blocks.2.hook_resid_pre' });
    const before = hub.requests.length;
    const r = await pull(config, { repo: SAE_REPO, path: 'blocks.2.hook_resid_pre' });
    const since = hub.requests.slice(before);
    assert.equal(r.cachedFiles, 2);
    assert.equal(r.downloaded, 0);
    assert.equal(r.offline, false);
    assert.ok(
      since.every((q) => q.url.startsWith('/api/')),
      `only the commit and the listing were asked: ${since.map((q) => q.url).join(', ')}`,
    );
  });

  test('without network (hub down, or HF_HUB_OFFLINE) the cached snapshot answers alone', async () => {
    const config = setup();
    const online = await pull(config, { repo: SAE_REPO, path: 'blocks.2.hook_resid_pre' });
    const down = await TestHub.start({ repos: {} });
    const deadEndpoint = down.url;
    await down.close();
    const before = hub.requests.length;
    const r = await pull({ ...config, endpoint: deadEndpoint }, { repo: SAE_REPO, path: 'blocks.2.hook_resid_pre' });
    assert.equal(r.offline, true);
    assert.equal(r.path, online.path);
    assert.deepEqual([...r.files].sort(), [...online.files].sort());
    assert.equal(r.bytes, online.bytes);
    const off = await pull({ ...config, offline: true }, { repo: SAE_REPO, path: 'blocks.2.hook_resid_pre/' });
    assert.equal(off.path, online.path);
    assert.equal(hub.requests.length, before, 'offline pulls make no request');
    // what is not cached is reported as such, naming the cache
    await rejects(
      pull({ ...config, endpoint: deadEndpoint }, { repo: SAE_REPO, path: 'blocks.1.hook_resid_pre' }),
      'unavailable',
      /cannot reach .* not in the HF cache/,
    );
    await rejects(
      pull({ ...config, offline: true }, { repo: 'acme/two-saes' }),
      'unavailable',
      /HF_HUB_OFFLINE is set and acme\/two-saes is not in the HF cache/,
    );
  });

  test('a cache written by Python (blobs, relative links, refs/main) is used without a download', async () => {
    const config = setup();
    const commit = hub.commit(SAE_REPO);
    const root = path.join(config.cacheDir, repoFolderName(SAE_REPO));
    const snap = path.join(root, 'snapshots', commit, 'blocks.2.hook_resid_pre');
    fs.mkdirSync(snap, { recursive: true });
    fs.mkdirSync(path.join(root, 'blobs'));
    fs.mkdirSync(path.join(root, 'refs'));
    fs.writeFileSync(path.join(root, 'refs', 'main'), commit);
    for (const f of ['cfg.json', 'sae_weights.safetensors']) {
      const info = hub.fileInfo(SAE_REPO, `blocks.2.hook_resid_pre/${f}`);
      const etag = info.lfs ? info.sha256 : info.oid;
      fs.copyFileSync(path.join(relu.saeDir, f), path.join(root, 'blobs', etag));
      fs.symlinkSync(`../../../blobs/${etag}`, path.join(snap, f));
    }
    const before = hub.requests.length;
    const r = await pull(config, { repo: SAE_REPO, path: 'blocks.2.hook_resid_pre' });
    assert.equal(r.cachedFiles, 2);
    assert.equal(r.downloaded, 0);
    assert.equal(r.path, snap);
    assert.ok(hub.requests.slice(before).every((q) => q.url.startsWith('/api/')));
  });

  test('a new commit reuses the blobs it shares with the cached one, and moves refs/main', async () => {
    const id = 'acme/evolving';
    const files = folderFiles(relu.saeDir, 'sae');
    hub.setRepo(id, { files: { ...files, 'README.md': Buffer.from('v1') } });
    const config = setup();
    const first = await pull(config, { repo: id, path: 'sae' });
    hub.setRepo(id, { files: { ...files, 'README.md': Buffer.from('v2') } });
    assert.notEqual(hub.commit(id), first.commit);
    const cdn = hub.count('GET', '/cdn-lfs/');
    const second = await pull(config, { repo: id, path: 'sae' });
    assert.equal(second.commit, hub.commit(id));
    assert.equal(second.downloaded, 0);
    assert.equal(second.cachedFiles, 2);
    assert.equal(hub.count('GET', '/cdn-lfs/'), cdn, 'no byte downloaded again');
    assert.equal(fs.readFileSync(path.join(config.cacheDir, repoFolderName(id), 'refs', 'main'), 'utf8'), second.commit);
    assert.ok(fs.existsSync(first.path) && fs.existsSync(second.path) && first.path !== second.path);
  });

  test('two pulls of the same SAE at once download each blob once', async () => {
    const config = setup();
    const cdn = hub.count('GET', '/cdn-lfs/');
    const [a, b] = await Promise.all([
      pull(config, { repo: SAE_REPO, path: 'blocks.2.hook_resid_pre' }),
      pull(config, { repo: SAE_REPO, path: 'blocks.2.hook_resid_pre/' }),
    ]);
    assert.equal(a.path, b.path);
    assert.equal(hub.count('GET', '/cdn-lfs/'), cdn + 1);
    assert.equal(a.downloaded + b.downloaded, a.bytes, 'the bytes were transferred once in all');
    assert.equal(sha256(path.join(a.path, 'sae_weights.safetensors')), sha256(path.join(relu.saeDir, 'sae_weights.safetensors')));
  });

  test('verify: a cached blob whose bytes changed is found out and fetched again', async () => {
    const config = setup();
    const r = await pull(config, { repo: SAE_REPO, path: 'blocks.2.hook_resid_pre' });
    const blob = fs.realpathSync(path.join(r.path, 'sae_weights.safetensors'));
    const bytes = fs.readFileSync(blob);
    bytes[100] = (bytes[100] ?? 0) ^ 1;
    fs.writeFileSync(blob, bytes);
    const again = await pull(config, { repo: SAE_REPO, path: 'blocks.2.hook_resid_pre' }, undefined);
    assert.equal(again.downloaded, 0, 'without verify only sizes are checked');
    const verified = await pull(config, { repo: SAE_REPO, path: 'blocks.2.hook_resid_pre', verify: true });
    assert.equal(verified.downloaded, bytes.length);
    assert.equal(sha256(path.join(verified.path, 'sae_weights.safetensors')), sha256(path.join(relu.saeDir, 'sae_weights.safetensors')));
  });
});

describe('formats and choices', () => {
  test('Gemma Scope: one params.npz from layer_L/width_W/average_l0_N, listed across pages', async () => {
    const config = setup();
    const r = await pull(config, { repo: 'google/gemma-scope-2b-pt-res', path: 'layer_1/width_16k/average_l0_8' });
    assert.deepEqual(r.files, ['layer_1/width_16k/average_l0_8/params.npz']);
    assert.equal(r.kind, 'sae');
    assert.equal(loadSae(r.path).config.hookName, 'blocks.1.hook_resid_post');
    // a folder with several SAEs: the error names them
    await rejects(
      pull(config, { repo: 'google/gemma-scope-2b-pt-res', path: 'layer_1/width_16k' }),
      'bad_request',
      /2 SAEs.*average_l0_40.*average_l0_8/,
    );
    await rejects(pull(config, { repo: 'acme/two-saes' }), 'bad_request', /a\/blocks\.2\.hook_resid_pre, b\/blocks\.2\.hook_resid_pre/);
    // naming a file of the SAE fetches the folder's SAE
    const viaFile = await pull(config, { repo: 'acme/two-saes', path: 'b/blocks.2.hook_resid_pre/cfg.json' });
    assert.deepEqual([...viaFile.files].sort(), [
      'b/blocks.2.hook_resid_pre/cfg.json',
      'b/blocks.2.hook_resid_pre/sae_weights.safetensors',
    ]);
  });

  test('an ONNX model repo: config, tokenizer and model.onnx; merged decoders are skipped', async () => {
    const config = setup();
    const r = await pull(config, { repo: 'ref/gpt2-relu-l2pre-model' });
    assert.equal(r.kind, 'model');
    assert.equal(r.path, r.snapshot);
    assert.deepEqual([...r.files].sort(), ['config.json', 'model.onnx', 'tokenizer.json', 'tokenizer_config.json']);
    const sub = await pull(config, { repo: 'ref/gpt2-onnx-subfolder', kind: 'model' });
    assert.ok(sub.files.includes('onnx/model.onnx') && !sub.files.some((f) => f.includes('merged')));
    await rejects(
      pull(config, { repo: 'ref/gpt2-onnx-subfolder', onnxFile: 'onnx/decoder_model_merged.onnx' }),
      'bad_request',
      /merged decoder/,
    );
  });

  // The snapshot's external data is a relative symlink into blobs/: the engine's variant
  // cache must link the real file, or the data dangles beside the variant.
  test('a model with external data in onnx/: the data comes along, and the engine runs the pulled model with a pulled SAE', async () => {
    const { writeModelFolder } = await import('#testing/model-writer/index.ts');
    const { saeLensCfg, syntheticSaeTensors, writeSaeLensFolder } = await import('#testing/sae/synthetic.ts');
    const { Engine } = await import('../model/engine.ts');
    const src = path.join(tmp, 'ext-src');
    writeModelFolder(path.join(src, 'model'), { family: 'llama', externalData: true, onnxSubfolder: true, layers: 2 });
    writeSaeLensFolder(
      path.join(src, 'sae'),
      saeLensCfg({ architecture: 'topk', dIn: 64, dSae: 64, k: 4, hookName: 'blocks.1.hook_resid_mid' }),
      syntheticSaeTensors({ architecture: 'topk', dIn: 64, dSae: 64 }),
    );
    hub.setRepo('acme/tiny-llama-onnx', {
      files: { ...folderFiles(path.join(src, 'model')), 'onnx/model_q4.onnx': Buffer.from('quantised: not fetched') },
    });
    hub.setRepo('acme/tiny-llama-saes', { files: folderFiles(path.join(src, 'sae'), 'blocks.1.hook_resid_mid') });
    const config = setup();
    const model = await pull(config, { repo: 'acme/tiny-llama-onnx' });
    assert.deepEqual([...model.files].sort(), [
      'config.json',
      'onnx/model.onnx',
      'onnx/model.onnx_data',
      'tokenizer.json',
      'tokenizer_config.json',
    ]);
    const sae = await pull(config, { repo: 'acme/tiny-llama-saes', path: 'blocks.1.hook_resid_mid' });
    const e = await Engine.open({ model: model.path, sae: sae.path, cacheDir: path.join(tmp, 'graph-cache') });
    try {
      assert.equal((await e.encode([1, 2, 3], 4)).length, 3);
    } finally {
      await e.close();
    }
  });
});

describe('interrupted downloads', () => {
  test('a dropped connection is resumed with a Range request, and the bytes are whole', async () => {
    const config = setup();
    const file = 'blocks.2.hook_resid_pre/sae_weights.safetensors';
    hub.dropAfter(SAE_REPO, file, 40_000);
    const before = hub.requests.length;
    const r = await pull(config, { repo: SAE_REPO, path: 'blocks.2.hook_resid_pre' });
    const cdn = hub.requests.slice(before).filter((q) => q.server === 'cdn' && q.method === 'GET');
    assert.equal(cdn.length, 2);
    assert.equal(cdn[0]!.range, null);
    assert.match(cdn[1]!.range ?? '', /^bytes=[1-9]\d*-$/);
    assert.equal(sha256(path.join(r.path, 'sae_weights.safetensors')), hub.fileInfo(SAE_REPO, file).sha256);
    assert.equal(r.downloaded, r.bytes, 'each byte was transferred once');
  });

  test('a connection that never delivers gives up after a few tries, naming the file', async () => {
    const file = 'blocks.2.hook_resid_pre/sae_weights.safetensors';
    hub.dropAfter(SAE_REPO, file, 0, 100);
    try {
      await rejects(
        pull(setup(), { repo: SAE_REPO, path: 'blocks.2.hook_resid_pre' }),
        'unavailable',
        /downloading "blocks\.2\.hook_resid_pre\/sae_weights\.safetensors" .* failed 6 times .*pull again to resume/,
      );
    } finally {
      hub.dropAfter(SAE_REPO, file, 0, 0);
    }
  });

  test('a cancelled pull keeps its .incomplete file; the next pull resumes from it', async () => {
    const config = setup();
    const file = 'blocks.2.hook_resid_pre/sae_weights.safetensors';
    const info = hub.fileInfo(SAE_REPO, file);
    const partial = path.join(config.cacheDir, repoFolderName(SAE_REPO), 'blobs', `${info.sha256}.incomplete`);
    hub.slowMs = 40;
    const controller = new AbortController();
    const first = pullFromHub(
      config,
      { repo: SAE_REPO, path: 'blocks.2.hook_resid_pre' },
      {
        signal: controller.signal,
        update: (s) => {
          const f = s.files.find((x) => x.path === file);
          if (f && f.done >= 64 * 1024 && !controller.signal.aborted) controller.abort(new AppError('cancelled', 'cancelled by the test'));
        },
      },
    );
    await rejects(first, 'cancelled', /cancelled by the test/);
    hub.slowMs = 0;
    const kept = fs.statSync(partial).size;
    assert.ok(kept > 0 && kept < info.size, `kept ${kept} of ${info.size} bytes`);
    const before = hub.requests.length;
    const states: PullState[] = [];
    const r = await pull(config, { repo: SAE_REPO, path: 'blocks.2.hook_resid_pre' }, undefined, states);
    const ranges = hub.requests
      .slice(before)
      .filter((q) => q.server === 'cdn')
      .map((q) => q.range);
    assert.deepEqual(ranges, [`bytes=${kept}-`]);
    assert.equal(states.at(-1)!.files.find((f) => f.path === file)!.resumedFrom, kept);
    assert.equal(r.downloaded, info.size - kept);
    assert.ok(!fs.existsSync(partial));
    assert.equal(sha256(path.join(r.path, 'sae_weights.safetensors')), info.sha256);
  });

  test('corrupted bytes are caught by the SHA-256 (LFS) or git sha1 check and nothing is stored', async () => {
    const config = setup();
    const file = 'blocks.2.hook_resid_pre/sae_weights.safetensors';
    hub.corrupt(SAE_REPO, file);
    try {
      await rejects(
        pull(config, { repo: SAE_REPO, path: 'blocks.2.hook_resid_pre' }),
        'conflict',
        /sae_weights\.safetensors.* is corrupted: its SHA-256 is [0-9a-f]{64}, the hub says [0-9a-f]{64}/,
      );
    } finally {
      hub.corrupt(SAE_REPO, file, false);
    }
    const blobs = path.join(config.cacheDir, repoFolderName(SAE_REPO), 'blobs');
    assert.ok(!fs.readdirSync(blobs).some((b) => b.startsWith(hub.fileInfo(SAE_REPO, file).sha256)), 'neither blob nor .incomplete kept');
    assert.ok(!fs.existsSync(path.join(config.cacheDir, repoFolderName(SAE_REPO), 'snapshots', hub.commit(SAE_REPO), file)));
    hub.corrupt(SAE_REPO, 'blocks.2.hook_resid_pre/cfg.json');
    try {
      await rejects(
        pull(setup(), { repo: SAE_REPO, path: 'blocks.2.hook_resid_pre' }),
        'conflict',
        /cfg\.json.* is corrupted: its git sha1/,
      );
    } finally {
      hub.corrupt(SAE_REPO, 'blocks.2.hook_resid_pre/cfg.json', false);
    }
    const r = await pull(config, { repo: SAE_REPO, path: 'blocks.2.hook_resid_pre' });
    assert.equal(sha256(path.join(r.path, 'sae_weights.safetensors')), hub.fileInfo(SAE_REPO, file).sha256);
  });
});

describe('the hub says no', () => {
  const token = (t: string): Partial<HubConfig> => ({ token: t, tokenSource: 'env' });

  test('401: a private repo without a token, and a token the hub does not know', async () => {
    await rejects(
      pull(setup(), { repo: 'acme/private-saes' }),
      'not_found',
      /repository "acme\/private-saes" not found on http:\/\/127\.0\.0\.1:\d+ \(if it is private, set a token/,
    );
    const e = await rejects(
      pull(setup(token('hf_bad_token')), { repo: SAE_REPO, path: 'blocks.2.hook_resid_pre' }),
      'unauthorized',
      /rejected the token from HF_TOKEN: Invalid credentials/,
    );
    assert.ok(!e.message.includes('hf_bad_token'), 'the token itself is never shown');
    await rejects(pull(setup(token('hf_other')), { repo: 'acme/private-saes' }), 'not_found', /or the token from HF_TOKEN has no access/);
    const ok = await pull(setup(token('hf_acme')), { repo: 'acme/private-saes', path: 'blocks.2.hook_resid_pre' });
    assert.equal(ok.files.length, 2);
    assert.ok(hub.requests.some((q) => q.server === 'hub' && q.auth));
  });

  test('gated repos: what to do without a token, and with one that has no access', async () => {
    await rejects(
      pull(setup(), { repo: 'acme/gated-saes', path: 'blocks.2.hook_resid_pre' }),
      'unauthorized',
      /"acme\/gated-saes" is a gated repository: accept its conditions at http:\/\/127\.0\.0\.1:\d+\/acme\/gated-saes/,
    );
    await rejects(
      pull(setup(token('hf_other')), { repo: 'acme/gated-saes', path: 'blocks.2.hook_resid_pre' }),
      'forbidden',
      /gated repository and the token from HF_TOKEN has no access/,
    );
    const ok = await pull(setup(token('hf_acme')), { repo: 'acme/gated-saes', path: 'blocks.2.hook_resid_pre' });
    assert.equal(ok.files.length, 2);
  });

  test('404: missing repo, path, revision and file are each named', async () => {
    await rejects(pull(setup(), { repo: 'nobody/nothing' }), 'not_found', /repository "nobody\/nothing" not found/);
    await rejects(
      pull(setup(), { repo: SAE_REPO, path: 'blocks.99.hook_resid_pre' }),
      'not_found',
      /"blocks\.99\.hook_resid_pre" not found in "jbloom\/GPT2-Small-SAEs-Reformatted"/,
    );
    await rejects(
      pull(setup(), { repo: SAE_REPO, revision: 'nope' }),
      'not_found',
      /revision "nope" not found in "jbloom\/GPT2-Small-SAEs-Reformatted"/,
    );
    await rejects(
      pull(setup(), { repo: 'ref/gpt2-relu-l2pre-model', onnxFile: 'onnx/model_fp16.onnx' }),
      'not_found',
      /"onnx\/model_fp16\.onnx" not found in ref\/gpt2-relu-l2pre-model/,
    );
    await rejects(
      pull(setup(), { repo: SAE_REPO, path: 'README.md', kind: 'sae' }),
      'not_found',
      /no SAE at jbloom\/GPT2-Small-SAEs-Reformatted:README\.md/,
    );
  });
});

describe('revisions and renamed repos', () => {
  test('a tag is recorded in refs/, a commit hash is not; a renamed repo is followed', async () => {
    const config = setup();
    const r = await pull(config, { repo: 'acme/two-saes', path: 'a/blocks.2.hook_resid_pre', revision: 'v1.0' });
    const root = path.join(config.cacheDir, repoFolderName('acme/two-saes'));
    assert.equal(fs.readFileSync(path.join(root, 'refs', 'v1.0'), 'utf8'), r.commit);
    const byCommit = await pull(config, { repo: 'acme/two-saes', path: 'b/blocks.2.hook_resid_pre', revision: r.commit });
    assert.equal(byCommit.commit, r.commit);
    assert.deepEqual(fs.readdirSync(path.join(root, 'refs')), ['v1.0']);
    const renamed = await pull(setup(), { repo: 'jbloom/old-name', path: 'blocks.1.hook_resid_pre' });
    assert.equal(renamed.commit, hub.commit(SAE_REPO));
    assert.match(renamed.path, /models--jbloom--old-name/);
    assert.ok(hub.requests.some((q) => q.method === 'HEAD' && q.url.startsWith('/jbloom/old-name/resolve/')));
  });
});

describe('a hostile endpoint', () => {
  const EVIL = 'evil/saes';
  const base = 'blocks.2.hook_resid_pre';
  after(() => hub.tamper(EVIL, null));

  /** Everything below `tmp` that is not inside a cache folder (where an escape would land). */
  const outside = (): string[] => fs.readdirSync(tmp).filter((n) => !n.startsWith('cache-'));

  test('an ETag that is no hash (X-Linked-Etag: ../../../.bashrc) is refused, naming the file; nothing is written', async () => {
    const before = outside();
    for (const etag of ['"../../../.bashrc"', '../../../.bashrc', 'W/"../../../x"', `"${'A'.repeat(64)}"`, '"abc"']) {
      hub.tamper(EVIL, { etags: { [`${base}/sae_weights.safetensors`]: etag } });
      const config = setup();
      await rejects(
        pull(config, { repo: EVIL, path: base }),
        'unavailable',
        /sent the ETag ".*" for "blocks\.2\.hook_resid_pre\/sae_weights\.safetensors" in "evil\/saes", which is not a git sha1 or SHA-256/,
      );
      const blobs = path.join(config.cacheDir, repoFolderName(EVIL), 'blobs');
      const stored = fs.existsSync(blobs) ? fs.readdirSync(blobs) : [];
      assert.ok(
        stored.every((b) => /^[0-9a-f]{40}(\.incomplete)?$/.test(b)),
        `only the small file's blob may be there: ${stored.join(', ')}`,
      );
    }
    assert.deepEqual(outside(), before, 'nothing was written next to the cache');
    // a weak, quoted etag that is a hash is fine (W/ and quotes are stripped)
    const oid = hub.fileInfo(EVIL, `${base}/cfg.json`).oid;
    hub.tamper(EVIL, { etags: { [`${base}/cfg.json`]: `W/"${oid}"` } });
    const r = await pull(setup(), { repo: EVIL, path: base });
    assert.equal(fs.readlinkSync(path.join(r.path, 'cfg.json')), path.join('..', '..', '..', 'blobs', oid));
  });

  test('listed paths with "..", backslashes or a leading "/" spoil the listing', async () => {
    for (const bad of [`${base}/../../../../escape.json`, '..\\..\\escape.json', '/etc/escape.json', `${base}//cfg.json`]) {
      hub.tamper(EVIL, { treePaths: [bad] });
      const config = setup();
      const e = await rejects(
        pull(config, { repo: EVIL, path: base }),
        'unavailable',
        /listed a file ".*" in "evil\/saes" that cannot be stored/,
      );
      assert.ok(e.message.includes(bad), e.message);
      assert.ok(!fs.existsSync(path.join(config.cacheDir, repoFolderName(EVIL), 'snapshots')), 'no snapshot was made');
    }
  });

  test('a commit that is not 40 hex digits (model info sha, X-Repo-Commit) is refused', async () => {
    hub.tamper(EVIL, { sha: '../../../../escape' });
    await rejects(
      pull(setup(), { repo: EVIL, path: base }),
      'unavailable',
      /sent the commit "\.\.\/\.\.\/\.\.\/\.\.\/escape" for revision "main" in "evil\/saes"/,
    );
    hub.tamper(EVIL, { repoCommit: '../escape' });
    await rejects(
      pull(setup(), { repo: EVIL, path: base }),
      'unavailable',
      /sent the commit "\.\.\/escape" for "blocks\.2\.hook_resid_pre\/.*" in "evil\/saes"/,
    );
    hub.tamper(EVIL, null);
  });

  test('a revision or path asked for that is no safe ref name or repo path is a bad_request, before any request', async () => {
    const config = setup();
    const asked = hub.requests.length;
    for (const revision of ['../../../escape', 'main/../../x', 'a\\b', '.hidden', 'x.lock', 'a b', 'a@{1}']) {
      await rejects(
        pull(config, { repo: EVIL, path: base, revision }),
        'bad_request',
        /revision ".*" of "evil\/saes" is not a branch, tag or commit name/,
      );
    }
    await rejects(
      pull(config, { repo: EVIL, path: '../../escape' }),
      'bad_request',
      /"\.\.\/\.\.\/escape" is not a path inside "evil\/saes"/,
    );
    await rejects(
      pull(config, { repo: EVIL, onnxFile: 'onnx/../../../x.onnx', kind: 'model' }),
      'bad_request',
      /"onnx\/\.\.\/\.\.\/\.\.\/x\.onnx" is not a path inside "evil\/saes"/,
    );
    assert.equal(hub.requests.length, asked, 'the hub was not asked');
    assert.ok(!fs.existsSync(config.cacheDir), 'the cache was not touched');
  });
});
