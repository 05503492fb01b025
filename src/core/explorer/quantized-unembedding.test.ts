/**
 * Quantized unembeddings on small real graphs: an lm_head as com.microsoft MatMulNBits (4-
 * and 8-bit, with and without zero points, K padded to whole blocks), as MatMulInteger with
 * its scale after it, as a DequantizeLinear'd initializer (per axis, per tensor, int4
 * blocks behind a Transpose); and tied embeddings stored as a uint8/int8 table gathered then
 * dequantized, as GatherBlockQuantized (behind a Reshape, with and without zero points) and
 * as a float table behind a Transpose. Every graph runs in onnxruntime first, so the test's
 * own dequantization (from the codes it chose) is checked against the real ops; the logit
 * effects are then checked against it.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import ort from 'onnxruntime-node';
import { GraphBuilder, attr, valueInfo } from '../model/onnx/builder.ts';
import { DataType } from '../model/onnx/proto.ts';
import { dequantize, packLowFirst, quantize, randomValues, rawTensor, writeGraph } from '#testing/explorer/quant-fixtures.ts';
import { QuantType } from './stored-matrix.ts';
import { findUnembedding, Unembedding } from './unembedding.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'quant-unembed-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const V = 40;
const D = 48;
const EPS = 1e-6;
const emb = randomValues(V * D, 2);
const gamma = randomValues(D, 3).map((x) => 1 + x / 2);
const MS = 'com.microsoft';

/** What a case builds: the effective W_U [D][V] (x · W) it dequantizes to, and how to check it against onnxruntime. */
interface Built {
  readonly w: number[][];
  /** `logits`: compare the graph's logits with rmsnorm(emb) · γ · W; `embedded`: compare the gathered rows with Wᵀ. */
  readonly check: 'logits' | 'embedded';
  readonly folded: boolean;
  readonly how: RegExp;
  /** Largest |ORT − reference| allowed, as a fraction of the reference's range (dynamic activation quantization is lossy). */
  readonly tolerance?: number;
}

const zeros = (): number[][] => Array.from({ length: D }, () => new Array<number>(V).fill(0));

/** input_ids → float Gather → SimplifiedLayerNormalization(γ): the hidden state an lm_head case reads. */
function normedFloat(b: GraphBuilder): string {
  const x = b.op('Gather', [b.floats('embed', emb, [V, D]), 'input_ids']);
  return b.op('SimplifiedLayerNormalization', [x, b.floats('final_norm.weight', gamma, [D])], {
    axis: attr.int(-1),
    epsilon: attr.float(EPS),
  });
}

/** A tied case's head: the norm and an Einsum against the dequantized table (an op the walk does not follow). */
function einsumHead(b: GraphBuilder, x: string, w: number[][]): void {
  const h = b.op('SimplifiedLayerNormalization', [x, b.floats('final_norm.weight', gamma, [D])], {
    axis: attr.int(-1),
    epsilon: attr.float(EPS),
  });
  const table = Float32Array.from({ length: V * D }, (_, i) => w[i % D]![Math.floor(i / D)]!);
  b.node('Einsum', [h, b.floats('head', table, [V, D])], ['logits'], { equation: attr.string('btd,vd->btv') });
}

