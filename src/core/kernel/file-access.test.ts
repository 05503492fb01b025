/** The file-access policy on real folders, files and symlinks. */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { AppError } from '#shared/reply.ts';
import { FileAccess, realPathOf } from './file-access.ts';

const tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'sae-file-access-')));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const data = path.join(tmp, 'data');
const hf = path.join(tmp, 'hf');
const demo = path.join(tmp, 'resources', 'demo');
const granted = path.join(tmp, 'granted');
const outside = path.join(tmp, 'outside');
for (const d of [data, hf, demo, granted, outside]) fs.mkdirSync(d, { recursive: true });
fs.writeFileSync(path.join(outside, 'secret.txt'), 'secret');
fs.writeFileSync(path.join(granted, 'corpus.txt'), 'text');
fs.writeFileSync(path.join(outside, 'single.jsonl'), '{}');
fs.writeFileSync(path.join(outside, 'sibling.jsonl'), '{}');
fs.symlinkSync(path.join(outside, 'secret.txt'), path.join(granted, 'link.txt'));
fs.symlinkSync(path.join(outside, 'nothing-yet.sqlite'), path.join(granted, 'dangling.sqlite'));
fs.symlinkSync(path.join(hf, 'blob'), path.join(data, 'to-hf'));
fs.writeFileSync(path.join(hf, 'blob'), 'weights');

const access = (open = false): FileAccess => new FileAccess({ dataDir: data, hfCacheDir: () => hf, demoDir: demo, open });

/** The AppError code a call throws, or null when it does not throw. */
function codeOf(fn: () => unknown): string | null {
  try {
    fn();
    return null;
  } catch (e) {
    assert.ok(e instanceof AppError, String(e));
    return e.code;
  }
}

describe('FileAccess', () => {
  test('the data folder, the HF cache and the demo are roots; other folders are not until granted', () => {
    const files = access();
    for (const p of [path.join(data, 'x'), path.join(hf, 'models--a--b'), path.join(demo, 'model')]) {
      assert.equal(files.resolveRead(p, 'model'), p);
    }
    assert.equal(
      codeOf(() => files.resolveRead(path.join(granted, 'corpus.txt'), 'corpus')),
      'forbidden',
    );
    assert.equal(files.grant(granted), granted);
    assert.equal(files.resolveRead(path.join(granted, 'corpus.txt'), 'corpus'), path.join(granted, 'corpus.txt'));
    assert.deepEqual(
      files.roots().map((r) => r.kind),
      ['data', 'hf-cache', 'demo', 'granted'],
    );
  });

  test('a refusal names the path, the folder to grant and how', () => {
    const files = access();
    const secret = path.join(outside, 'secret.txt');
    assert.throws(
      () => files.resolveRead(secret, 'corpus'),
      (e: unknown) =>
        e instanceof AppError &&
        e.code === 'forbidden' &&
        e.message.startsWith(`corpus ${secret} is outside the folders the app may reach`) &&
        e.message.includes(`--allow-dir ${outside}`) &&
        e.message.includes('Models → Local folder'),
    );
    assert.throws(
      () => files.resolveRead('/etc', 'folder'),
      (e: unknown) => e instanceof AppError && e.message.includes('--allow-dir /etc'),
    );
  });

  test('symlinks are judged by where they lead', () => {
    const files = access();
    files.grant(granted);
    assert.equal(
      codeOf(() => files.resolveRead(path.join(granted, 'link.txt'), 'corpus')),
      'forbidden',
    );
    // a dangling link could lead anywhere once its target appears
    assert.equal(
      codeOf(() => files.resolveRead(path.join(granted, 'dangling.sqlite'), 'index')),
      'forbidden',
    );
    assert.equal(realPathOf(path.join(granted, 'dangling.sqlite')), null);
    // a link from one root into another is fine
    assert.equal(files.resolveRead(path.join(data, 'to-hf'), 'SAE'), path.join(data, 'to-hf'));
    // ".." is resolved before judging
    assert.equal(
      codeOf(() => files.resolveRead(`${granted}/../outside/secret.txt`, 'corpus')),
      'forbidden',
    );
  });

  test('a path that does not exist yet is judged by the folder it would be in', () => {
    const files = access();
    assert.equal(files.resolveRead(path.join(data, 'new', 'deeper', 'file.txt'), 'corpus'), path.join(data, 'new', 'deeper', 'file.txt'));
    assert.equal(
      codeOf(() => files.resolveRead(path.join(outside, 'new', 'file.txt'), 'corpus')),
      'forbidden',
    );
  });

  test('a granted file is reachable alone, not its siblings; a missing path cannot be granted', () => {
    const files = access();
    files.grant(path.join(outside, 'single.jsonl'));
    assert.equal(files.allows(path.join(outside, 'single.jsonl')), true);
    assert.equal(files.allows(path.join(outside, 'sibling.jsonl')), false);
    assert.equal(files.allows(outside), false);
    assert.equal(
      codeOf(() => files.grant(path.join(tmp, 'missing'))),
      'not_found',
    );
  });

  test('index databases are created only under the data folder’s indexes/, and read anywhere allowed', () => {
    const files = access();
    files.grant(granted);
    const indexes = path.join(data, 'indexes');
    assert.equal(files.resolveIndex('wiki', 'create'), path.join(indexes, 'wiki.sqlite'));
    assert.equal(files.resolveIndex(path.join(indexes, 'a', 'b.sqlite'), 'create'), path.join(indexes, 'a', 'b.sqlite'));
    for (const db of [path.join(granted, 'x.sqlite'), path.join(data, 'x.sqlite'), path.join(outside, 'x.sqlite'), indexes]) {
      assert.equal(
        codeOf(() => files.resolveIndex(db, 'create')),
        'forbidden',
        db,
      );
    }
    fs.mkdirSync(indexes, { recursive: true });
    fs.symlinkSync(path.join(outside, 'escaped.sqlite'), path.join(indexes, 'linked.sqlite'));
    assert.equal(
      codeOf(() => files.resolveIndex('linked', 'create')),
      'forbidden',
    );
    assert.equal(files.resolveIndex(path.join(granted, 'x.sqlite'), 'read'), path.join(granted, 'x.sqlite'));
    assert.equal(
      codeOf(() => files.resolveIndex(path.join(outside, 'x.sqlite'), 'read')),
      'forbidden',
    );
    assert.equal(
      codeOf(() => files.resolveIndex('../escape', 'create')),
      'bad_request',
    );
  });

  test('open (the CLI’s own core) allows every path', () => {
    const files = access(true);
    assert.equal(files.resolveRead(path.join(outside, 'secret.txt'), 'corpus'), path.join(outside, 'secret.txt'));
    assert.equal(files.resolveIndex(path.join(outside, 'x.sqlite'), 'create'), path.join(outside, 'x.sqlite'));
  });
});
