/**
 * Logit effects of `attn.hook_z` SAEs go through the block's output projection W_O:
 * W_dec[i] · W_O · diag(γ) · W_U. W_O is read from the projection node as a MatMul (with a
 * bias, which is left out), a Gemm with transB, a MatMulNBits, a MatMulInteger or a
 * DequantizeLinear'd MatMul; each graph runs in onnxruntime on the identity so its rows are
 * W_O, checked against the test's own dequantization. On writer models the whole product is
 * checked against the writer's weights, also through LogitEffects (which takes W_O from the
 * projection node of the hook site the locator finds).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import ort from 'onnxruntime-node';
import { loadSae } from '../sae/load.ts';
import { saeLensCfg, syntheticSaeTensors, writeSaeLensFolder } from '#testing/sae/synthetic.ts';
import { openModelFolder } from '../model/model-folder.ts';
import { GraphBuilder, attr, valueInfo } from '../model/onnx/builder.ts';
import { DataType, readModel } from '../model/onnx/proto.ts';
import { TextTokenizer } from '../model/tokenizer.ts';
import { writeModelFolder, type ModelFamily, type WrittenModel } from '#testing/model-writer/index.ts';
import { outputProjection, throughProjection } from './attn-projection.ts';
import { LogitEffects, type LogitEngine } from './logits.ts';
import { assertLogitEffects } from '#testing/explorer/logits-asserts.ts';
import { dequantize, packLowFirst, quantize, randomValues, rawTensor, writeGraph } from '#testing/explorer/quant-fixtures.ts';
import { findUnembedding, Unembedding } from './unembedding.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'attn-projection-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const HD = 32; // 4 heads × 8
const D = 24;

/** A projection graph: z [HD rows, HD] → y [HD, D]; returns W_O [HD][D] as the test dequantized it, and the bias added after it. */
interface Projection {
  readonly w: number[][];
  readonly bias?: Float32Array;
  readonly how: RegExp;
}

const zeros = (): number[][] => Array.from({ length: HD }, () => new Array<number>(D).fill(0));
const truth = randomValues(HD * D, 21); // [HD][D]

const builders: Record<string, (b: GraphBuilder) => Projection> = {
  'MatMul with a bias Add': (b) => {
    const bias = randomValues(D, 22);
    const y = b.op('MatMul', ['z', b.floats('o_proj.weight', truth, [HD, D])]);
    b.node('Add', [y, b.floats('o_proj.bias', bias, [D])], ['y']);
    return {
      w: Array.from({ length: HD }, (_, k) => Array.from(truth.subarray(k * D, (k + 1) * D))),
      bias,
      how: /o_proj\.weight \[32, 24\], the weight of MatMul/,
    };
  },
  'Gemm with transB and a bias': (b) => {
    const bias = randomValues(D, 23);
    const stored = Float32Array.from({ length: D * HD }, (_, i) => truth[(i % HD) * D + Math.floor(i / HD)]!); // [D, HD]
    b.node('Gemm', ['z', b.floats('c_proj.weight', stored, [D, HD]), b.floats('c_proj.bias', bias, [D])], ['y'], { transB: attr.int(1) });
    return { w: Array.from({ length: HD }, (_, k) => Array.from(truth.subarray(k * D, (k + 1) * D))), bias, how: /\(transB\)/ };
  },
  'MatMulNBits 4-bit with zero points': (b) => {
    const w = zeros();
    const rows: number[] = [];
    const scales: number[] = [];
    const zps: number[] = [];
    for (let n = 0; n < D; n++) {
      const rowZp: number[] = [];
      for (let k0 = 0; k0 < HD; k0 += 16) {
        const q = quantize(
          Array.from({ length: 16 }, (_, i) => truth[(k0 + i) * D + n]!),
          4,
          'asymmetric',
        );
        dequantize(q).forEach((x, i) => (w[k0 + i]![n] = x));
        rows.push(...packLowFirst(q.codes, 4));
        scales.push(q.scale);
        rowZp.push(q.zeroPoint);
      }
      zps.push(...packLowFirst(rowZp, 4));
    }
    const B = b.name('o_proj.B');
    const Z = b.name('o_proj.zp');
    b.initializers.push(
      rawTensor(B, DataType.UINT8, [D, HD / 16, 8], Uint8Array.from(rows)),
      rawTensor(Z, DataType.UINT8, [D, 1], Uint8Array.from(zps)),
    );
    b.node(
      'MatMulNBits',
      ['z', B, b.floats('o_proj.scales', Float32Array.from(scales), [D, HD / 16]), Z],
      ['y'],
      {
        K: attr.int(HD),
        N: attr.int(D),
        bits: attr.int(4),
        block_size: attr.int(16),
      },
      'com.microsoft',
    );
    return { w, how: /4-bit blocks of 16 of MatMulNBits/ };
  },
  'MatMulInteger, uint8 per-column scales and zero points': (b) => {
    const w = zeros();
    const codes = new Array<number>(HD * D);
    const scales: number[] = [];
    const zps: number[] = [];
    for (let n = 0; n < D; n++) {
      const q = quantize(
        Array.from({ length: HD }, (_, k) => truth[k * D + n]!),
        8,
        'asymmetric',
      );
      dequantize(q).forEach((x, k) => (w[k]![n] = x));
      q.codes.forEach((c, k) => (codes[k * D + n] = c));
      scales.push(q.scale);
      zps.push(q.zeroPoint);
    }
    const [zq, zs, zz] = b.node('DynamicQuantizeLinear', ['z'], 3);
    const Wq = b.name('o_proj.Wq');
    const Z = b.name('o_proj.zp');
    b.initializers.push(
      rawTensor(Wq, DataType.UINT8, [HD, D], Uint8Array.from(codes)),
      rawTensor(Z, DataType.UINT8, [D], Uint8Array.from(zps)),
    );
    const y = b.op('Cast', [b.op('MatMulInteger', [zq!, Wq, zz!, Z])], { to: attr.int(DataType.FLOAT) });
    b.node('Mul', [y, b.op('Mul', [zs!, b.floats('o_proj.scale', Float32Array.from(scales), [D])])], ['y']);
    return { w, how: /MatMulInteger.*per column/ };
  },
  'DequantizeLinear int8 per row, then MatMul': (b) => {
    const w = zeros();
    const codes: number[] = [];
    const scales: number[] = [];
    for (let k = 0; k < HD; k++) {
      const q = quantize(truth.subarray(k * D, (k + 1) * D), 8, 'signed');
      codes.push(...q.codes);
      scales.push(q.scale);
      dequantize(q).forEach((x, n) => (w[k]![n] = x));
    }
    const X = b.name('o_proj.q');
    b.initializers.push(rawTensor(X, DataType.INT8, [HD, D], packLowFirst(codes, 8)));
    const dq = b.op('DequantizeLinear', [X, b.floats('o_proj.scale', Float32Array.from(scales), [HD])], { axis: attr.int(0) });
    b.node('MatMul', ['z', dq], ['y']);
    return { w, how: /per axis 0/ };
  },
};