function matMulNBits(bits: number, block: number, withZp: boolean): (b: GraphBuilder) => Built {
  return (b) => {
    const truth = randomValues(D * V, 5); // [D][V]
    const kb = Math.ceil(D / block);
    const w = zeros();
    const rows: Uint8Array[] = [];
    const scales: number[] = [];
    const zps: Uint8Array[] = [];
    for (let n = 0; n < V; n++) {
      const codes: number[] = [];
      const rowZp: number[] = [];
      for (let k0 = 0; k0 < kb * block; k0 += block) {
        const vals = Array.from({ length: Math.min(block, D - k0) }, (_, i) => truth[(k0 + i) * V + n]!);
        const q = quantize(vals, bits, withZp ? 'asymmetric' : 'symmetric-unsigned');
        dequantize(q).forEach((v, i) => (w[k0 + i]![n] = v));
        codes.push(...q.codes, ...new Array<number>(block - vals.length).fill(0));
        scales.push(q.scale);
        rowZp.push(q.zeroPoint);
      }
      rows.push(packLowFirst(codes, bits));
      zps.push(packLowFirst(rowZp, bits));
    }
    const B = b.name('lm_head.B');
    const S = b.floats('lm_head.scales', Float32Array.from(scales), [V, kb]);
    b.initializers.push(rawTensor(B, DataType.UINT8, [V, kb, (block * bits) / 8], Uint8Array.from(rows.flatMap((r) => [...r]))));
    const ins = [normedFloat(b), B, S];
    if (withZp) {
      const Z = b.name('lm_head.zp');
      b.initializers.push(rawTensor(Z, DataType.UINT8, [V, zps[0]!.length], Uint8Array.from(zps.flatMap((r) => [...r]))));
      ins.push(Z);
    }
    b.node('MatMulNBits', ins, ['logits'], { K: attr.int(D), N: attr.int(V), bits: attr.int(bits), block_size: attr.int(block) }, MS);
    return { w, check: 'logits', folded: true, how: new RegExp(`${bits}-bit blocks of ${block} of MatMulNBits`) };
  };
}

function matMulInteger(signed: boolean): (b: GraphBuilder) => Built {
  return (b) => {
    const truth = randomValues(D * V, 6);
    const w = zeros();
    const codes = new Array<number>(D * V);
    const scales: number[] = [];
    const zps: number[] = [];
    const columns = signed
      ? [Array.from({ length: D * V }, (_, i) => i)]
      : Array.from({ length: V }, (_, v) => Array.from({ length: D }, (_, k) => k * V + v));
    for (const idx of columns) {
      const q = quantize(
        idx.map((i) => truth[i]!),
        8,
        signed ? 'signed' : 'asymmetric',
      );
      const deq = dequantize(q);
      idx.forEach((i, j) => {
        codes[i] = q.codes[j]!;
        w[Math.floor(i / V)]![i % V] = deq[j]!;
      });
      scales.push(q.scale);
      zps.push(q.zeroPoint);
    }
    const h = normedFloat(b);
    const [hq, hs, hz] = b.node('DynamicQuantizeLinear', [h], 3);
    const Wq = b.name('lm_head.Wq');
    b.initializers.push(rawTensor(Wq, signed ? DataType.INT8 : DataType.UINT8, [D, V], packLowFirst(codes, 8)));
    const ins = [hq!, Wq, hz!];
    if (!signed) {
      const Z = b.name('lm_head.zp');
      b.initializers.push(rawTensor(Z, DataType.UINT8, [V], Uint8Array.from(zps)));
      ins.push(Z);
    }
    const y = b.op('Cast', [b.op('MatMulInteger', ins)], { to: attr.int(DataType.FLOAT) });
    const s = b.op('Mul', [hs!, b.floats('lm_head.scale', Float32Array.from(scales), signed ? [] : [V])]);
    b.node('Mul', [y, s], ['logits']);
    return { w, check: 'logits', folded: true, how: /MatMulInteger/, tolerance: 0.03 };
  };
}

