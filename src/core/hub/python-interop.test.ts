/**
 * The HF cache shared with Python, checked against the real huggingface_hub (opt-in: it
 * runs when a Python with huggingface_hub is at hand, else it is skipped).
 *
 * - App → Python: what the app pulls, hf_hub_download / snapshot_download (offline) return
 *   as the same files, and scan_cache_dir lists without warnings;
 * - Python → App: what Python downloads from the test hub, the app's pull finds in the cache
 *   without fetching a byte, offline and online.
 *
 * The Python is `$SAE_EXPLORER_HF_PYTHON` (set it and the test must run: a Python there
 * without huggingface_hub fails it), else `python3` when `import huggingface_hub` works.
 * E.g. `python3 -m venv /tmp/hfvenv && /tmp/hfvenv/bin/pip install huggingface_hub`, then
 * `SAE_EXPLORER_HF_PYTHON=/tmp/hfvenv/bin/python node --import tsx --test src/core/hub/python-interop.test.ts`.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { HubPullResult } from '#shared/hub-types.ts';
import { loadSae } from '../sae/load.ts';
import { referenceCases } from '#testing/fixtures.ts';
import { repoFolderName } from './cache.ts';
import type { HubConfig } from './env.ts';
import { pullFromHub, type PullRequest } from './pull.ts';
import { scanCache } from './scan.ts';
import { fixtureRepos, folderFiles, TestHub, type LoggedRequest } from '#testing/hub/test-hub-server.ts';

/** The Python to use and its huggingface_hub version, or why there is none. */
function findPython(): { python: string; version: string } | { skip: string } | { error: string } {
  const chosen = process.env['SAE_EXPLORER_HF_PYTHON']?.trim();
  const python = chosen || 'python3';
  const r = spawnSync(python, ['-c', 'import huggingface_hub; print(huggingface_hub.__version__)'], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  const version = r.status === 0 ? r.stdout.trim() : '';
  if (version) return { python, version };
  const why = (r.error?.message ?? r.stderr.trim().split('\n').pop() ?? `exit ${r.status}`).slice(0, 200);
  if (chosen) return { error: `SAE_EXPLORER_HF_PYTHON=${chosen} cannot import huggingface_hub: ${why}` };
  return {
    skip: `Python huggingface_hub not installed: \`${python} -c "import huggingface_hub"\` failed (${why}); set SAE_EXPLORER_HF_PYTHON to a Python that has it`,
  };
}

/** What the Python side does: read what is cached, or download; both report what scan_cache_dir sees. */
const SCRIPT = String.raw`
import hashlib, json, os, sys
import huggingface_hub
from huggingface_hub import hf_hub_download, scan_cache_dir, snapshot_download, try_to_load_from_cache

def describe(p):
    with open(p, "rb") as f:
        data = f.read()
    return {
        "link": os.readlink(p) if os.path.islink(p) else None,
        "sha256": hashlib.sha256(data).hexdigest(),
        "gitSha1": hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest(),
        "size": len(data),
    }

def files_under(root):
    out = []
    for d, _, names in os.walk(root):
        out += [os.path.relpath(os.path.join(d, n), root).replace(os.sep, "/") for n in names]
    return sorted(out)

def scan():
    info = scan_cache_dir()
    return {
        "warnings": [str(w) for w in info.warnings],
        "repos": [
            {
                "repo": r.repo_id,
                "type": r.repo_type,
                "size": r.size_on_disk,
                "revisions": [
                    {
                        "commit": v.commit_hash,
                        "refs": sorted(v.refs),
                        "files": sorted(os.path.relpath(f.file_path, v.snapshot_path).replace(os.sep, "/") for f in v.files),
                    }
                    for v in r.revisions
                ],
            }
            for r in info.repos
        ],
    }

cmd, items = sys.argv[1], json.loads(sys.argv[2])
out = {"version": huggingface_hub.__version__, "repos": []}
for item in items:
    repo, rev = item["repo"], item["revision"]
    if cmd == "read":
        files = {}
        for f in item["files"]:
            p = hf_hub_download(repo, f, revision=rev)
            files[f] = {
                "path": p,
                "byCommit": hf_hub_download(repo, f, revision=item["commit"]),
                "cached": try_to_load_from_cache(repo, f, revision=rev),
                **describe(p),
            }
        snap = snapshot_download(repo, revision=rev, local_files_only=True)
        out["repos"].append({"repo": repo, "snapshot": snap, "files": files})
    elif "patterns" in item:
        snap = snapshot_download(repo, revision=rev, allow_patterns=item["patterns"])
        out["repos"].append({"repo": repo, "snapshot": snap, "files": {f: {"path": os.path.join(snap, f)} for f in files_under(snap)}})
    else:
        files = {f: {"path": hf_hub_download(repo, f, revision=rev)} for f in item["files"]}
        out["repos"].append({"repo": repo, "files": files})
out["scan"] = scan()
print(json.dumps(out))
`;

interface PyFile {
  readonly path: string;
  readonly byCommit?: string;
  readonly cached?: string | null;
  readonly link?: string | null;
  readonly sha256?: string;
  readonly gitSha1?: string;
  readonly size?: number;
}
interface PyScan {
  readonly warnings: string[];
  readonly repos: {
    readonly repo: string;
    readonly type: string;
    readonly size: number;
    readonly revisions: { readonly commit: string; readonly refs: string[]; readonly files: string[] }[];
  }[];
}
interface PyOut {
  readonly version: string;
  readonly repos: { readonly repo: string; readonly snapshot?: string; readonly files: Record<string, PyFile> }[];
  readonly scan: PyScan;
}

const found = findPython();
const skip = 'skip' in found ? found.skip : false;
const cases = referenceCases();
const relu = cases.find((c) => c.name === 'gpt2-relu-l2pre')!;
const SAE_REPO = 'jbloom/GPT2-Small-SAEs-Reformatted';
const MODEL_REPO = 'ref/gpt2-onnx-subfolder';
const TAGGED = 'acme/tagged-saes';
const HOOK = 'blocks.2.hook_resid_pre';
let hub: TestHub;
let tmp: string;
let n = 0;

/** A fresh cache folder and a config pointing at the test hub. */
function setup(): HubConfig {
  return {
    endpoint: hub.url,
    cacheDir: path.join(tmp, `cache-${++n}`),
    cacheDirSource: 'HF_HUB_CACHE',
    offline: false,
    token: null,
    tokenSource: null,
    tokenFile: path.join(tmp, 'no-token'),
  };
}

const pull = (config: HubConfig, req: PullRequest): Promise<HubPullResult> =>
  pullFromHub(config, req, { signal: new AbortController().signal });

/** Runs the script (asynchronously: the test hub answers from this process) with the cache and hub set as Python reads them. */
function python(cmd: 'read' | 'download', cacheDir: string, items: unknown[], offline: boolean): Promise<PyOut> {
  if (!('python' in found)) throw new Error('no Python');
  const script = path.join(tmp, 'interop.py');
  if (!fs.existsSync(script)) fs.writeFileSync(script, SCRIPT);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    HF_HUB_CACHE: cacheDir,
    HF_HOME: path.join(tmp, 'hf-home'),
    HF_ENDPOINT: hub.url,
    HF_HUB_OFFLINE: offline ? '1' : '0',
    HF_HUB_DISABLE_TELEMETRY: '1',
    HF_HUB_DISABLE_PROGRESS_BARS: '1',
    NO_PROXY: '127.0.0.1,localhost',
    no_proxy: '127.0.0.1,localhost',
  };
  for (const k of ['HF_TOKEN', 'HUGGING_FACE_HUB_TOKEN', 'HF_HUB_ENABLE_HF_TRANSFER', 'TRANSFORMERS_OFFLINE']) delete env[k];
  const child = spawn(found.python, [script, cmd, JSON.stringify(items)], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
  child.stderr.setEncoding('utf8').on('data', (s: string) => (err += s));
  const timer = setTimeout(() => child.kill(), 120_000);
  return new Promise((resolve, reject) => {
    child.on('close', (code) => {
      clearTimeout(timer);
      const last = out.trim().split('\n').pop() ?? '';
      if (code !== 0) return reject(new Error(`huggingface_hub ${cmd} failed (exit ${code}):\n${err.slice(-3000)}`));
      try {
        resolve(JSON.parse(last) as PyOut);
      } catch {
        reject(new Error(`huggingface_hub ${cmd} printed no JSON:\n${out.slice(-1000)}\n${err.slice(-2000)}`));
      }
    });
  });
}

/** Requests for file contents or metadata (not the API's listings) among `reqs`. */
const fileRequests = (reqs: readonly LoggedRequest[], method?: string): LoggedRequest[] =>
  reqs.filter((q) => !q.url.startsWith('/api/') && (method === undefined || q.method === method));

/** What the cache must hold: the blob named by sha256 for LFS files, by the git blob sha1 for others. */
function expectedEtag(repo: string, file: string): string {
  const info = hub.fileInfo(repo, file);
  return info.lfs ? info.sha256 : info.oid;
}

describe('the HF cache with Python huggingface_hub', { skip }, () => {
  before(async () => {
    if ('error' in found) throw new Error(found.error);
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hub-python-'));
    hub = await TestHub.start({
      repos: { ...fixtureRepos(cases), [TAGGED]: { files: folderFiles(relu.saeDir, HOOK), revisions: ['v1.0'] } },
    });
  });
  after(async () => {
    await hub?.close();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  test('app → Python: hf_hub_download and snapshot_download return the pulled files; scan_cache_dir lists them cleanly', async (t) => {
    const config = setup();
    const pulls = [
      await pull(config, { repo: SAE_REPO, path: HOOK }),
      await pull(config, { repo: MODEL_REPO }),
      await pull(config, { repo: TAGGED, path: HOOK, revision: 'v1.0' }),
    ];
    const items = pulls.map((p) => ({ repo: p.repo, revision: p.revision, commit: p.commit, files: p.files }));
    const before = hub.requests.length;
    const py = await python('read', config.cacheDir, items, true);
    t.diagnostic(`huggingface_hub ${py.version} (${'python' in found ? found.python : ''})`);
    assert.equal(hub.requests.length, before, 'Python offline asked the hub nothing');

    for (const [i, p] of pulls.entries()) {
      const got = py.repos[i]!;
      assert.equal(got.snapshot, p.snapshot, `snapshot_download(${p.repo}, local_files_only=True)`);
      for (const file of p.files) {
        const f = got.files[file]!;
        const pointer = path.join(p.snapshot, ...file.split('/'));
        assert.equal(f.path, pointer, `hf_hub_download(${p.repo}, ${file}, revision=${p.revision})`);
        assert.equal(f.byCommit, pointer, `hf_hub_download(${p.repo}, ${file}, revision=<commit>)`);
        assert.equal(f.cached, pointer, `try_to_load_from_cache(${p.repo}, ${file})`);
        // the bytes the hub serves, in the blob their hash names, behind a relative link
        const info = hub.fileInfo(p.repo, file);
        assert.equal(f.sha256, info.sha256, `${file}: contents`);
        assert.equal(info.lfs ? f.sha256 : f.gitSha1, expectedEtag(p.repo, file));
        const blob = path.join(config.cacheDir, repoFolderName(p.repo), 'blobs', info.lfs ? f.sha256! : f.gitSha1!);
        assert.equal(f.link, path.relative(path.dirname(pointer), blob), `${file}: relative link to ../../blobs/<etag>`);
      }
    }

    assert.deepEqual(py.scan.warnings, [], 'scan_cache_dir found the cache sound');
    assert.deepEqual(py.scan.repos.map((r) => r.repo).sort(), pulls.map((p) => p.repo).sort());
    for (const p of pulls) {
      const r = py.scan.repos.find((x) => x.repo === p.repo)!;
      assert.equal(r.type, 'model');
      assert.equal(r.size, p.bytes, `${p.repo}: size on disk`);
      assert.deepEqual(r.revisions, [{ commit: p.commit, refs: [p.revision], files: [...p.files].sort() }]);
    }

    // online, Python asks the hub for metadata but downloads nothing the app has
    const online = hub.requests.length;
    const again = await python('read', config.cacheDir, items, false);
    const since = hub.requests.slice(online);
    assert.deepEqual(
      fileRequests(since, 'GET').map((q) => q.url),
      [],
      'no file was downloaded again',
    );
    assert.ok(fileRequests(since, 'HEAD').length > 0, 'Python checked with the hub');
    assert.deepEqual(again.scan.warnings, []);
    assert.deepEqual(
      again.repos.map((r) => Object.values(r.files).map((f) => f.path)),
      py.repos.map((r) => Object.values(r.files).map((f) => f.path)),
    );
  });

  test('app → Python: a pull that fails before its first file leaves a cache scan_cache_dir accepts', async () => {
    const config = setup();
    const files = [`${HOOK}/cfg.json`, `${HOOK}/sae_weights.safetensors`];
    for (const f of files) hub.corrupt(TAGGED, f);
    try {
      await assert.rejects(pull(config, { repo: TAGGED, path: HOOK }), /is corrupted/);
    } finally {
      for (const f of files) hub.corrupt(TAGGED, f, false);
    }
    const py = await python('read', config.cacheDir, [], true);
    assert.deepEqual(py.scan.warnings, [], 'a ref to a commit without a snapshot folder is what scan_cache_dir calls corrupted');
    assert.deepEqual(
      py.scan.repos.map((r) => ({ repo: r.repo, revisions: r.revisions })),
      [{ repo: TAGGED, revisions: [{ commit: hub.commit(TAGGED), refs: ['main'], files: [] }] }],
    );
    // and the next pull completes it, for Python too
    const r = await pull(config, { repo: TAGGED, path: HOOK });
    const after = await python('read', config.cacheDir, [{ repo: TAGGED, revision: 'main', commit: r.commit, files: r.files }], true);
    assert.deepEqual(after.scan.warnings, []);
    assert.deepEqual(Object.keys(after.repos[0]!.files).sort(), [...r.files].sort());
  });

  test('Python → app: what huggingface_hub downloaded, the app pulls without a download, offline and online', async () => {
    const config = setup();
    const saeFiles = Object.keys(folderFiles(relu.saeDir, HOOK)).sort();
    const start = hub.requests.length;
    const py = await python(
      'download',
      config.cacheDir,
      [
        { repo: SAE_REPO, revision: 'main', patterns: [`${HOOK}/*`] },
        { repo: TAGGED, revision: 'v1.0', files: saeFiles },
        { repo: MODEL_REPO, revision: 'main', patterns: ['*.json', 'onnx/model.onnx'] },
      ],
      false,
    );
    assert.deepEqual(py.scan.warnings, []);
    const downloaded = fileRequests(hub.requests.slice(start), 'GET');
    assert.ok(downloaded.length >= 2 * saeFiles.length, `Python downloaded from the test hub: ${downloaded.map((q) => q.url).join(', ')}`);
    const [sae, tagged, model] = py.repos;
    assert.deepEqual(Object.keys(sae!.files).sort(), saeFiles);
    assert.deepEqual(Object.keys(tagged!.files).sort(), saeFiles);
    const taggedCommit = hub.commit(TAGGED);
    assert.equal(
      fs.readFileSync(path.join(config.cacheDir, repoFolderName(TAGGED), 'refs', 'v1.0'), 'utf8'),
      taggedCommit,
      'Python wrote refs/v1.0',
    );

    const requests: { req: PullRequest; folder: string; files: string[] }[] = [
      { req: { repo: SAE_REPO, path: HOOK }, folder: path.join(sae!.snapshot!, HOOK), files: saeFiles },
      {
        req: { repo: TAGGED, path: HOOK, revision: 'v1.0' },
        folder: path.dirname(tagged!.files[saeFiles[0]!]!.path),
        files: saeFiles,
      },
      { req: { repo: MODEL_REPO }, folder: model!.snapshot!, files: Object.keys(model!.files) },
    ];
    for (const offline of [true, false]) {
      for (const { req, folder, files } of requests) {
        const before = hub.requests.length;
        const r = await pull({ ...config, offline }, req);
        const since = hub.requests.slice(before);
        const what = `${req.repo}${offline ? ' offline' : ''}`;
        assert.equal(r.path, folder, `${what}: the folder Python filled`);
        assert.equal(r.downloaded, 0, what);
        assert.equal(r.cachedFiles, r.files.length, what);
        assert.equal(r.offline, offline, what);
        assert.ok(r.files.length > 0 && r.files.every((f) => files.includes(f)), `${what}: ${r.files.join(', ')}`);
        if (offline) assert.deepEqual(since, [], `${what}: no request at all`);
        else assert.deepEqual(fileRequests(since), [], `${what}: only the API was asked (commit and listing)`);
      }
    }
    // the hub stopped: the cache alone answers
    const down = await TestHub.start({ repos: {} });
    const dead = down.url;
    await down.close();
    const r = await pull({ ...config, endpoint: dead }, { repo: TAGGED, path: HOOK, revision: 'v1.0' });
    assert.equal(r.commit, taggedCommit);
    assert.equal(r.offline, true);
    assert.equal(loadSae(r.path).config.hookName, HOOK);

    // the app's own cache listing shows what Python downloaded
    const listed = scanCache(config.cacheDir);
    for (const { req, folder } of requests) {
      const item = listed.find((i) => i.repo === req.repo && i.path === folder);
      assert.ok(item, `${req.repo}: listed by the app (${listed.map((i) => `${i.repo}:${i.label}`).join(', ')})`);
      assert.equal(item.kind, req.repo === MODEL_REPO ? 'model' : 'sae');
    }
  });
});
