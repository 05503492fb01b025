/**
 * Finding W_U in ONNX graphs the writer emits (tied and untied, Transpose nodes, external
 * data, fused genai-style graphs) and in hand-edited variants (fp16 behind a Cast, Gemm
 * with transB, soft-capped logits, an op the walk cannot follow), checked against the
 * writer's own weights: logits of a direction w are Σ_j w_j · γ_j · U[v, j] for HF-layout U
 * and the final norm's scale γ (folded into W_U as TransformerLens does).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { DataType, encodeModel, externalDataOf, onnx, readModel, toNumber, type ModelProto } from '../model/onnx/proto.ts';
import { writeModelFolder, type ModelSpec, type WrittenModel } from '#testing/model-writer/index.ts';
import { floatToHalf, halfToFloat } from '../util/halffloat.ts';
import { seededRandom } from '../util/random.ts';
import { topK } from './logits.ts';
import { findUnembedding, Unembedding } from './unembedding.ts';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'unembedding-'));
after(() => fs.rmSync(root, { recursive: true, force: true }));

let n = 0;
function write(spec: ModelSpec): WrittenModel {
  return writeModelFolder(path.join(root, `m${n++}`), spec);
}

interface HfUnembedding {
  readonly data: Float32Array;
  readonly vocab: number;
  readonly d: number;
  /** The final norm's scale as the model applies it (Gemma: 1 + w). */
  readonly gamma: Float32Array;
}

/** The HF-layout [vocab, d] unembedding the writer drew (lm_head.weight, else the tied embedding) and the final norm's scale. */
function hfUnembedding(m: WrittenModel): HfUnembedding {
  const w = m.weights.get('lm_head.weight') ?? m.weights.get('transformer.wte.weight') ?? m.weights.get('model.embed_tokens.weight')!;
  const norm = (m.weights.get('transformer.ln_f.weight') ?? m.weights.get('model.norm.weight'))!.data;
  const gamma = m.spec.family === 'gemma' ? norm.map((x) => 1 + x) : norm;
  return { data: w.data, vocab: toNumber(w.dims[0]), d: toNumber(w.dims[1]), gamma };
}

function direction(d: number, seed = 3): Float32Array {
  const r = seededRandom(seed);
  return Float32Array.from({ length: d }, () => r() * 2 - 1);
}

/** Σ_j w_j · γ_j · U[v, j] in float64 (γ left out with `fold: false`). */
function expected(u: HfUnembedding, w: Float32Array, round = (x: number) => x, fold = true): number[] {
  return Array.from({ length: u.vocab }, (_, v) => {
    let s = 0;
    for (let j = 0; j < u.d; j++) s += w[j]! * (fold ? u.gamma[j]! : 1) * round(u.data[v * u.d + j]!);
    return s;
  });
}

function close(got: Float32Array, want: number[]): void {
  assert.equal(got.length, want.length);
  let worst = 0;
  for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i]! - want[i]!));
  assert.ok(worst < 1e-4, `max difference ${worst}`);
}

function project(
  file: string,
  d: number,
  config: Record<string, unknown>,
  w: Float32Array,
  maxInMemory?: number,
): { out: Float32Array; how: string; gamma: Float32Array | undefined } {
  const info = findUnembedding(file, d, config);
  assert.ok(typeof info !== 'string', String(info));
  return { out: new Unembedding(info, maxInMemory).project(w), how: info.how, gamma: info.norm?.scale };
}

/** Rewrites a written model in place with `edit`. */
function editModel(file: string, edit: (m: ModelProto) => void): void {
  const { model } = readModel(file);
  edit(model);
  fs.writeFileSync(file, encodeModel(model));
}

const intAttr = (name: string, i: number) => onnx.AttributeProto.fromObject({ name, type: onnx.AttributeProto.AttributeType.INT, i });

const config = (m: WrittenModel): Record<string, unknown> =>
  JSON.parse(fs.readFileSync(path.join(path.dirname(m.modelFile), 'config.json'), 'utf8')) as Record<string, unknown>;

