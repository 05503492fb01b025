/**
 * The Node.js the README names is the one `npm start` and `npm run dist` require: on an older
 * Node they stop at once and say which version and why (Electron 45's tools need 22.12+).
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
  spawnSync(process.execPath, [path.join(root, 'scripts', script), ...args], { cwd: root, encoding: 'utf8' });

test('package.json and the README name the same Node requirement', () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as {
    engines: { node: string };
    scripts: Record<string, string>;
  };
  assert.equal(pkg.engines.node, '>=22.12');
  assert.match(fs.readFileSync(path.join(root, 'README.md'), 'utf8'), /Needs Node\.js 22\.12\+/);
  assert.match(pkg.scripts['dist'] ?? '', /^node scripts\/check-node\.mjs /);
});

test(
  'npm start on Node older than 22.12 stops with the version it needs',
  { skip: !tooOld && 'this Node is new enough: start would open the app' },
  () => {
    const r = run('start.mjs');
    assert.equal(r.status, 1);
    assert.match(
      r.stderr,
      new RegExp(
        `^start: SAE Explorer needs Node\\.js 22\\.12\\.0 or newer; this is Node ${process.versions.node.replace(/\./g, '\\.')}\\.`,
      ),
    );
    assert.match(r.stderr, /nvm install 22/);
    assert.match(r.stderr, /npm run build && npm run serve/);
  },
);

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