describe('W_O read from the projection node', () => {
  Object.entries(builders).forEach(([name, build], i) => {
    test(name, async () => {
      const b = new GraphBuilder('');
      const p = build(b);
      const file = writeGraph(path.join(tmp, `proj${i}`), b, {
        input: [valueInfo('z', DataType.FLOAT, [HD, HD])],
        output: [valueInfo('y', DataType.FLOAT, [HD, D])],
      });
      // onnxruntime on the identity: row k of y is row k of W_O (plus the bias)
      const s = await ort.InferenceSession.create(file, { executionProviders: ['cpu'], graphOptimizationLevel: 'disabled' });
      const eye = Float32Array.from({ length: HD * HD }, (_, j) => (j % (HD + 1) === 0 ? 1 : 0));
      const y = (await s.run({ z: new ort.Tensor('float32', eye, [HD, HD]) }))['y']!.data as Float32Array;
      await s.release();
      for (let k = 0; k < HD; k++)
        for (let n = 0; n < D; n++) {
          const got = y[k * D + n]! - (p.bias?.[n] ?? 0);
          assert.ok(Math.abs(got - p.w[k]![n]!) < 1e-5, `onnxruntime W_O[${k}, ${n}] = ${got}, the test's dequantization ${p.w[k]![n]}`);
        }
      const { model, dir } = readModel(file);
      const node = model.graph!.node!.find((n) => ['MatMul', 'Gemm', 'MatMulNBits', 'MatMulInteger'].includes(n.opType ?? ''))!;
      const wo = outputProjection(model.graph!, node, dir);
      assert.ok(typeof wo !== 'string', String(wo));
      assert.deepEqual([wo.inFeatures, wo.outFeatures], [HD, D]);
      assert.match(wo.how, p.how);
      for (let k = 0; k < HD; k++) for (let n = 0; n < D; n++) assert.ok(Math.abs(wo.data[k * D + n]! - p.w[k]![n]!) < 1e-6);
      const dirZ = randomValues(HD, 24);
      const resid = throughProjection(dirZ, wo);
      for (let n = 0; n < D; n++) {
        const want = dirZ.reduce((a, x, k) => a + x * p.w[k]![n]!, 0);
        assert.ok(Math.abs(resid[n]! - want) < 1e-5);
      }
    });
  });

  test('a projection whose weight cannot be read says so, naming the node', () => {
    const b = new GraphBuilder('');
    b.node('MatMul', ['z', 'w_input'], ['y']);
    const file = writeGraph(path.join(tmp, 'bad'), b, {
      input: [valueInfo('z', DataType.FLOAT, [HD, HD]), valueInfo('w_input', DataType.FLOAT, [HD, D])],
      output: [valueInfo('y', DataType.FLOAT, [HD, D])],
    });
    const { model, dir } = readModel(file);
    const r = outputProjection(model.graph!, model.graph!.node![0]!, dir);
    assert.equal(typeof r, 'string');
    assert.match(String(r), /^the attention output projection MatMul .*: w_input is a graph input, not a constant weight$/);
  });
});