describe('findUnembedding on writer models', () => {
  const cases: [string, ModelSpec][] = [
    ['gpt2, tied, transposed copy', { family: 'gpt2' }],
    ['gpt2, tied, Transpose node', { family: 'gpt2', unembed: 'transpose-node' }],
    ['llama, untied lm_head', { family: 'llama' }],
    ['gemma, tied, Transpose node', { family: 'gemma', unembed: 'transpose-node' }],
    ['llama, fused genai-style graph', { family: 'llama', fused: true }],
  ];
  for (const [name, spec] of cases) {
    test(name, () => {
      const m = write(spec);
      const u = hfUnembedding(m);
      const w = direction(u.d);
      close(project(m.modelFile, u.d, config(m), w).out, expected(u, w));
    });
  }

  test('external data: streamed from model.onnx_data when over the in-memory limit, same values', () => {
    const m = write({ family: 'llama', externalData: true, vocab: 300 });
    const u = hfUnembedding(m);
    const w = direction(u.d);
    close(project(m.modelFile, u.d, config(m), w, 0).out, expected(u, w));
    close(project(m.modelFile, u.d, config(m), w).out, expected(u, w));
  });

  for (const external of [false, true]) {
    test(`fp16 weight behind a Cast (${external ? 'external data, streamed' : 'inline'})`, () => {
      const m = write({ family: 'llama', externalData: external });
      const u = hfUnembedding(m);
      const dir = path.dirname(m.modelFile);
      editModel(m.modelFile, (model) => {
        const g = model.graph!;
        const mm = g.node!.find((x) => x.output?.[0] === 'logits')!;
        const t = g.initializer!.find((x) => x.name === mm.input![1])!;
        const ext = externalDataOf(t);
        let raw: Uint8Array;
        if (ext) {
          const all = fs.readFileSync(path.join(dir, ext.get('location')!));
          const off = Number(ext.get('offset'));
          raw = all.subarray(off, off + Number(ext.get('length')));
        } else raw = t.rawData!;
        const f32 = new Float32Array(new Uint8Array(raw).buffer.slice(0));
        const half = new Uint16Array(f32.length);
        for (let i = 0; i < f32.length; i++) half[i] = floatToHalf(f32[i]!);
        t.dataType = DataType.FLOAT16;
        if (ext) {
          fs.writeFileSync(path.join(dir, 'w16.bin'), new Uint8Array(half.buffer));
          t.externalData = [
            { key: 'location', value: 'w16.bin' },
            { key: 'offset', value: '0' },
            { key: 'length', value: String(half.byteLength) },
          ];
        } else t.rawData = new Uint8Array(half.buffer);
        g.node!.push(
          onnx.NodeProto.fromObject({
            name: 'w_cast',
            opType: 'Cast',
            input: [t.name!],
            output: ['w_f32'],
            attribute: [intAttr('to', DataType.FLOAT)],
          }),
        );
        mm.input![1] = 'w_f32';
      });
      const w = direction(u.d);
      const want = expected(u, w, (x) => halfToFloat(floatToHalf(x)));
      close(project(m.modelFile, u.d, config(m), w, external ? 0 : undefined).out, want);
    });
  }

  test('Gemm with transB over the HF-layout weight, soft-capped logits (Div, Tanh, Mul)', () => {
    const m = write({ family: 'llama' });
    const u = hfUnembedding(m);
    editModel(m.modelFile, (model) => {
      const g = model.graph!;
      const mm = g.node!.find((x) => x.output?.[0] === 'logits')!;
      g.initializer!.push(
        onnx.TensorProto.fromObject({
          name: 'lm_head_vd',
          dims: [u.vocab, u.d],
          dataType: DataType.FLOAT,
          rawData: new Uint8Array(u.data.buffer.slice(0)),
        }),
      );
      g.initializer!.push(onnx.TensorProto.fromObject({ name: 'cap', dims: [], dataType: DataType.FLOAT, floatData: [30] }));
      mm.opType = 'Gemm';
      mm.input = [mm.input![0]!, 'lm_head_vd'];
      mm.attribute = [intAttr('transB', 1)];
      mm.output = ['pre_cap'];
      g.node!.push(
        onnx.NodeProto.fromObject({ opType: 'Div', input: ['pre_cap', 'cap'], output: ['capped'] }),
        onnx.NodeProto.fromObject({ opType: 'Tanh', input: ['capped'], output: ['tanh'] }),
        onnx.NodeProto.fromObject({ opType: 'Mul', input: ['tanh', 'cap'], output: ['logits'] }),
      );
    });
    const w = direction(u.d);
    const r = project(m.modelFile, u.d, config(m), w);
    close(r.out, expected(u, w));
    assert.match(r.how, /lm_head_vd \[\d+, \d+\] \(transB\), the weight of Gemm/);
  });

  test('an op the walk cannot follow: untied models say why (naming the file), tied ones fall back to the embedding', () => {
    const untied = write({ family: 'llama' });
    const tied = write({ family: 'gpt2' });
    for (const m of [untied, tied]) {
      editModel(m.modelFile, (model) => {
        const mm = model.graph!.node!.find((x) => x.output?.[0] === 'logits')!;
        mm.opType = 'MatMulNBits';
        mm.domain = 'com.microsoft';
      });
    }
    const u = hfUnembedding(untied);
    const why = findUnembedding(untied.modelFile, u.d, config(untied));
    assert.equal(typeof why, 'string');
    assert.match(String(why), new RegExp(`^${untied.modelFile.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: cannot find the unembedding`));
    assert.match(String(why), /MatMulNBits/);
    assert.match(String(why), /tie_word_embeddings: false/);
    const t = hfUnembedding(tied);
    const w = direction(t.d);
    const r = project(tied.modelFile, t.d, config(tied), w);
    close(r.out, expected(t, w));
    assert.match(r.how, /token embedding used transposed/);
  });
});

