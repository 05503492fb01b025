import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  binAtX,
  binBounds,
  binsOfRange,
  bottomShare,
  checkRange,
  formatRange,
  HISTOGRAM_BINS,
  inclusiveHi,
  parseRange,
  rangeOfBins,
} from './range.ts';

describe('histogram bins ↔ ranges', () => {
  test('bin bounds follow feature.get: bin i covers (i·max/50, (i+1)·max/50]', () => {
    assert.deepEqual(binBounds(0, 10), { lo: 0, hi: 0.2 });
    assert.deepEqual(binBounds(49, 10), { lo: 9.8, hi: 10 });
  });

  test('a drag over bins a..b in either direction gives the same range', () => {
    const r = rangeOfBins(12, 4, 10);
    assert.deepEqual(r, rangeOfBins(4, 12, 10));
    assert.equal(r.lo, 0.8);
    assert.ok(Math.abs(r.hi - 2.6) < 1e-12);
  });

  test('a range reaching the last bin includes max itself (feature.sample excludes hi)', () => {
    const r = rangeOfBins(40, 49, 13.13);
    assert.ok(r.hi > 13.13, `hi ${r.hi} must exceed max`);
    assert.ok(r.hi < 13.14);
    assert.equal(inclusiveHi(5, 13.13), 5, 'below max nothing changes');
  });

  test('bins outside the histogram are clamped', () => {
    assert.deepEqual(rangeOfBins(-3, 2, 10), rangeOfBins(0, 2, 10));
    assert.deepEqual(rangeOfBins(60, 45, 10), rangeOfBins(49, 45, 10));
  });

  test('bins of a range round-trip every drag', () => {
    for (const [a, b] of [
      [0, 0],
      [3, 17],
      [49, 49],
      [0, 49],
      [25, 26],
    ] as const) {
      assert.deepEqual(binsOfRange(rangeOfBins(a, b, 7.5), 7.5), { from: a, to: b }, `${a}..${b}`);
    }
  });

  test('a typed range maps onto the bins it overlaps; ranges that miss the histogram map to none', () => {
    assert.deepEqual(binsOfRange({ lo: 1.05, hi: 2.01 }, 10), { from: 5, to: 10 });
    assert.deepEqual(binsOfRange(bottomShare(10), 10), { from: 0, to: 4 });
    assert.equal(binsOfRange({ lo: 11, hi: 12 }, 10), null);
    assert.equal(binsOfRange({ lo: -2, hi: 0 }, 10), null);
    assert.equal(binsOfRange({ lo: 1, hi: 2 }, 0), null, 'a dead feature has no bins');
  });

  test('the bin under a pointer position, clamped to the plot', () => {
    assert.equal(binAtX(100, 100, 500), 0);
    assert.equal(binAtX(100 + 10 * 5 + 4.9, 100, 500), 5, 'bins are 10 px wide here');
    assert.equal(binAtX(599.9, 100, 500), 49);
    assert.equal(binAtX(20, 100, 500), 0, 'left of the plot');
    assert.equal(binAtX(900, 100, 500), 49, 'right of the plot');
    assert.equal(binAtX(300, 100, 0), 0, 'no plot yet');
  });

  test('the histogram has 50 bins', () => {
    assert.equal(HISTOGRAM_BINS, 50);
  });
});

describe('typed ranges', () => {
  test('reads the usual ways of writing lo–hi', () => {
    for (const text of ['2.5-4', '2.5 – 4', '2.5..4', '2.5 to 4', ' 2.5 , 4 ', '2.5—4']) {
      assert.deepEqual(parseRange(text), { ok: true, range: { lo: 2.5, hi: 4 } }, text);
    }
    assert.deepEqual(parseRange('1e-1-.5'), { ok: true, range: { lo: 0.1, hi: 0.5 } });
  });

  test('shares of max', () => {
    assert.deepEqual(parseRange('bottom 10%', 20), { ok: true, range: { lo: 0, hi: 2 } });
    assert.deepEqual(parseRange('Bottom 10% of max', 20), { ok: true, range: { lo: 0, hi: 2 } });
    const top = parseRange('top 25%', 20);
    assert.ok(top.ok && top.range.lo === 15 && top.range.hi > 20);
    assert.equal(parseRange('bottom 10%').ok, false, 'needs a max');
    assert.equal(parseRange('bottom 0%', 20).ok, false);
    assert.equal(parseRange('bottom 150%', 20).ok, false);
  });

  test('says what is wrong', () => {
    const bad = parseRange('4-2.5');
    assert.equal(bad.ok, false);
    assert.match(!bad.ok ? bad.error : '', /above the lower/);
    const junk = parseRange('abc');
    assert.match(!junk.ok ? junk.error : '', /not a range/);
    assert.equal(parseRange('').ok, false);
    assert.equal(checkRange(Number.NaN, 1).ok, false);
    assert.equal(checkRange(1, 1).ok, false);
  });

  test('formats ranges compactly', () => {
    assert.equal(formatRange({ lo: 2.62647, hi: 5.2529 }), '2.63–5.25');
    assert.equal(formatRange({ lo: 0, hi: 13.13236 }), '0–13.1');
  });
});
