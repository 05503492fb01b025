/** `pull` in a child process, as `npm run cli -- pull` runs it, against the local test hub. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fixtureRepos, TestHub } from '#testing/hub/test-hub-server.ts';
import { referenceCases, repoRoot } from '#testing/fixtures.ts';

let hub: TestHub;
let tmp: string;
const SAE = 'jbloom/GPT2-Small-SAEs-Reformatted';

before(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-pull-'));
  hub = await TestHub.start({ repos: fixtureRepos(referenceCases()) });
});
after(async () => {
  await hub?.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** Runs the CLI with the hub's endpoint and a cache of its own; HF_TOKEN is cleared so the host's does not leak in. */
function cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; out: string; err: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/index.ts', ...args], {
    cwd: repoRoot,
    env: {
      ...process.env,
      HF_ENDPOINT: hub.url,
      HF_HUB_CACHE: path.join(tmp, 'hub'),
      HF_HOME: path.join(tmp, 'hf-home'),
      HF_TOKEN: '',
      HUGGING_FACE_HUB_TOKEN: '',
      HF_HUB_OFFLINE: '',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
  child.stderr.setEncoding('utf8').on('data', (s: string) => (err += s));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code: code ?? 1, out, err })));
}

test('pull REPO:PATH --json prints the local folder, its files and bytes; again, the cache answers', async () => {
  const r = await cli(['pull', `${SAE}:blocks.2.hook_resid_pre`, '--json', '--progress', '--data', path.join(tmp, 'data')]);
  assert.equal(r.code, 0, r.err);
  const out = JSON.parse(r.out) as { path: string; files: string[]; bytes: number; downloaded: number; commit: string };
  assert.deepEqual(Object.keys(out).slice(0, 3), ['path', 'files', 'bytes']);
  assert.equal(
    out.path,
    path.join(tmp, 'hub', 'models--jbloom--GPT2-Small-SAEs-Reformatted', 'snapshots', hub.commit(SAE), 'blocks.2.hook_resid_pre'),
  );
  assert.deepEqual([...out.files].sort(), ['blocks.2.hook_resid_pre/cfg.json', 'blocks.2.hook_resid_pre/sae_weights.safetensors']);
  const expected = out.files.reduce((a, f) => a + hub.fileInfo(SAE, f).size, 0);
  assert.equal(out.bytes, expected);
  assert.equal(out.downloaded, expected);
  // progress went to stderr as JSON lines, the last one complete
  const lines = r.err
    .trim()
    .split('\n')
    .filter((l) => l.startsWith('{'));
  const last = JSON.parse(lines.at(-1) ?? '{}') as { done: number; total: number };
  assert.equal(last.done, expected);
  assert.equal(last.total, expected);

  const again = await cli(['pull', `${SAE}:blocks.2.hook_resid_pre`, '--json']);
  assert.equal(again.code, 0, again.err);
  const second = JSON.parse(again.out) as { path: string; downloaded: number; cached_files: number };
  assert.equal(second.path, out.path);
  assert.equal(second.downloaded, 0);
  assert.equal(second.cached_files, 2);
  // HF_HUB_OFFLINE: the cache alone
  const offline = await cli(['pull', `${SAE}:blocks.2.hook_resid_pre`, '--json'], { HF_HUB_OFFLINE: '1' });
  assert.equal(offline.code, 0, offline.err);
  assert.equal((JSON.parse(offline.out) as { offline: boolean }).offline, true);
});

test('a model repo with --kind model, and the errors: missing repo, bad token, bad arguments', async () => {
  const r = await cli(['pull', 'ref/gpt2-topk-l1post-model', '--kind', 'model', '--json']);
  assert.equal(r.code, 0, r.err);
  const out = JSON.parse(r.out) as { path: string; files: string[]; kind: string };
  assert.equal(out.kind, 'model');
  assert.ok(fs.existsSync(path.join(out.path, 'model.onnx')) && fs.existsSync(path.join(out.path, 'tokenizer.json')));

  const missing = await cli(['pull', 'nobody/nothing', '--json']);
  assert.equal(missing.code, 1);
  assert.match(missing.err, /^error: repository "nobody\/nothing" not found on http:\/\/127\.0\.0\.1:\d+/m);
  assert.equal(missing.out, '');

  const badToken = await cli(['pull', `${SAE}:blocks.1.hook_resid_pre`], { HF_TOKEN: 'hf_not_a_real_token' });
  assert.equal(badToken.code, 1);
  assert.match(badToken.err, /rejected the token from HF_TOKEN: Invalid credentials/);
  assert.ok(!badToken.err.includes('hf_not_a_real_token'), 'the token is never printed');

  const usage = await cli(['pull', 'not a repo!']);
  assert.equal(usage.code, 2);
  assert.match(usage.err, /repo: a repo id is "org\/name"/);
  const kind = await cli(['pull', SAE, '--kind', 'dataset']);
  assert.equal(kind.code, 2);
  assert.match(kind.err, /--kind must be one of sae, model/);
});

test('two processes pulling the same file at once: one downloads, the other waits for it, both succeed with whole bytes', async () => {
  const cache = path.join(tmp, 'race-hub');
  const cdn = hub.count('GET', '/cdn-lfs/');
  // slow enough that the two overlap: ~1 s for the weights
  hub.chunkBytes = 2048;
  hub.slowMs = 15;
  try {
    const args = ['pull', `${SAE}:blocks.2.hook_resid_pre`, '--json', '--data', path.join(tmp, 'race-data')];
    const [a, b] = await Promise.all([cli(args, { HF_HUB_CACHE: cache }), cli(args, { HF_HUB_CACHE: cache })]);
    assert.equal(a.code, 0, a.err);
    assert.equal(b.code, 0, b.err);
    const outs = [a, b].map((r) => JSON.parse(r.out) as { path: string; downloaded: number; bytes: number });
    assert.equal(outs[0]!.path, outs[1]!.path);
    assert.equal(hub.count('GET', '/cdn-lfs/'), cdn + 1, 'the weights were downloaded once, by one of them');
    const weights = path.join(outs[0]!.path, 'sae_weights.safetensors');
    assert.equal(fs.statSync(weights).size, hub.fileInfo(SAE, 'blocks.2.hook_resid_pre/sae_weights.safetensors').size);
    assert.equal(
      createHash('sha256').update(fs.readFileSync(weights)).digest('hex'),
      hub.fileInfo(SAE, 'blocks.2.hook_resid_pre/sae_weights.safetensors').sha256,
    );
    const blobs = fs.readdirSync(path.join(cache, 'models--jbloom--GPT2-Small-SAEs-Reformatted', 'blobs'));
    assert.deepEqual(
      blobs.filter((f) => f.endsWith('.incomplete')),
      [],
      'no partial download left',
    );
  } finally {
    hub.chunkBytes = 64 * 1024;
    hub.slowMs = 0;
  }
});
