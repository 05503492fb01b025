import assert from 'node:assert/strict';
import { test } from 'node:test';
import { APP_ENTRY, isAppUrl, rendererEntry } from './app-url.ts';

const DEV = 'http://localhost:5173';

test('only sae://app pages are app URLs in production', () => {
  const entry = rendererEntry({ packaged: true });
  assert.equal(entry, APP_ENTRY);
  assert.ok(isAppUrl('sae://app/index.html', entry));
  assert.ok(isAppUrl('sae://app/index.html#/jobs', entry));
  for (const url of [
    'sae://evil/index.html',
    'sae://app:8080/index.html',
    'file:///tmp/index.html',
    'https://app/index.html',
    'http://localhost:5173/',
    'about:blank',
    'not a url',
  ]) {
    assert.equal(isAppUrl(url, entry), false, url);
  }
});

test('a packaged app ignores ELECTRON_RENDERER_URL and refuses the dev server', () => {
  const entry = rendererEntry({ packaged: true, devUrl: DEV });
  assert.equal(entry, APP_ENTRY);
  assert.equal(isAppUrl(`${DEV}/#/settings`, entry), false);
  assert.equal(isAppUrl(DEV, entry), false);
  assert.ok(isAppUrl('sae://app/index.html', entry));
});

test('in development the vite dev server origin is the app, and only it', () => {
  const entry = rendererEntry({ packaged: false, devUrl: DEV });
  assert.equal(entry, `${DEV}/`);
  assert.ok(isAppUrl(`${DEV}/#/settings`, entry));
  assert.equal(isAppUrl('http://localhost:5174/', entry), false);
  assert.equal(isAppUrl('https://localhost:5173/', entry), false);
  assert.equal(isAppUrl('sae://app/index.html', entry), false);
});

test('an unpackaged app without a usable dev URL loads our scheme', () => {
  for (const devUrl of [undefined, '', 'not a url', 'file:///tmp/index.html', 'javascript:alert(1)']) {
    assert.equal(rendererEntry({ packaged: false, devUrl }), APP_ENTRY, String(devUrl));
  }
});

test('an entry without a host trusts nothing', () => {
  assert.equal(isAppUrl('file:///tmp/index.html', 'file:///tmp/index.html'), false);
  assert.equal(isAppUrl('sae://app/index.html', 'not a url'), false);
});
