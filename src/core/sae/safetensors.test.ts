import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';

import { SaeFileError } from './errors.ts';
import { bf16ToFloat, floatToBf16, floatToHalf, halfToFloat } from '../util/halffloat.ts';
import { encodeSafetensors, parseSafetensors, readSafetensors, writeSafetensors } from './safetensors.ts';
import { randomNormal, seededRandom } from '#testing/sae/synthetic.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sae-safetensors-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** A safetensors file built by hand, with a header we control byte for byte. */
function handMade(header: unknown, data: Uint8Array, headerText?: string): Buffer {
  const json = Buffer.from(headerText ?? JSON.stringify(header), 'utf8');
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  return Buffer.concat([len, json, data]);
}

function expectFileError(fn: () => unknown, file: string, pattern: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof SaeFileError, `expected SaeFileError, got ${String(err)}`);
    assert.equal(err.file, file);
    assert.ok(err.message.startsWith(`${file}: `), err.message);
    assert.match(err.message, pattern);
    return true;
  });
}

describe('half-precision conversion', () => {
  test('known F16 bit patterns', () => {
    assert.equal(floatToHalf(1), 0x3c00);
    assert.equal(floatToHalf(-2.5), 0xc100);
    assert.equal(floatToHalf(65504), 0x7bff);
    assert.equal(floatToHalf(1e6), 0x7c00); // overflow → +Inf
    assert.equal(floatToHalf(2 ** -24), 0x0001); // smallest subnormal
    assert.equal(floatToHalf(2 ** -26), 0x0000); // below half of it → 0
    assert.equal(halfToFloat(0x3555), 0.333251953125);
    assert.ok(Number.isNaN(halfToFloat(0x7e00)));
    // 1 + 2^-11 is halfway between 1 and the next half (1 + 2^-10): ties to even → 1.
    assert.equal(floatToHalf(1 + 2 ** -11), 0x3c00);
    assert.equal(floatToHalf(1 + 3 * 2 ** -11), 0x3c02);
  });

  test('F16 round trip of every finite half is exact', () => {
    for (let h = 0; h < 0x10000; h++) {
      if ((h & 0x7c00) === 0x7c00) continue; // Inf / NaN
      assert.equal(floatToHalf(halfToFloat(h)), h === 0x8000 ? 0x8000 : h);
    }
  });

  test('known BF16 bit patterns, round to nearest even', () => {
    assert.equal(floatToBf16(1), 0x3f80);
    assert.equal(bf16ToFloat(0x3f80), 1);
    assert.equal(floatToBf16(-2.5), 0xc020);
    assert.equal(floatToBf16(1 + 2 ** -8), 0x3f80); // tie → even
    assert.equal(floatToBf16(1 + 3 * 2 ** -8), 0x3f82);
    assert.ok(Number.isNaN(bf16ToFloat(floatToBf16(NaN))));
  });
});

