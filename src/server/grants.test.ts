/**
 * The serve host reaches only what it should: paths in requests resolve (symlinks followed)
 * inside the data folder, the HF cache, the demo and granted folders; index databases are
 * created only under the data folder's indexes/. Over real HTTP, on real files.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createCore, type Core } from '../core/host/core.ts';
import { referenceCase, writeJsonlCorpus } from '#testing/index/test-support.ts';
import type { IndexStartResult } from '#shared/index-types.ts';
import type { FeatureDashboard } from '#shared/contract.ts';
import type { LocalFolder } from '#shared/hub-types.ts';
import { startServeHost, type ServeHost } from './server.ts';

const tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'sae-grants-')));
const data = path.join(tmp, 'data');
const granted = path.join(tmp, 'granted');
const outside = path.join(tmp, 'outside');
const ref = referenceCase('gpt2-topk-l1post');

fs.mkdirSync(granted);
fs.mkdirSync(outside);
writeJsonlCorpus(path.join(granted, 'notes.jsonl'), 12, 5);
fs.writeFileSync(path.join(outside, 'secret.txt'), 'the secret text of another folder\n');
// links inside the granted folder that lead out of it
fs.symlinkSync(path.join(outside, 'secret.txt'), path.join(granted, 'escape.txt'));
fs.symlinkSync(outside, path.join(granted, 'escape-dir'));
// a link inside the granted folder that stays inside is fine
fs.symlinkSync(path.join(granted, 'notes.jsonl'), path.join(granted, 'alias.jsonl'));

// a private HF cache, so the machine's own cache is no root here
process.env['HF_HUB_CACHE'] = path.join(tmp, 'hf-cache');

let core: Core;
let server: ServeHost;
before(async () => {
  core = createCore({ host: 'serve', data: { flag: data }, files: { grants: [granted, ref.dir] } });
  server = await startServeHost({ core, port: 0, rendererDir: path.join(tmp, 'no-renderer') });
});
after(async () => {
  await server.close();
  await core.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

interface Answer<T> {
  status: number;
  value: T;
  error: { code: string; message: string };
}

/** POST /api/<name> with the host's token. */
async function post<T = unknown>(name: string, payload: unknown): Promise<Answer<T>> {
  const r = await fetch(new URL(`api/${name}`, server.url), {
    method: 'POST',
    headers: { Authorization: `Bearer ${server.token}`, 'Content-Type': 'application/json' },
    body: JSON.stringify(payload),
  });
  const reply = (await r.json()) as { value: T; error: { code: string; message: string } };
  return { status: r.status, value: reply.value, error: reply.error };
}

/** Asserts a clear 403: code `forbidden`, the path named, and how to grant it. */
function assertForbidden(a: Answer<unknown>, named: string, hint: RegExp = /--allow-dir/): void {
  assert.equal(a.status, 403, JSON.stringify(a.error));
  assert.equal(a.error.code, 'forbidden');
  assert.ok(a.error.message.includes(named), `"${a.error.message}" names ${named}`);
  assert.match(a.error.message, hint);
}

