import assert from 'node:assert/strict';
import { test } from 'node:test';
import { rendererEntry } from './app-url.ts';
import { isTrustedSender, type SenderFacts } from './trusted-sender.ts';

const DEV = 'http://localhost:5173';
const top = (url: string): SenderFacts => ({ senderId: 7, windowId: 7, frame: { url, isTopFrame: true } });

test('a packaged app with ELECTRON_RENDERER_URL set refuses senders from that URL', () => {
  const entry = rendererEntry({ packaged: true, devUrl: DEV });
  assert.equal(isTrustedSender(top(`${DEV}/`), entry), false);
  assert.equal(isTrustedSender(top(`${DEV}/#/jobs`), entry), false);
  assert.ok(isTrustedSender(top('sae://app/index.html#/jobs'), entry));
});

test('in development only the dev server the window loaded is trusted', () => {
  const entry = rendererEntry({ packaged: false, devUrl: DEV });
  assert.ok(isTrustedSender(top(`${DEV}/#/jobs`), entry));
  assert.equal(isTrustedSender(top('sae://app/index.html'), entry), false);
  assert.equal(isTrustedSender(top('http://localhost:5174/'), entry), false);
});

test('only the main window top frame is trusted', () => {
  const entry = rendererEntry({ packaged: true });
  const url = 'sae://app/index.html';
  assert.ok(isTrustedSender(top(url), entry));
  assert.equal(isTrustedSender({ senderId: 8, windowId: 7, frame: { url, isTopFrame: true } }, entry), false, 'other window');
  assert.equal(isTrustedSender({ senderId: 7, windowId: 7, frame: { url, isTopFrame: false } }, entry), false, 'subframe');
  assert.equal(isTrustedSender({ senderId: 7, windowId: undefined, frame: { url, isTopFrame: true } }, entry), false, 'no window');
  assert.equal(isTrustedSender({ senderId: 7, windowId: 7, frame: null }, entry), false, 'frame gone');
});
