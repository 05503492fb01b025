import assert from 'node:assert/strict';
import { test } from 'node:test';
import { seededRandom } from '../util/random.ts';
import { binOf, BottomK, samplePriority, sampleIndices } from './bins.ts';
import { ByteReader, ByteWriter } from './bytes.ts';
import {
  activations,
  countStaged,
  decodeChunk,
  decodeTokens,
  encodeChunk,
  encodeStaged,
  encodeTokens,
  pushActivation,
  scatterStaged,
} from './codec.ts';

test('varints round-trip from 0 to 2^53 − 1, float32 exactly', () => {
  const values = [0, 1, 127, 128, 255, 16383, 16384, 2 ** 31 - 1, 2 ** 31, 2 ** 32, 2 ** 40 + 5, Number.MAX_SAFE_INTEGER];
  const w = new ByteWriter(1);
  for (const v of values) w.varint(v);
  w.f32(Math.fround(3.14159));
  const r = new ByteReader(w.toBuffer());
  assert.deepEqual(
    values.map(() => r.varint()),
    values,
  );
  assert.equal(r.f32(), Math.fround(3.14159));
  assert.ok(r.done);
  assert.throws(() => new ByteReader(Buffer.from([0x80])).varint(), /past the end/);
  assert.deepEqual(decodeTokens(encodeTokens([0, 50256, 128000, 7])), [0, 50256, 128000, 7]);
});

test('a staged batch regroups by feature, keeping positions ascending, and scatters back exactly', () => {
  const rand = seededRandom(3);
  const dSae = 50;
  const a = activations(2);
  const expected = new Map<number, [number, number][]>();
  const base = 1_000_000;
  for (let t = 0; t < 200; t++) {
    const seen = new Set<number>();
    for (let j = 0; j < 4; j++) {
      const f = Math.floor(rand() * dSae);
      if (seen.has(f)) continue;
      seen.add(f);
      const v = Math.fround(rand() * 10);
      pushActivation(a, f, base + t * 3, v);
      (expected.get(f) ?? expected.set(f, []).get(f)!).push([base + t * 3, v]);
    }
  }
  const blob = encodeStaged(a, base, dSae);
  const counts = new Uint32Array(dSae);
  assert.equal(countStaged(blob, counts), a.length);
  const start = new Float64Array(dSae);
  for (let f = 1; f < dSae; f++) start[f] = start[f - 1]! + counts[f - 1]!;
  const pos = new Float64Array(a.length);
  const val = new Float32Array(a.length);
  scatterStaged(blob, base, start.slice(), pos, val);
  for (let f = 0; f < dSae; f++) {
    const got: [number, number][] = [];
    for (let i = start[f]!; i < start[f]! + counts[f]!; i++) got.push([pos[i]!, val[i]!]);
    assert.deepEqual(got, expected.get(f) ?? [], `feature ${f}`);
  }
  // compact: well under 10 bytes per activation
  assert.ok(blob.length / a.length < 7, `${blob.length / a.length} bytes per staged activation`);
});

test('a chunk round-trips positions (past 2^32) and values', () => {
  const pos = Float64Array.from([5, 6, 900, 2 ** 33, 2 ** 33 + 1]);
  const val = Float32Array.from([0.5, 1e-30, 3, 4e20, 7]);
  const c = encodeChunk(pos, val, 1, 5);
  assert.deepEqual([c.first, c.last, c.n], [6, 2 ** 33 + 1, 4]);
  const p = new Float64Array(4);
  const v = new Float32Array(4);
  decodeChunk(c.data, c.first, c.n, p, v);
  assert.deepEqual([...p], [...pos.subarray(1)]);
  assert.deepEqual([...v], [...val.subarray(1)]);
});

test('bins: (i·max/n, (i+1)·max/n], the maximum in the last bin', () => {
  assert.equal(binOf(10, 10, 10), 9);
  assert.equal(binOf(1, 10, 10), 0);
  assert.equal(binOf(1.0000001, 10, 10), 1);
  assert.equal(binOf(1e-9, 10, 10), 0);
  assert.equal(binOf(5, 0, 10), 0);
});

test('seeded sampling is uniform enough and repeatable', () => {
  assert.deepEqual(sampleIndices(100, 5, 1), sampleIndices(100, 5, 1));
  assert.notDeepEqual(sampleIndices(100, 5, 1), sampleIndices(100, 5, 2));
  assert.deepEqual(sampleIndices(3, 5, 1), [0, 1, 2]);
  const hits = new Array<number>(10).fill(0);
  for (let s = 0; s < 2000; s++) {
    for (const i of sampleIndices(10, 2, s)) hits[i]!++;
  }
  // each index drawn ~400 times of 4000
  for (const h of hits) assert.ok(h > 320 && h < 480, `${hits}`);
});

test('keyed-hash bottom-k samples: uniform, and the same whatever the order or split of the stream', () => {
  const hits = new Array<number>(10).fill(0);
  for (let s = 0; s < 2000; s++) {
    const r = new BottomK(2);
    for (let i = 0; i < 10; i++) r.offer(i, samplePriority(s, 1000 + i));
    assert.equal(new Set(r.items).size, 2);
    for (const i of r.items) hits[i]!++;
  }
  for (const h of hits) assert.ok(h > 320 && h < 480, `${hits}`);
  // a stream split in three (as shards hold it), each part sampled, then the parts' samples
  // sampled again: the same items as sampling the whole stream in order
  const positions = Array.from({ length: 500 }, (_, i) => i * 7 + (i % 3) * 2 ** 33);
  const whole = new BottomK(10);
  for (const p of positions) whole.offer(p, samplePriority(42, p));
  const merged = new BottomK(10);
  for (let part = 0; part < 3; part++) {
    const r = new BottomK(10);
    for (const p of positions.filter((_, i) => i % 3 === part).reverse()) r.offer(p, samplePriority(42, p));
    for (const p of r.items) merged.offer(p, samplePriority(42, p));
  }
  assert.deepEqual(
    [...merged.items].sort((a, b) => a - b),
    [...whole.items].sort((a, b) => a - b),
  );
  // equal priorities keep the smaller item
  const tie = new BottomK(1);
  tie.offer(5, 7);
  tie.offer(3, 7);
  tie.offer(9, 7);
  assert.deepEqual(tie.items, [3]);
});