/** MatMul(h, DequantizeLinear(W)): int8 per column [D, V], uint8 per tensor [D, V], or int4 blocks of 16 on [V, D] behind a Transpose. */
function dequantized(kind: 'int8-axis' | 'uint8-tensor' | 'int4-blocks'): (b: GraphBuilder) => Built {
  return (b) => {
    const truth = randomValues(D * V, 7); // [D][V]
    const w = zeros();
    const h = normedFloat(b);
    const X = b.name('lm_head.q');
    let deq: string;
    if (kind === 'int4-blocks') {
      // stored [V, D] (the HF layout), quantized in blocks of 16 along D, transposed in-graph
      const codes: number[] = [];
      const scales: number[] = [];
      for (let v = 0; v < V; v++)
        for (let k0 = 0; k0 < D; k0 += 16) {
          const q = quantize(
            Array.from({ length: 16 }, (_, i) => truth[(k0 + i) * V + v]!),
            4,
            'signed',
          );
          codes.push(...q.codes);
          scales.push(q.scale);
          dequantize(q).forEach((x, i) => (w[k0 + i]![v] = x));
        }
      b.initializers.push(rawTensor(X, QuantType.INT4, [V, D], packLowFirst(codes, 4)));
      const dq = b.op('DequantizeLinear', [X, b.floats('lm_head.scales', Float32Array.from(scales), [V, D / 16])], {
        axis: attr.int(-1),
        block_size: attr.int(16),
      });
      deq = b.op('Transpose', [dq], { perm: attr.ints([1, 0]) });
    } else {
      const signed = kind === 'int8-axis';
      const groups = signed
        ? Array.from({ length: V }, (_, v) => Array.from({ length: D }, (_, k) => k * V + v))
        : [Array.from({ length: D * V }, (_, i) => i)];
      const codes = new Array<number>(D * V);
      const scales: number[] = [];
      const zps: number[] = [];
      for (const idx of groups) {
        const q = quantize(
          idx.map((i) => truth[i]!),
          8,
          signed ? 'signed' : 'asymmetric',
        );
        const d = dequantize(q);
        idx.forEach((i, j) => {
          codes[i] = q.codes[j]!;
          w[Math.floor(i / V)]![i % V] = d[j]!;
        });
        scales.push(q.scale);
        zps.push(q.zeroPoint);
      }
      b.initializers.push(rawTensor(X, signed ? DataType.INT8 : DataType.UINT8, [D, V], packLowFirst(codes, 8)));
      const S = b.floats('lm_head.scale', Float32Array.from(scales), signed ? [V] : []);
      const ins = [X, S];
      if (!signed) {
        const Z = b.name('lm_head.zp');
        b.initializers.push(rawTensor(Z, DataType.UINT8, [], Uint8Array.from(zps)));
        ins.push(Z);
      }
      deq = b.op('DequantizeLinear', ins, signed ? { axis: attr.int(1) } : {});
    }
    b.node('MatMul', [h, deq], ['logits']);
    const how = { 'int8-axis': /per axis 1/, 'uint8-tensor': /per tensor/, 'int4-blocks': /blocks of 16 along axis 1\), transposed/ }[kind];
    return { w, check: 'logits', folded: true, how };
  };
}

/** Tied: an integer table gathered by the ids, then dequantized per tensor (uint8 + zero point) or per column (int8). */
function gatherThenDequantize(signed: boolean): (b: GraphBuilder) => Built {
  return (b) => {
    const w = zeros();
    const groups = signed
      ? Array.from({ length: D }, (_, j) => Array.from({ length: V }, (_, v) => v * D + j))
      : [Array.from({ length: V * D }, (_, i) => i)];
    const codes = new Array<number>(V * D);
    const scales: number[] = [];
    const zps: number[] = [];
    for (const idx of groups) {
      const q = quantize(
        idx.map((i) => emb[i]!),
        8,
        signed ? 'signed' : 'asymmetric',
      );
      const d = dequantize(q);
      idx.forEach((i, j) => {
        codes[i] = q.codes[j]!;
        w[i % D]![Math.floor(i / D)] = d[j]!;
      });
      scales.push(q.scale);
      zps.push(q.zeroPoint);
    }
    const E = b.name('embed_tokens.q');
    b.initializers.push(rawTensor(E, signed ? DataType.INT8 : DataType.UINT8, [V, D], packLowFirst(codes, 8)));
    const ins = [b.op('Gather', [E, 'input_ids']), b.floats('embed_tokens.scale', Float32Array.from(scales), signed ? [D] : [])];
    if (!signed) {
      const Z = b.name('embed_tokens.zp');
      b.initializers.push(rawTensor(Z, DataType.UINT8, [], Uint8Array.from(zps)));
      ins.push(Z);
    }
    b.node('DequantizeLinear', ins, ['embedded'], signed ? { axis: attr.int(2) } : {});
    einsumHead(b, 'embedded', w);
    return { w, check: 'embedded', folded: false, how: /gathered then dequantized by DequantizeLinear.*token embedding used transposed/ };
  };
}

