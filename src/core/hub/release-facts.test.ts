/**
 * A local SAE path to its release's facts, on a real HF cache layout in a temp folder
 * (blobs, relative symlinks in snapshots/<commit>/, refs/main), as pulls and Python's
 * huggingface_hub leave it.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { RepoCache } from './cache.ts';
import { hfCacheLocation, releaseFactsForSaePath } from './release-facts.ts';

const COMMIT = 'a'.repeat(40);
const GPT2 = 'jbloom/GPT2-Small-SAEs-Reformatted';
const PYTHIA = 'ctigges/pythia-70m-deduped__res-sm_processed';
const GEMMA = 'google/gemma-scope-2b-pt-res';

let cacheDir: string;

/** Stores `files` (path in repo → contents) of `repo` at COMMIT in the cache; answers the snapshot folder. */
function cacheRepo(repo: string, files: Record<string, string>): string {
  const cache = new RepoCache(cacheDir, repo);
  for (const [file, text] of Object.entries(files)) {
    const etag = createHash('sha256').update(`${repo}:${file}:${text}`).digest('hex');
    fs.mkdirSync(path.dirname(cache.blob(etag)), { recursive: true });
    fs.writeFileSync(cache.blob(etag), text);
    cache.link(COMMIT, file, etag, true);
  }
  cache.writeRef('main', COMMIT);
  return cache.snapshot(COMMIT);
}

/** The files of a SAELens-format SAE folder (only cfg.json is read here). */
const saeLensFolder = (dir: string, dIn: number): Record<string, string> => ({
  [`${dir}/cfg.json`]: JSON.stringify({ d_in: dIn, d_sae: 8 * dIn, hook_name: 'whatever the file says' }),
  [`${dir}/sae_weights.safetensors`]: 'weights',
});