describe('the final norm scale folded into W_U', () => {
  for (const family of ['gpt2', 'llama', 'gemma'] as const)
    for (const norm of ['decomposed', 'op', 'fused'] as const) {
      test(`${family}, ${norm} norms: γ found and equal to the model's, logits equal Σ_j w_j γ_j U[v, j]`, () => {
        const m = write({ family, norm });
        const u = hfUnembedding(m);
        // the drawn scale is not all ones, so folding it changes the answer
        assert.ok(u.gamma.some((g) => Math.abs(g - 1) > 0.05));
        const w = direction(u.d);
        const r = project(m.modelFile, u.d, config(m), w);
        assert.ok(r.gamma, 'the final norm scale was found');
        assert.deepEqual(Array.from(r.gamma), Array.from(Float32Array.from(u.gamma)));
        close(r.out, expected(u, w));
      });
    }

  test('a Mul by a constant vector that is not a norm scale is not folded', () => {
    const m = write({ family: 'llama', norm: 'op' });
    const u = hfUnembedding(m);
    // an extra per-dimension scaling between the norm and lm_head: not the norm's own scale
    const c = direction(u.d, 9).map((x) => 1 + x / 2);
    editModel(m.modelFile, (model) => {
      const g = model.graph!;
      const mm = g.node!.find((x) => x.output?.[0] === 'logits')!;
      g.initializer!.push(
        onnx.TensorProto.fromObject({ name: 'extra', dims: [u.d], dataType: DataType.FLOAT, rawData: new Uint8Array(c.buffer.slice(0)) }),
      );
      g.node!.push(onnx.NodeProto.fromObject({ opType: 'Mul', input: [mm.input![0], 'extra'], output: ['scaled'] }));
      mm.input![0] = 'scaled';
    });
    const w = direction(u.d);
    const r = project(m.modelFile, u.d, config(m), w);
    assert.equal(r.gamma, undefined);
    close(r.out, expected(u, w, undefined, false));
  });
});

test('topK keeps the k largest (or smallest), ties by index', () => {
  const xs = Float32Array.from([3, -1, 7, 7, 0, -5, 2]);
  assert.deepEqual(topK(xs, 3, 1), [2, 3, 0]);
  assert.deepEqual(topK(xs, 2, -1), [5, 1]);
  assert.deepEqual(topK(xs, 10, 1), [2, 3, 0, 6, 4, 1, 5]);
});