describe('safetensors', () => {
  const rand = seededRandom(7);
  const a = { data: randomNormal(rand, 6 * 5), shape: [6, 5] };
  const b = { data: randomNormal(rand, 5), shape: [5] };

  test('F32 round trip, views share the file buffer, __metadata__ ignored', () => {
    const file = path.join(tmp, 'f32.safetensors');
    writeSafetensors(file, { a, b });
    const st = readSafetensors(file);
    assert.deepEqual([...st.entries.keys()], ['a', 'b']);
    assert.deepEqual(st.metadata, { format: 'pt' });
    const ta = st.tensor('a');
    const tb = st.tensor('b');
    assert.deepEqual(ta.shape, [6, 5]);
    assert.deepEqual(ta.data, a.data);
    assert.deepEqual(tb.data, b.data);
    // Zero-copy: both tensors are views into the one buffer read from disk.
    assert.equal(ta.data.buffer, tb.data.buffer);
    assert.ok(ta.data.buffer.byteLength >= fs.statSync(file).size);
    assert.equal(st.entries.get('a')?.dtype, 'F32');
  });

  test('F16 and BF16 round trips are within rounding', () => {
    for (const [dtype, rel] of [
      ['F16', 2 ** -11],
      ['BF16', 2 ** -8],
    ] as const) {
      const file = path.join(tmp, `${dtype}.safetensors`);
      writeSafetensors(file, { a, b }, dtype);
      const st = readSafetensors(file);
      assert.equal(st.entries.get('a')?.dtype, dtype);
      assert.equal(st.entries.get('a')?.byteLength, 30 * 2); // two bytes per value on disk
      const got = st.tensor('a').data;
      for (let i = 0; i < got.length; i++) {
        const want = a.data[i]!;
        assert.ok(Math.abs(got[i]! - want) <= Math.abs(want) * rel + 1e-30, `${dtype}[${i}]: ${got[i]} vs ${want}`);
      }
    }
  });

  test('F64 is converted; unaligned data (header length not a multiple of 8) still reads', () => {
    // Pad the header so the data block starts at an odd offset: the reader must copy, not view.
    const oddHeader = (h: unknown): string => {
      let text = JSON.stringify(h);
      while ((8 + text.length) % 8 !== 1) text += ' ';
      return text;
    };
    const f64 = new Float64Array([1.5, -2.25, 3e-3]);
    const h1 = { x: { dtype: 'F64', shape: [3], data_offsets: [0, 24] }, __metadata__: { k: 'v' } };
    const t = parseSafetensors(handMade(h1, new Uint8Array(f64.buffer), oddHeader(h1)), 'f64').tensor('x');
    assert.deepEqual([...t.data], [1.5, -2.25, Math.fround(3e-3)]);

    const f32 = new Float32Array([1, 2, 3]);
    const h2 = { y: { dtype: 'F32', shape: [3], data_offsets: [0, 12] } };
    const y = parseSafetensors(handMade(h2, new Uint8Array(f32.buffer), oddHeader(h2)), 'odd').tensor('y');
    assert.deepEqual([...y.data], [1, 2, 3]);
  });

  test('a file shorter than 8 bytes', () => {
    const file = path.join(tmp, 'short.safetensors');
    fs.writeFileSync(file, Buffer.from([1, 2, 3]));
    expectFileError(() => readSafetensors(file), file, /3 bytes, shorter than the 8-byte header length/);
  });

  test('header length beyond the end of the file (truncated header)', () => {
    const full = encodeSafetensors({ a });
    const file = path.join(tmp, 'trunc-header.safetensors');
    fs.writeFileSync(file, full.subarray(0, 20));
    expectFileError(() => readSafetensors(file), file, /header length \d+ goes beyond the end of the file \(20 bytes/);
  });

  test('truncated data: offsets out of range', () => {
    const full = encodeSafetensors({ a, b });
    const file = path.join(tmp, 'trunc-data.safetensors');
    fs.writeFileSync(file, full.subarray(0, full.length - 10));
    expectFileError(() => readSafetensors(file), file, /tensor b: data_offsets \[120, 140\] out of range: the data block holds 130 bytes/);
  });

  test('offsets that do not match shape × dtype size', () => {
    const header = { w: { dtype: 'F32', shape: [2, 3], data_offsets: [0, 20] } };
    const file = path.join(tmp, 'mismatch.safetensors');
    fs.writeFileSync(file, handMade(header, new Uint8Array(24)));
    expectFileError(() => readSafetensors(file), file, /tensor w: data_offsets \[0, 20\] span 20 bytes but shape \[2, 3\] of F32 needs 24/);
  });

  test('invalid JSON header', () => {
    const file = path.join(tmp, 'badjson.safetensors');
    fs.writeFileSync(file, handMade(null, new Uint8Array(4), '{"w": {"dtype": "F32",'));
    expectFileError(() => readSafetensors(file), file, /header is not valid JSON/);
  });

  test('unknown dtype is refused; known non-float dtypes only when read', () => {
    const file = path.join(tmp, 'dtype.safetensors');
    fs.writeFileSync(file, handMade({ w: { dtype: 'F33', shape: [1], data_offsets: [0, 4] } }, new Uint8Array(4)));
    expectFileError(() => readSafetensors(file), file, /tensor w: unknown dtype "F33"/);

    const file2 = path.join(tmp, 'i64.safetensors');
    fs.writeFileSync(file2, handMade({ step: { dtype: 'I64', shape: [], data_offsets: [0, 8] } }, new Uint8Array(8)));
    const st = readSafetensors(file2);
    assert.equal(st.entries.get('step')?.dtype, 'I64');
    expectFileError(() => st.tensor('step'), file2, /tensor step has dtype I64; only F32, F16, BF16, F64 can be loaded/);
    expectFileError(() => st.tensor('nope'), file2, /tensor nope is missing/);
  });
});
