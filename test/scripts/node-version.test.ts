/**
 * The Node.js the README names is the one installing and packaging Electron require: on an older
 * Node `npm run dist` stops at once and `npm start` warns, saying which version and why (Electron
 * 45's tools need 22.12+), then goes on to open the app through the serve host.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';

const root = path.resolve(import.meta.dirname, '..', '..');
const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
const tooOld = major < 22 || (major === 22 && minor < 12);
const run = (script: string, ...args: string[]) =>
  spawnSync(process.execPath, [path.join(root, 'scripts', script), ...args], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, SAE_EXPLORER_START_CHECK: '1' },
  });

test('package.json and the README name the same Node requirement', () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as {
    engines: { node: string };
    scripts: Record<string, string>;
  };
  assert.equal(pkg.engines.node, '>=22.12');
  assert.match(fs.readFileSync(path.join(root, 'README.md'), 'utf8'), /Needs Node\.js 22\.12\+/);
  assert.match(pkg.scripts['dist'] ?? '', /^node scripts\/check-node\.mjs /);
});

test('npm start on Node older than 22.12 warns with the version it needs, and goes on', () => {
  const r = run('start.mjs');
  assert.equal(r.status, 0, 'start is not stopped by the Node version');
  if (tooOld) {
    assert.match(
      r.stderr,
      new RegExp(
        `^start: warning: Installing or packaging the desktop app needs Node\\.js 22\\.12\\.0 or newer; this is Node ${process.versions.node.replace(/\./g, '\\.')}\\.`,
      ),
    );
    assert.match(r.stderr, /nvm install 22/);
  } else {
    assert.equal(r.stderr, '');
  }
});

test('check-node passes on a new enough Node and stops an older one, naming the command', () => {
  const r = run('check-node.mjs', 'npm run dist');
  if (tooOld) {
    assert.equal(r.status, 1);
    assert.match(r.stderr, /^npm run dist needs Node\.js 22\.12\.0 or newer/);
  } else {
    assert.equal(r.status, 0);
    assert.equal(r.stderr, '');
  }
});