describe('file access over the serve host', () => {
  test('/etc/passwd as a corpus is refused, naming the path and how to grant it', async () => {
    const r = await post('index.start', { model: ref.modelDir, sae: ref.saeDir, corpus: '/etc/passwd' });
    assertForbidden(r, '/etc/passwd', /--allow-dir \/etc\b.*pick it with Models → Local folder/);
    assertForbidden(await post('workspace.open', { model: ref.modelDir, sae: ref.saeDir, corpus: '/etc/passwd' }), '/etc/passwd');
  });

  test('a granted model and SAE open; evaluating them on /etc/passwd is refused', async () => {
    const opened = await post('workspace.open', { model: ref.modelDir, sae: ref.saeDir });
    assert.equal(opened.status, 200, JSON.stringify(opened.error));
    assertForbidden(await post('health.evaluate', { corpus: '/etc/passwd' }), '/etc/passwd');
  });

  test('models and SAEs outside the roots are refused too', async () => {
    assertForbidden(await post('workspace.open', { model: outside, sae: ref.saeDir }), outside);
    assertForbidden(await post('index.start', { model: ref.modelDir, sae: outside, corpus: path.join(granted, 'notes.jsonl') }), outside);
    assertForbidden(await post('health.compare', { a: ref.saeDir, b: path.join(outside, 'secret.txt') }), 'secret.txt');
  });

  test('an index database outside the data folder’s indexes/ is refused', async () => {
    const corpus = path.join(granted, 'notes.jsonl');
    for (const db of [path.join(outside, 'x.sqlite'), path.join(granted, 'x.sqlite'), path.join(data, 'x.sqlite')]) {
      const r = await post('index.start', { model: ref.modelDir, sae: ref.saeDir, corpus, db });
      assertForbidden(r, db, /creates index databases only there/);
      assert.ok(r.error.message.includes(path.join(data, 'indexes')), r.error.message);
      assert.equal(fs.existsSync(db), false, `${db} was not created`);
    }
    const climbing = await post('index.start', { model: ref.modelDir, sae: ref.saeDir, corpus, db: '../x' });
    assert.equal(climbing.status, 400);
    // reading an index outside the roots is refused as well
    assertForbidden(await post('feature.get', { db: path.join(outside, 'secret.txt'), id: 0 }), 'secret.txt');
    assertForbidden(await post('index.status', { db: '/etc/passwd' }), '/etc/passwd');
  });

  test('hub.browse lists only the allowed roots and folders inside them', async () => {
    assertForbidden(await post('hub.browse', { dir: '/etc' }), '/etc', /--allow-dir \/etc\b/);

    const roots = await post<LocalFolder>('hub.browse', {});
    assert.equal(roots.status, 200);
    assert.equal(roots.value.dir, null);
    assert.equal(roots.value.canPick, false, 'the serve host has no native dialog');
    const listed = Object.fromEntries(roots.value.entries.map((e) => [e.path, e.root]));
    assert.equal(listed[data], 'data');
    assert.equal(listed[granted], 'granted');
    assert.equal(listed[ref.dir], 'granted');
    // the HF cache does not exist here, so it is not listed
    assert.equal(listed[path.join(tmp, 'hf-cache')], undefined);

    const inside = await post<LocalFolder>('hub.browse', { dir: granted });
    assert.equal(inside.status, 200);
    assert.deepEqual(inside.value.entries.map((e) => e.name).sort(), ['alias.jsonl', 'notes.jsonl']);
    assert.equal(inside.value.parent, null, 'no way up out of a granted folder');
    const model = await post<LocalFolder>('hub.browse', { dir: ref.modelDir });
    assert.equal(model.value.parent, ref.dir);
  });

  test('symlinks that lead out of a granted folder are refused', async () => {
    const escape = path.join(granted, 'escape.txt');
    assertForbidden(await post('index.start', { model: ref.modelDir, sae: ref.saeDir, corpus: escape }), escape);
    assertForbidden(await post('hub.browse', { dir: path.join(granted, 'escape-dir') }), 'escape-dir');
    const through = path.join(granted, 'escape-dir', 'secret.txt');
    assertForbidden(await post('index.start', { model: ref.modelDir, sae: ref.saeDir, corpus: through }), through);
    const traversal = `${granted}/../outside/secret.txt`;
    assertForbidden(
      await post('index.start', { model: ref.modelDir, sae: ref.saeDir, corpus: traversal }),
      path.join(outside, 'secret.txt'),
    );
  });

  test('files.pick is unavailable without a native dialog and says how to grant instead', async () => {
    const r = await post('files.pick', {});
    assert.equal(r.status, 503);
    assert.equal(r.error.code, 'unavailable');
    assert.match(r.error.message, /--allow-dir DIR/);
  });

  test('a granted corpus is indexed into the data folder and read back', async () => {
    const started = await post<IndexStartResult>('index.start', {
      model: ref.modelDir,
      sae: ref.saeDir,
      corpus: path.join(granted, 'alias.jsonl'),
      context: 16,
    });
    assert.equal(started.status, 200, JSON.stringify(started.error));
    assert.equal(started.value.db, path.join(data, 'indexes', 'alias.sqlite'));
    const final = await core.bus.next('job.state', (s) => s.job === started.value.job && ['done', 'failed', 'cancelled'].includes(s.state));
    assert.equal(final.state, 'done', final.error);
    const dash = await post<FeatureDashboard>('feature.get', { db: 'alias', id: 0 });
    assert.equal(dash.status, 200, JSON.stringify(dash.error));
    assert.equal(dash.value.id, 0);
  });
});