/** Tied: GatherBlockQuantized, uint8 data (4-bit, blocks of 16) stored [V, blocks, 8] behind a Reshape as genai writes it. */
function gatherBlockQuantized(withZp: boolean): (b: GraphBuilder) => Built {
  return (b) => {
    const w = zeros();
    const nb = D / 16;
    const rows: number[] = [];
    const scales: number[] = [];
    const zps: number[] = [];
    for (let v = 0; v < V; v++) {
      const codes: number[] = [];
      const rowZp: number[] = [];
      for (let k0 = 0; k0 < D; k0 += 16) {
        const q = quantize(emb.subarray(v * D + k0, v * D + k0 + 16), 4, withZp ? 'asymmetric' : 'symmetric-unsigned');
        dequantize(q).forEach((x, i) => (w[k0 + i]![v] = x));
        codes.push(...q.codes);
        scales.push(q.scale);
        rowZp.push(q.zeroPoint);
      }
      rows.push(...packLowFirst(codes, 4));
      zps.push(...packLowFirst(rowZp, 4)); // 3 blocks → 2 bytes a row
    }
    const Q = b.name('lm_head.MatMul.weight_Q4G16');
    b.initializers.push(rawTensor(Q, DataType.UINT8, [V, nb, 8], Uint8Array.from(rows)));
    const data = b.op('Reshape', [Q, b.int64s('shape', [V, D / 2])]);
    const ins = [data, 'input_ids', b.floats('lm_head.MatMul.weight_scale', Float32Array.from(scales), [V, nb])];
    if (withZp) {
      const Z = b.name('lm_head.MatMul.weight_zp');
      b.initializers.push(rawTensor(Z, DataType.UINT8, [V, Math.ceil(nb / 2)], Uint8Array.from(zps)));
      ins.push(Z);
    }
    b.node(
      'GatherBlockQuantized',
      ins,
      ['embedded'],
      { bits: attr.int(4), block_size: attr.int(16), gather_axis: attr.int(0), quantize_axis: attr.int(1) },
      MS,
    );
    einsumHead(b, 'embedded', w);
    return { w, check: 'embedded', folded: false, how: /4-bit blocks of 16 of GatherBlockQuantized/ };
  };
}

/** Tied, float: the table stored [D, V] (as genai ties lm_head.MatMul.weight) and gathered through a Transpose. */
function transposeGather(b: GraphBuilder): Built {
  const w = zeros();
  const stored = new Float32Array(D * V);
  for (let v = 0; v < V; v++) for (let j = 0; j < D; j++) stored[j * V + v] = w[j]![v] = emb[v * D + j]!;
  const t = b.op('Transpose', [b.floats('lm_head.MatMul.weight', stored, [D, V])], { perm: attr.ints([1, 0]) });
  b.node('Gather', [t, 'input_ids'], ['embedded']);
  einsumHead(b, 'embedded', w);
  return {
    w,
    check: 'embedded',
    folded: false,
    how: /lm_head\.MatMul\.weight \[48, 40\], transposed, the token embedding used transposed/,
  };
}

/** rmsnorm(emb[id]) · γ, float64. */
function hidden(id: number): number[] {
  const e = Array.from(emb.subarray(id * D, (id + 1) * D));
  const r = Math.sqrt(e.reduce((a, x) => a + x * x, 0) / D + EPS);
  return e.map((x, j) => (x / r) * gamma[j]!);
}