/** W_dec row · W_O · diag(γ) · Uᵀ from the writer's HF-layout weights, float64. */
function brute(m: WrittenModel, layer: number, w: Float32Array): number[] {
  const d = m.spec.d;
  const gpt2 = m.spec.family === 'gpt2';
  const o = gpt2
    ? m.weights.get(`transformer.h.${layer}.attn.c_proj.weight`)!
    : m.weights.get(`model.layers.${layer}.self_attn.o_proj.weight`)!;
  // Conv1D stores [in, out]; nn.Linear [out, in]
  const wo = (k: number, j: number): number => (gpt2 ? o.data[k * d + j]! : o.data[j * d + k]!);
  const resid = Array.from({ length: d }, (_, j) => w.reduce((a, x, k) => a + x * wo(k, j), 0));
  const u = m.weights.get('lm_head.weight') ?? m.weights.get('transformer.wte.weight') ?? m.weights.get('model.embed_tokens.weight')!;
  const norm = (m.weights.get('transformer.ln_f.weight') ?? m.weights.get('model.norm.weight'))!.data;
  const gamma = Array.from(norm, (g) => (m.spec.family === 'gemma' ? 1 + g : g));
  return Array.from({ length: m.spec.vocab }, (_, v) => resid.reduce((a, x, j) => a + x * gamma[j]! * u.data[v * d + j]!, 0));
}

describe('hook_z logit effects on writer models: W_dec[i] · W_O · diag(γ) · W_U', () => {
  for (const family of ['gpt2', 'llama'] as ModelFamily[]) {
    test(`${family}: W_O from the o_proj / c_proj node, then the unembedding`, () => {
      const m = writeModelFolder(path.join(tmp, `w-${family}`), { family, layers: 2, seed: 12 });
      const { model, dir } = readModel(m.modelFile);
      const name = family === 'gpt2' ? '/transformer/h.1/attn/c_proj/MatMul' : '/model/layers.1/self_attn/o_proj/MatMul';
      const node = model.graph!.node!.find((n) => n.name === name)!;
      const wo = outputProjection(model.graph!, node, dir);
      assert.ok(typeof wo !== 'string', String(wo));
      const info = findUnembedding(m.modelFile, wo.outFeatures, {}, { read: { model, dir } });
      assert.ok(typeof info !== 'string', String(info));
      const w = randomValues(wo.inFeatures, 31);
      const got = new Unembedding(info).project(throughProjection(w, wo));
      const want = brute(m, 1, w);
      const worst = want.reduce((a, x, v) => Math.max(a, Math.abs(got[v]! - x)), 0);
      assert.ok(worst < 1e-4, `max difference ${worst}`);
    });
  }

  const HOOK = 'blocks.1.attn.hook_z';
  test('LogitEffects answers for an SAE at attn.hook_z (W_O from the hook site the locator names)', () => {
    for (const family of ['gpt2', 'llama'] as ModelFamily[]) {
      const m = writeModelFolder(path.join(tmp, `e-${family}`), { family, layers: 2, seed: 13 });
      const saeDir = path.join(tmp, `sae-${family}`);
      const dIn = m.spec.heads * m.spec.headDim;
      writeSaeLensFolder(
        saeDir,
        saeLensCfg({ architecture: 'standard', dIn, dSae: 40, hookName: HOOK, extra: { prepend_bos: false } }),
        syntheticSaeTensors({ architecture: 'standard', dIn, dSae: 40, seed: 3 }),
      );
      const folder = openModelFolder(path.dirname(m.modelFile));
      const engine: LogitEngine = {
        folder,
        sae: loadSae(saeDir),
        hook: HOOK,
        tokenizer: new TextTokenizer(folder.tokenizerJson, folder.tokenizerConfig, folder.config),
      };
      const effects = new LogitEffects();
      for (const id of [0, 7, 39]) {
        const row = engine.sae.params.W_dec.data.subarray(id * dIn, (id + 1) * dIn);
        assertLogitEffects(effects.effects(engine, id, 6), brute(m, 1, row), 6);
      }
    }
  });
});
