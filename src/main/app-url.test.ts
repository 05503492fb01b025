import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import { APP_ENTRY, isAppUrl, rendererEntry } from './app-url.ts';

const saved = process.env['ELECTRON_RENDERER_URL'];
afterEach(() => {
  if (saved === undefined) delete process.env['ELECTRON_RENDERER_URL'];
  else process.env['ELECTRON_RENDERER_URL'] = saved;
});

test('only sae://app pages are app URLs in production', () => {
  delete process.env['ELECTRON_RENDERER_URL'];
  assert.equal(rendererEntry(), APP_ENTRY);
  assert.ok(isAppUrl('sae://app/index.html'));
  assert.ok(isAppUrl('sae://app/index.html#/jobs'));
  for (const url of [
    'sae://evil/index.html',
    'file:///tmp/index.html',
    'https://app/index.html',
    'http://localhost:5173/',
    'about:blank',
    'not a url',
  ]) {
    assert.equal(isAppUrl(url), false, url);
  }
});

test('in development the vite dev server origin is the app', () => {
  process.env['ELECTRON_RENDERER_URL'] = 'http://localhost:5173';
  assert.equal(rendererEntry(), 'http://localhost:5173');
  assert.ok(isAppUrl('http://localhost:5173/#/settings'));
  assert.equal(isAppUrl('http://localhost:5174/'), false);
  assert.equal(isAppUrl('sae://app/index.html'), false);
});
