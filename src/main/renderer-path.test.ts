import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { resolveRendererPath } from './renderer-path.ts';

// tmp/
//   secret.txt            outside the root
//   renderer/             the root
//     index.html, assets/app.js
//     leak.txt    -> ../secret.txt   (file symlink out)
//     outside/    -> ..              (directory symlink out)
//     alias.js    -> assets/app.js   (symlink that stays inside)
let tmp: string;
let root: string;

before(() => {
  tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'sae-renderer-path-')));
  root = path.join(tmp, 'renderer');
  fs.mkdirSync(path.join(root, 'assets'), { recursive: true });
  fs.writeFileSync(path.join(tmp, 'secret.txt'), 'secret');
  fs.writeFileSync(path.join(root, 'index.html'), '<!doctype html>');
  fs.writeFileSync(path.join(root, 'assets', 'app.js'), 'export {};');
  fs.symlinkSync(path.join(tmp, 'secret.txt'), path.join(root, 'leak.txt'), 'file');
  fs.symlinkSync(tmp, path.join(root, 'outside'), 'dir');
  fs.symlinkSync(path.join(root, 'assets', 'app.js'), path.join(root, 'alias.js'), 'file');
});

after(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** The path the URL parser hands the protocol handler, as Chromium would. */
const pathnameOf = (url: string): string => new URL(url).pathname;

test('serves files inside the root; / is index.html', async () => {
  assert.deepEqual(await resolveRendererPath(root, '/'), { file: path.join(root, 'index.html') });
  assert.deepEqual(await resolveRendererPath(root, '/index.html'), { file: path.join(root, 'index.html') });
  assert.deepEqual(await resolveRendererPath(root, '/assets/app.js'), { file: path.join(root, 'assets', 'app.js') });
  assert.deepEqual(await resolveRendererPath(root, '/assets/%61pp.js'), { file: path.join(root, 'assets', 'app.js') });
  // a symlink that stays inside the root is followed
  assert.deepEqual(await resolveRendererPath(root, '/alias.js'), { file: path.join(root, 'assets', 'app.js') });
});

test('refuses symlinks that lead out of the root', async () => {
  assert.deepEqual(await resolveRendererPath(root, '/leak.txt'), { refused: 'not-found' });
  assert.deepEqual(await resolveRendererPath(root, '/outside/secret.txt'), { refused: 'not-found' });
  // judged by where the path really ends: out through a link and back in is a file of the root
  assert.deepEqual(await resolveRendererPath(root, '/outside/renderer/index.html'), { file: path.join(root, 'index.html') });
});

test('a root reached through a symlink still serves its files', async () => {
  const link = path.join(tmp, 'root-link');
  fs.symlinkSync(root, link, 'dir');
  assert.deepEqual(await resolveRendererPath(link, '/index.html'), { file: path.join(root, 'index.html') });
  assert.deepEqual(await resolveRendererPath(link, '/leak.txt'), { refused: 'not-found' });
});

test('refuses dot segments, encoded or not, and absolute forms', async () => {
  for (const pathname of [
    '/../secret.txt',
    '/assets/../../secret.txt',
    '/%2e%2e/secret.txt',
    '/%2E%2E%2Fsecret.txt',
    '/..%2fsecret.txt',
    '/assets/%2e%2e%2f%2e%2e%2fsecret.txt',
    '/./index.html',
    '/..%5csecret.txt',
    '/%5c..%5csecret.txt',
    `/${encodeURIComponent(path.join(tmp, 'secret.txt'))}`,
    '//' + path.join(tmp, 'secret.txt').replace(/^\//, ''),
    '/C:/Windows/win.ini',
    '/C%3a%5cWindows%5cwin.ini',
    '/index.html%00.js',
    '/%E0%A4%A',
  ]) {
    const result = await resolveRendererPath(root, pathname);
    assert.deepEqual(result, { refused: 'bad-path' }, pathname);
  }
});

test('URLs that the parser normalises cannot climb out either', async () => {
  for (const url of ['sae://app/../secret.txt', 'sae://app/%2e%2e/secret.txt', 'sae://app/assets/../../../secret.txt']) {
    const result = await resolveRendererPath(root, pathnameOf(url));
    assert.ok('refused' in result, `${url} -> ${JSON.stringify(result)}`);
  }
});

test('directories and missing files are not found', async () => {
  assert.deepEqual(await resolveRendererPath(root, '/assets'), { refused: 'not-found' });
  assert.deepEqual(await resolveRendererPath(root, '/assets/'), { refused: 'not-found' });
  assert.deepEqual(await resolveRendererPath(root, '/nope.js'), { refused: 'not-found' });
});
