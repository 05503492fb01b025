import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';

import { SaeFileError } from './errors.ts';
import { encodeNpy, parseNpy, readNpz, writeNpz } from './npz.ts';
import { randomNormal, seededRandom } from '#testing/sae/synthetic.ts';
import { encodeZip } from './zip.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sae-npz-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

function expectFileError(fn: () => unknown, file: string, pattern: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof SaeFileError, `expected SaeFileError, got ${String(err)}`);
    assert.ok(err.message.startsWith(`${file}: `), err.message);
    assert.match(err.message, pattern);
    return true;
  });
}

const rand = seededRandom(3);
const arrays = {
  W_enc: { data: randomNormal(rand, 4 * 12), shape: [4, 12] },
  b_dec: { data: randomNormal(rand, 4), shape: [4] },
  scalar: { data: new Float32Array([2.5]), shape: [] },
};

describe('npz round trips', () => {
  for (const deflate of [false, true]) {
    for (const zip64 of [false, true]) {
      test(`${deflate ? 'deflated' : 'stored'}${zip64 ? ', zip64 records' : ''}`, () => {
        const file = path.join(tmp, `rt-${deflate}-${zip64}.npz`);
        writeNpz(file, arrays, { deflate, zip64 });
        const raw = fs.readFileSync(file);
        // Stored members hold the .npy bytes verbatim; deflated ones do not.
        assert.equal(raw.includes(Buffer.from("'descr': '<f4'")), !deflate);
        const npz = readNpz(file);
        assert.deepEqual([...npz.names].sort(), ['W_enc', 'b_dec', 'scalar']);
        for (const [name, a] of Object.entries(arrays)) {
          const got = npz.array(name);
          assert.deepEqual(got.shape, a.shape, name);
          assert.deepEqual(got.data, a.data, name);
          assert.equal(got.dtype, '<f4');
        }
      });
    }
  }

  test('<f2 and <f8 arrays, npy format versions 1, 2 and 3', () => {
    for (const [dtype, rel] of [
      ['<f2', 2 ** -11],
      ['<f8', 2 ** -24],
    ] as const) {
      for (const npyVersion of [1, 2, 3] as const) {
        const file = path.join(tmp, `dt-${dtype.slice(1)}-${npyVersion}.npz`);
        writeNpz(file, { W_enc: arrays.W_enc }, { deflate: npyVersion === 2, dtype, npyVersion });
        const got = readNpz(file).array('W_enc');
        assert.equal(got.dtype, dtype);
        got.data.forEach((v, i) => {
          const want = arrays.W_enc.data[i]!;
          assert.ok(Math.abs(v - want) <= Math.abs(want) * rel, `${dtype} v${npyVersion}[${i}]: ${v} vs ${want}`);
        });
      }
    }
  });

  test('npy header: Python-2 longs in shape, 64-byte aligned header', () => {
    const npy = encodeNpy(new Float32Array(6), [2, 3]);
    assert.equal((10 + npy.readUInt16LE(8)) % 64, 0);
    const text = npy.toString('latin1').replace('(2, 3), }', '(2L,3L),}');
    const got = parseNpy(Buffer.from(text, 'latin1'), 'x.npz', 'a.npy');
    assert.deepEqual(got.shape, [2, 3]);
  });
});

describe('npz errors name the file and the entry', () => {
  test('not a zip at all', () => {
    const file = path.join(tmp, 'garbage.npz');
    fs.writeFileSync(file, Buffer.from('this is not a zip archive, just some text bytes'));
    expectFileError(() => readNpz(file), file, /not a zip archive/);
  });

  test('truncated archive', () => {
    const file = path.join(tmp, 'cut.npz');
    writeNpz(file, arrays, { deflate: false });
    const raw = fs.readFileSync(file);
    fs.writeFileSync(file, raw.subarray(0, raw.length - 30));
    expectFileError(() => readNpz(file), file, /not a zip archive|corrupt zip archive/);
  });

  test('corrupt deflated data is caught (inflate error or CRC mismatch)', () => {
    const file = path.join(tmp, 'crc.npz');
    writeNpz(file, { W_enc: arrays.W_enc }, { deflate: true });
    const raw = Buffer.from(fs.readFileSync(file));
    raw[60] = (raw[60] ?? 0) ^ 0xff; // inside the deflate stream of the only member
    fs.writeFileSync(file, raw);
    const npz = readNpz(file);
    expectFileError(() => npz.array('W_enc'), file, /entry W_enc\.npy: (cannot inflate|CRC mismatch|inflated to)/);
  });

  test('a member that is not a .npy (bad magic)', () => {
    const file = path.join(tmp, 'badmagic.npz');
    fs.writeFileSync(file, encodeZip([{ name: 'W_enc.npy', data: Buffer.from('PK not numpy at all') }], { deflate: false }));
    expectFileError(() => readNpz(file).array('W_enc'), file, /entry W_enc\.npy: not a \.npy array \(bad magic\)/);
  });

  test('a .npy with a garbled header dict', () => {
    const npy = encodeNpy(new Float32Array(6), [2, 3]);
    const text = npy.toString('latin1').replace("'shape'", "'shaep'");
    const file = path.join(tmp, 'badheader.npz');
    fs.writeFileSync(file, encodeZip([{ name: 'b_dec.npy', data: Buffer.from(text, 'latin1') }], { deflate: true }));
    expectFileError(() => readNpz(file).array('b_dec'), file, /entry b_dec\.npy: bad \.npy header/);
  });

  test('a .npy whose data is shorter than its shape', () => {
    const npy = encodeNpy(new Float32Array(6), [2, 3]);
    const file = path.join(tmp, 'short.npz');
    fs.writeFileSync(file, encodeZip([{ name: 'W.npy', data: npy.subarray(0, npy.length - 4) }], { deflate: false }));
    expectFileError(() => readNpz(file).array('W'), file, /entry W\.npy: shape \[2, 3\] of <f4 needs 24 data bytes but the entry holds 20/);
  });

  test('fortran_order: True is refused', () => {
    const npy = encodeNpy(new Float32Array(6), [2, 3]);
    const text = npy.toString('latin1').replace("'fortran_order': False", "'fortran_order': True ");
    const file = path.join(tmp, 'fortran.npz');
    fs.writeFileSync(file, encodeZip([{ name: 'W_dec.npy', data: Buffer.from(text, 'latin1') }], { deflate: false }));
    expectFileError(() => readNpz(file).array('W_dec'), file, /entry W_dec\.npy: array is stored in Fortran \(column-major\) order/);
  });

  test('unsupported dtype and missing array', () => {
    const npy = encodeNpy(new Float32Array(6), [2, 3]);
    const text = npy.toString('latin1').replace("'<f4'", "'>f4'");
    const file = path.join(tmp, 'bigendian.npz');
    fs.writeFileSync(file, encodeZip([{ name: 'W.npy', data: Buffer.from(text, 'latin1') }], { deflate: false }));
    const npz = readNpz(file);
    expectFileError(() => npz.array('W'), file, /entry W\.npy: unsupported dtype '>f4'/);
    expectFileError(() => npz.array('threshold'), file, /array threshold is missing \(archive holds: W\)/);
  });
});
