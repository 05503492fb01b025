import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { dataFlag, defaultDataDir, resolveDataDir } from './data-dir.ts';

test('--data wins over the environment, which wins over the default', () => {
  const env = { SAE_EXPLORER_DATA: '/env/dir' };
  assert.deepEqual(resolveDataDir({ flag: '/flag/dir', env }), { dir: path.resolve('/flag/dir'), source: 'flag' });
  assert.deepEqual(resolveDataDir({ env }), { dir: path.resolve('/env/dir'), source: 'env' });
  assert.deepEqual(resolveDataDir({ env: {}, fallback: '/electron/appData/sae-explorer' }), {
    dir: '/electron/appData/sae-explorer',
    source: 'default',
  });
});

test('OS defaults: XDG on Linux, Application Support on macOS, APPDATA on Windows', () => {
  assert.equal(defaultDataDir('linux', {}, '/home/u'), '/home/u/.local/share/sae-explorer');
  assert.equal(defaultDataDir('linux', { XDG_DATA_HOME: '/x' }, '/home/u'), '/x/sae-explorer');
  assert.equal(defaultDataDir('linux', { XDG_DATA_HOME: 'relative' }, '/home/u'), '/home/u/.local/share/sae-explorer');
  assert.equal(defaultDataDir('darwin', {}, '/Users/u'), '/Users/u/Library/Application Support/sae-explorer');
  assert.equal(
    defaultDataDir('win32', { APPDATA: 'C:\\Users\\u\\AppData\\Roaming' }, 'C:\\Users\\u'),
    'C:\\Users\\u\\AppData\\Roaming\\sae-explorer',
  );
});

test('dataFlag finds --data DIR and --data=DIR among other switches', () => {
  assert.equal(dataFlag(['electron', '.', '--data', '/d']), '/d');
  assert.equal(dataFlag(['--no-sandbox', '--data=/e']), '/e');
  assert.equal(dataFlag(['--database', '/x']), undefined);
});
