import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { formatDensity, formatScore, formatValue, parseNumberish } from './format.ts';

describe('formats', () => {
  test('densities as percentages', () => {
    assert.equal(formatDensity(0.01331), '1.3%');
    assert.equal(formatDensity(0.000523), '0.052%');
    assert.equal(formatDensity(0), '0%');
  });
  test('activation values', () => {
    assert.equal(formatValue(13.13236), '13.1');
    assert.equal(formatValue(2.8993), '2.90');
    assert.equal(formatValue(0.0012), '0.0012');
    assert.equal(formatValue(0), '0');
    assert.equal(formatValue(123.4), '123');
  });
  test('search scores', () => {
    assert.equal(formatScore(20), '20');
    assert.equal(formatScore(0.374812), '0.375');
    assert.equal(formatScore(-3.14159), '-3.14');
  });
  test('numbers as the filters read them', () => {
    assert.equal(parseNumberish(''), undefined);
    assert.equal(parseNumberish('0.5'), 0.5);
    assert.equal(parseNumberish('1e-3'), 0.001);
    assert.equal(parseNumberish(' 0.1 % '), 0.001);
    assert.ok(Number.isNaN(parseNumberish('abc')));
    assert.ok(Number.isNaN(parseNumberish('1,5')));
  });
});