async function assertOrtAgrees(file: string, built: Built): Promise<void> {
  const ids = Array.from({ length: V }, (_, i) => i);
  // optimizations off: ORT may fuse DequantizeLinear → MatMul into a kernel that also quantizes the activations
  const s = await ort.InferenceSession.create(file, { executionProviders: ['cpu'], graphOptimizationLevel: 'disabled' });
  try {
    const out = await s.run({ input_ids: new ort.Tensor('int64', BigInt64Array.from(ids, BigInt), [1, V]) });
    const want: number[] = [];
    let got: Float32Array;
    if (built.check === 'logits') {
      got = out['logits']!.data as Float32Array;
      for (const id of ids) {
        const h = hidden(id);
        for (let v = 0; v < V; v++) want.push(h.reduce((a, x, j) => a + x * built.w[j]![v]!, 0));
      }
    } else {
      got = out['embedded']!.data as Float32Array;
      for (const id of ids) for (let j = 0; j < D; j++) want.push(built.w[j]![id]!);
    }
    const range = Math.max(...want) - Math.min(...want);
    const worst = want.reduce((m, x, i) => Math.max(m, Math.abs(got[i]! - x)), 0);
    assert.ok(
      worst <= (built.tolerance ?? 1e-5) * range,
      `onnxruntime disagrees with the test's dequantization by ${worst} (range ${range})`,
    );
  } finally {
    await s.release();
  }
}

const cases: [string, (b: GraphBuilder) => Built, Record<string, unknown>][] = [
  ['MatMulNBits 4-bit, zero points, blocks of 32 (K padded)', matMulNBits(4, 32, true), { tie_word_embeddings: false }],
  ['MatMulNBits 4-bit, no zero points, blocks of 16', matMulNBits(4, 16, false), { tie_word_embeddings: false }],
  ['MatMulNBits 8-bit, zero points, blocks of 16', matMulNBits(8, 16, true), { tie_word_embeddings: false }],
  ['MatMulInteger, uint8 weight with per-column scales and zero points', matMulInteger(false), { tie_word_embeddings: false }],
  ['MatMulInteger, int8 weight with one scale', matMulInteger(true), { tie_word_embeddings: false }],
  ['DequantizeLinear int8, per column', dequantized('int8-axis'), { tie_word_embeddings: false }],
  ['DequantizeLinear uint8, per tensor with a zero point', dequantized('uint8-tensor'), { tie_word_embeddings: false }],
  ['DequantizeLinear int4, blocks of 16, then Transpose', dequantized('int4-blocks'), { tie_word_embeddings: false }],
  ['tied: uint8 table, Gather then DequantizeLinear per tensor', gatherThenDequantize(false), {}],
  ['tied: int8 table, Gather then DequantizeLinear per column', gatherThenDequantize(true), {}],
  ['tied: GatherBlockQuantized 4-bit with zero points, data behind a Reshape', gatherBlockQuantized(true), {}],
  ['tied: GatherBlockQuantized 4-bit, default zero point', gatherBlockQuantized(false), {}],
  ['tied: float table behind a Transpose', transposeGather, {}],
];

describe('logit effects through quantized unembeddings', () => {
  cases.forEach(([name, build, config], i) => {
    test(name, async () => {
      const b = new GraphBuilder('');
      const built = build(b);
      const output = [valueInfo('logits', DataType.FLOAT, [1, 'seq', V])];
      if (built.check === 'embedded') output.push(valueInfo('embedded', DataType.FLOAT, [1, 'seq', D]));
      const file = writeGraph(path.join(tmp, `case${i}`), b, { input: [valueInfo('input_ids', DataType.INT64, [1, 'seq'])], output });
      await assertOrtAgrees(file, built);
      const info = findUnembedding(file, D, config);
      assert.ok(typeof info !== 'string', String(info));
      assert.match(info.how, built.how);
      assert.equal(info.vocab, V);
      assert.equal(info.norm !== undefined, built.folded);
      const dir = randomValues(D, 9);
      const want = Array.from({ length: V }, (_, v) =>
        dir.reduce((a, x, j) => a + x * (built.folded ? gamma[j]! : 1) * built.w[j]![v]!, 0),
      );
      for (const maxInMemory of [undefined, 0]) {
        const got = new Unembedding(info, maxInMemory).project(dir);
        const worst = want.reduce((m, x, v) => Math.max(m, Math.abs(got[v]! - x)), 0);
        assert.ok(worst < 1e-4, `max difference ${worst} (${maxInMemory === 0 ? 'streamed' : 'in memory'})`);
      }
    });
  });
});