describe('releaseFactsForSaePath', () => {
  let gpt2: string;
  let pythia: string;
  let gemma: string;
  before(() => {
    cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'release-facts-'));
    gpt2 = cacheRepo(GPT2, {
      ...saeLensFolder('blocks.8.hook_resid_pre', 768),
      ...saeLensFolder('blocks.11.hook_resid_post', 768),
      ...saeLensFolder('blocks.8.hook_mlp_out', 768),
      'README.md': '# GPT-2 small SAEs',
    });
    pythia = cacheRepo(PYTHIA, { ...saeLensFolder('3-res-sm', 512), ...saeLensFolder('e-res-sm', 512) });
    gemma = cacheRepo(GEMMA, {
      'layer_5/width_16k/average_l0_143/params.npz': 'npz',
      'layer_12/width_16k/average_l0_82/params.npz': 'npz',
      'layer_12/width_16k/average_l0_176/params.npz': 'npz',
    });
  });
  after(() => fs.rmSync(cacheDir, { recursive: true, force: true }));

  test('a SAELens folder of gpt2-small-res-jb: center_writing_weights and its Neuronpedia id', () => {
    const facts = releaseFactsForSaePath(path.join(gpt2, 'blocks.8.hook_resid_pre'));
    assert.deepEqual(facts, {
      release: 'gpt2-small-res-jb',
      pathInRepo: 'blocks.8.hook_resid_pre',
      hook: 'blocks.8.hook_resid_pre',
      modelFromPretrainedKwargs: { center_writing_weights: true },
      neuronpediaId: 'gpt2-small/8-res-jb',
    });
    // a file of the folder (a symlink into blobs/) names the same SAE
    assert.ok(fs.lstatSync(path.join(gpt2, 'blocks.8.hook_resid_pre', 'cfg.json')).isSymbolicLink());
    assert.deepEqual(releaseFactsForSaePath(path.join(gpt2, 'blocks.8.hook_resid_pre', 'cfg.json')), facts);
    assert.deepEqual(releaseFactsForSaePath(path.join(gpt2, 'blocks.8.hook_resid_pre', 'sae_weights.safetensors')), facts);
  });

  test("the release's last SAE, off its layer pattern: resid_post of block 11 is Neuronpedia's layer 12", () => {
    const facts = releaseFactsForSaePath(path.join(gpt2, 'blocks.11.hook_resid_post'));
    assert.equal(facts?.hook, 'blocks.11.hook_resid_post');
    assert.equal(facts?.neuronpediaId, 'gpt2-small/12-res-jb');
    assert.deepEqual(facts?.modelFromPretrainedKwargs, { center_writing_weights: true });
  });

  test('pythia-70m-deduped-res-sm: resid_post per layer, resid_pre of block 0 for the embeddings; no model kwargs', () => {
    const layer3 = releaseFactsForSaePath(path.join(pythia, '3-res-sm'));
    assert.deepEqual(layer3, {
      release: 'pythia-70m-deduped-res-sm',
      pathInRepo: '3-res-sm',
      hook: 'blocks.3.hook_resid_post',
      neuronpediaId: 'pythia-70m-deduped/3-res-sm',
    });
    assert.equal(releaseFactsForSaePath(path.join(pythia, 'e-res-sm'))?.hook, 'blocks.0.hook_resid_pre');
  });

  test('Gemma Scope: the params.npz folder, the file, or a layer folder with one SAE below it', () => {
    const sae = path.join(gemma, 'layer_5', 'width_16k', 'average_l0_143');
    const facts = releaseFactsForSaePath(sae);
    assert.deepEqual(facts, {
      release: 'gemma-scope-2b-pt-res',
      pathInRepo: 'layer_5/width_16k/average_l0_143',
      hook: 'blocks.5.hook_resid_post',
      neuronpediaId: 'gemma-2-2b/5-gemmascope-res-16k__l0-143',
    });
    assert.deepEqual(releaseFactsForSaePath(path.join(sae, 'params.npz')), facts);
    assert.deepEqual(releaseFactsForSaePath(path.join(gemma, 'layer_5')), facts); // one SAE below: followed, as loadSae does
    // SAELens lists no Neuronpedia id for this one; layer_12/width_16k holds two SAEs, so it names none
    assert.deepEqual(releaseFactsForSaePath(path.join(gemma, 'layer_12', 'width_16k', 'average_l0_82')), {
      release: 'gemma-scope-2b-pt-res',
      pathInRepo: 'layer_12/width_16k/average_l0_82',
      hook: 'blocks.12.hook_resid_post',
    });
    assert.equal(releaseFactsForSaePath(path.join(gemma, 'layer_12', 'width_16k')), undefined);
  });

  test('no facts: a folder the release does not list, another repo, a path outside the cache, a copy of other width', () => {
    assert.equal(releaseFactsForSaePath(path.join(gpt2, 'blocks.8.hook_mlp_out')), undefined);
    assert.equal(releaseFactsForSaePath(gpt2), undefined);
    const other = cacheRepo('someone/GPT2-Small-SAEs-Reformatted', saeLensFolder('blocks.8.hook_resid_pre', 768));
    assert.equal(releaseFactsForSaePath(path.join(other, 'blocks.8.hook_resid_pre')), undefined);
    const loose = path.join(cacheDir, '..', path.basename(cacheDir) + '-loose', 'blocks.8.hook_resid_pre');
    assert.equal(releaseFactsForSaePath(loose), undefined);
    // a test copy of the repo holding a tiny model's SAE (d_in 64) is not the release
    const tiny = cacheRepo(GPT2, saeLensFolder('blocks.2.hook_resid_pre', 64));
    assert.equal(releaseFactsForSaePath(path.join(tiny, 'blocks.2.hook_resid_pre')), undefined);
  });
});

describe('hfCacheLocation', () => {
  test('the repo, commit and path inside the repo, from any cache folder', () => {
    const p = path.join('/somewhere', 'hub', 'models--google--gemma-scope-2b-pt-res', 'snapshots', COMMIT, 'layer_5', 'width_16k');
    assert.deepEqual(hfCacheLocation(p), { repo: GEMMA, commit: COMMIT, pathInRepo: 'layer_5/width_16k' });
    assert.deepEqual(hfCacheLocation(path.join('/c', 'models--gpt2', 'snapshots', COMMIT)), {
      repo: 'gpt2',
      commit: COMMIT,
      pathInRepo: '',
    });
    assert.equal(hfCacheLocation(path.join('/c', 'models--gpt2', 'snapshots', 'main', 'x')), undefined);
    assert.equal(hfCacheLocation(path.join('/c', 'datasets--a--b', 'snapshots', COMMIT, 'x')), undefined);
    assert.equal(hfCacheLocation('/c/models--a--b/blobs/x'), undefined);
  });
});
