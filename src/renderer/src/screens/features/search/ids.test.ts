import assert from 'node:assert/strict';
import { test } from 'node:test';
import { looksLikeIds, MAX_IDS, parseIdList } from './ids.ts';

test('reads ids and ranges, sorted and unique', () => {
  assert.deepEqual(parseIdList('12'), { ok: true, ids: [12] });
  assert.deepEqual(parseIdList('12, 40-43'), { ok: true, ids: [12, 40, 41, 42, 43] });
  assert.deepEqual(parseIdList('9 7,7  3'), { ok: true, ids: [3, 7, 9] });
  assert.deepEqual(parseIdList('5 – 3'), { ok: true, ids: [3, 4, 5] }, 'spaced en dash, reversed');
});

test('bounds ids by the SAE size and says why', () => {
  const r = parseIdList('1530-1540', 1536);
  assert.equal(r.ok, false);
  assert.match(!r.ok ? r.error : '', /1540 is out of range: this SAE has features 0–1535/);
  assert.deepEqual(parseIdList('1535', 1536), { ok: true, ids: [1535] });
});

test('refuses what is not ids', () => {
  for (const text of ['', '  ', 'abc', '12a', '1-2-3', '-4']) assert.equal(parseIdList(text).ok, false, JSON.stringify(text));
  assert.equal(parseIdList(`0-${MAX_IDS}`).ok, false, 'too many');
});

test('tells id lists from words', () => {
  assert.equal(looksLikeIds('320'), true);
  assert.equal(looksLikeIds(' 12, 40-50 '), true);
  assert.equal(looksLikeIds('years'), false);
  assert.equal(looksLikeIds('18th century'), false);
  assert.equal(looksLikeIds(', -'), false);
});
