/**
 * Stored matrices read by blocks of rows: sub-byte rows that do not start on a byte (int4,
 * odd width), block-wise scales along rows, external data read by range at an offset, and
 * inline values in ONNX's typed fields (int32_data) instead of raw bytes.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { DataType, onnx } from '../model/onnx/proto.ts';
import { floatToHalf } from '../util/halffloat.ts';
import { dequantize, packLowFirst, quantize, randomValues } from '#testing/explorer/quant-fixtures.ts';
import { FloatMatrix, QuantMatrix, QuantType, readAll, TensorBytes } from './stored-matrix.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'stored-matrix-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

test('int4, 7 columns (rows straddle bytes), scales per block of 2 rows: any row range reads the same values', () => {
  const rows = 9;
  const cols = 7;
  const x = randomValues(rows * cols, 4);
  const codes: number[] = [];
  const want: number[] = [];
  const scales: number[] = [];
  const zps: number[] = [];
  // blocks of 2 rows × 1 column, quantized asymmetric in uint4 then stored as int4 codes − 8 with zero point − 8
  for (let r0 = 0; r0 < rows; r0 += 2)
    for (let c = 0; c < cols; c++) {
      const idx = [r0, r0 + 1].filter((r) => r < rows).map((r) => r * cols + c);
      const q = quantize(
        idx.map((i) => x[i]!),
        4,
        'asymmetric',
      );
      const d = dequantize(q);
      idx.forEach((i, j) => {
        codes[i] = q.codes[j]! - 8;
        want[i] = d[j]!;
      });
      scales.push(q.scale);
      zps.push(q.zeroPoint - 8);
    }
  const t = { name: 'q', dataType: QuantType.INT4, dims: [rows, cols], rawData: packLowFirst(codes, 4) };
  const m = new QuantMatrix(new TensorBytes(t, tmp), {
    rows,
    cols,
    bits: 4,
    signed: true,
    rowStride: cols,
    blockRows: 2,
    blockCols: 1,
    scales: Float32Array.from(scales),
    zeroPoints: Float32Array.from(zps),
  });
  const all = readAll(m);
  all.forEach((v, i) => assert.ok(Math.abs(v - want[i]!) < 1e-6, `element ${i}: ${v} vs ${want[i]}`));
  for (let r0 = 0; r0 < rows; r0++)
    for (let n = 1; r0 + n <= rows; n++) {
      const out = new Float32Array(n * cols);
      m.read(r0, n, out);
      assert.deepEqual(Array.from(out), Array.from(all.subarray(r0 * cols, (r0 + n) * cols)), `rows ${r0}..${r0 + n}`);
    }
});

test('external data at an offset and inline int32_data give the same bytes as inline raw data', () => {
  const bytes = Uint8Array.from({ length: 24 }, (_, i) => (i * 37) & 0xff);
  fs.writeFileSync(path.join(tmp, 'w.bin'), Buffer.concat([Buffer.alloc(100, 7), Buffer.from(bytes)]));
  const external = new TensorBytes(
    onnx.TensorProto.fromObject({
      name: 'e',
      dataType: DataType.UINT8,
      dims: [4, 6],
      dataLocation: onnx.TensorProto.DataLocation.EXTERNAL,
      externalData: [
        { key: 'location', value: 'w.bin' },
        { key: 'offset', value: '100' },
        { key: 'length', value: '24' },
      ],
    }),
    tmp,
  );
  const typed = new TensorBytes({ name: 't', dataType: DataType.UINT8, dims: [4, 6], int32Data: Array.from(bytes) }, tmp);
  assert.equal(external.length, 24);
  assert.deepEqual([...external.all()], [...bytes]);
  assert.deepEqual([...external.read(5, 11)], [...bytes.subarray(5, 11)]);
  assert.deepEqual([...typed.all()], [...bytes]);
  // float16 in int32_data (one value per entry)
  const f = randomValues(6, 8);
  const half = new FloatMatrix(
    new TensorBytes({ name: 'h', dataType: DataType.FLOAT16, dims: [2, 3], int32Data: Array.from(f, floatToHalf) }, tmp),
    2,
    3,
  );
  readAll(half).forEach((v, i) => assert.ok(Math.abs(v - f[i]!) < 1e-3));
});
