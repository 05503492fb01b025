import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';

import { repoRoot } from '#testing/fixtures.ts';
import { SaeFileError } from './errors.ts';
import { randomNormal, seededRandom } from '#testing/sae/synthetic.ts';
import { parseTorchStateDict, readTorchStateDict } from './torch.ts';
import { encodeTorchStateDict } from '#testing/sae/torch-writer.ts';
import { bf16ToFloat, floatToBf16, floatToHalf, halfToFloat } from '../util/halffloat.ts';
import { encodeZip, extractZipEntry, readZipEntries } from './zip.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sae-torch-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));
const realworld = path.resolve(repoRoot, '../shared/fixtures/reference-realworld');
const F = '/x/ae.pt';

function expectError(fn: () => unknown, pattern: RegExp, file = F): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof SaeFileError, String(err));
    assert.equal(err.file, file);
    assert.match(err.message, pattern);
    return true;
  });
}

/** The members of a zip, as name → bytes. */
function members(zip: Uint8Array): Map<string, Uint8Array> {
  return new Map(readZipEntries(zip, F).map((e) => [e.name, Uint8Array.from(extractZipEntry(zip, F, e))]));
}

describe('torch state_dict reader', () => {
  const rand = seededRandom(5);
  const w = randomNormal(rand, 6 * 4);

  test('reads back every dtype and a transposed (strided) storage as written', () => {
    const zip = encodeTorchStateDict({
      'encoder.weight': { data: w, shape: [6, 4] },
      'decoder.weight': { data: w, shape: [6, 4], transposedStorage: true },
      half: { data: w.subarray(0, 5), shape: [5], dtype: 'F16' },
      bf16: { data: w.subarray(0, 5), shape: [5], dtype: 'BF16' },
      f64: { data: w.subarray(0, 3), shape: [3], dtype: 'F64' },
      k: { data: [12], shape: [], dtype: 'I32' },
      steps: { data: [2 ** 40], shape: [1], dtype: 'I64' },
    });
    const sd = parseTorchStateDict(zip, F);
    assert.deepEqual([...sd.entries.keys()], ['encoder.weight', 'decoder.weight', 'half', 'bf16', 'f64', 'k', 'steps']);
    assert.deepEqual(sd.tensor('encoder.weight'), { data: w, shape: [6, 4] });
    assert.deepEqual(sd.entries.get('decoder.weight')?.stride, [1, 6]);
    assert.deepEqual(sd.tensor('decoder.weight').data, w, 'the strided view reads back row-major');
    assert.deepEqual(
      [...sd.tensor('half').data],
      [...w.subarray(0, 5)].map((v) => halfToFloat(floatToHalf(v))),
    );
    assert.deepEqual(
      [...sd.tensor('bf16').data],
      [...w.subarray(0, 5)].map((v) => bf16ToFloat(floatToBf16(v))),
    );
    assert.deepEqual(sd.tensor('f64').data, w.subarray(0, 3));
    assert.equal(sd.entries.get('k')?.dtype, 'I32');
    assert.deepEqual(sd.tensor('k'), { data: Float32Array.of(12), shape: [] });
    assert.equal(sd.tensor('steps').data[0], 2 ** 40);
  });

  test('reads the dictionary_learning fixtures with the shapes their config.json gives', () => {
    for (const name of ['rw-dictlearn-relu-gpt2-l2post', 'rw-dictlearn-topk-gpt2-l1post']) {
      const dir = path.join(realworld, name, 'sae');
      const cfg = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8')) as {
        trainer: { activation_dim: number; dict_size: number };
      };
      const { activation_dim: dIn, dict_size: dSae } = cfg.trainer;
      const sd = readTorchStateDict(path.join(dir, 'ae.pt'));
      assert.deepEqual(sd.tensor('encoder.weight').shape, [dSae, dIn], name);
      assert.deepEqual(sd.tensor('decoder.weight').shape, [dIn, dSae], name);
      assert.equal(sd.tensor('encoder.weight').data.length, dIn * dSae);
    }
  });

  test('refuses legacy files, big-endian archives and non-dict pickles', () => {
    expectError(() => parseTorchStateDict(Buffer.from('\x80\x02\x8a\x0alegacy', 'latin1'), F), /legacy PyTorch serialization/);
    expectError(() => parseTorchStateDict(Buffer.from('not a zip at all'), F), /not a PyTorch file/);
    const big = encodeTorchStateDict({ w: { data: w, shape: [24] } }, { byteorder: 'big' });
    expectError(() => parseTorchStateDict(big, F), /byteorder is "big"/);
    const notDict = encodeTorchStateDict({}, { pickle: Buffer.from('\x80\x02K\x01.', 'latin1') });
    expectError(() => parseTorchStateDict(notDict, F), /holds a pickled number, not a state_dict/);
  });

  test('refuses a storage that is missing or too short for its view', () => {
    const good = members(encodeTorchStateDict({ w: { data: w, shape: [6, 4] } }));
    const without = [...good].filter(([n]) => n !== 'archive/data/0').map(([name, data]) => ({ name, data }));
    expectError(
      () => parseTorchStateDict(encodeZip(without, { deflate: false }), F),
      /storage archive\/data\/0, which is not in the archive/,
    );
    const short = [...good].map(([name, data]) => ({ name, data: name === 'archive/data/0' ? data.subarray(0, 40) : data }));
    expectError(() => parseTorchStateDict(encodeZip(short, { deflate: false }), F), /holds 40 bytes but 24 × F32 needs 96/);
  });

  test('a file on disk that is unreadable is named', () => {
    const missing = path.join(tmp, 'nope.pt');
    expectError(() => readTorchStateDict(missing), /cannot read PyTorch file/, missing);
  });
});
