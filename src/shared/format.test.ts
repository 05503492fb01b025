import assert from 'node:assert/strict';
import { test } from 'node:test';
import { etaSeconds, formatBytes, formatDuration, formatEta, formatProgress, formatShare } from './format.ts';

test('formatBytes: decimal units, one decimal above bytes', () => {
  assert.equal(formatBytes(0), '0 B');
  assert.equal(formatBytes(999), '999 B');
  assert.equal(formatBytes(1000), '1.0 kB');
  assert.equal(formatBytes(1_536_000), '1.5 MB');
  assert.equal(formatBytes(2.5e12), '2.5 TB');
  assert.equal(formatBytes(3e15), '3000.0 TB');
});

test('formatEta: seconds, then minutes and seconds, then hours and minutes', () => {
  assert.equal(formatEta(0.2), '1 s');
  assert.equal(formatEta(59), '59 s');
  assert.equal(formatEta(80), '1 min 20 s');
  assert.equal(formatEta(3599), '59 min 59 s');
  assert.equal(formatEta(7500), '2 h 5 min');
});

test('etaSeconds: null without a total or a rate, never negative', () => {
  assert.equal(etaSeconds(10, 110, 20), 5);
  assert.equal(etaSeconds(10, null, 20), null);
  assert.equal(etaSeconds(10, 110, 0), null);
  assert.equal(etaSeconds(120, 110, 20), 0);
});

test('formatProgress: counts, unit, rate and time left', () => {
  const p = { phase: 'encode', done: 1200, total: 5000, rate: 340.4, eta: 11.2 };
  const [done, total] = [(1200).toLocaleString(), (5000).toLocaleString()];
  assert.equal(formatProgress(p), `encode: ${done} / ${total} · 340/s · 12 s left`);
  assert.equal(formatProgress(p, { unit: 'tokens' }), `encode: ${done} / ${total} tokens · 340/s · 12 s left`);
  assert.equal(formatProgress({ ...p, total: null, eta: null }, { rateDigits: 1 }), `encode: ${done} · 340.4/s`);
});

test('formatShare: a fraction as a percentage', () => {
  assert.equal(formatShare(0.1234), '12.3%');
  assert.equal(formatShare(0.1234, 2), '12.34%');
  assert.equal(formatShare(1), '100.0%');
});

test('formatDuration: milliseconds, tenths of seconds, then minutes and hours', () => {
  assert.equal(formatDuration(850.4), '850 ms');
  assert.equal(formatDuration(13_480), '13.5 s');
  assert.equal(formatDuration(80_000), '1 min 20 s');
  assert.equal(formatDuration(7_500_000), '2 h 5 min');
});
