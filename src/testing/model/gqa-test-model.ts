/**
 * Test support: a tiny decoder shaped like an onnxruntime-genai export: `input_ids` and
 * `attention_mask` only (no position_ids), `past_key_values.N.key|value` whose head size is
 * the symbolic `kv_cache_dim` (and optionally a symbolic head count), com.microsoft
 * GroupQueryAttention fed seqlens_k / total_sequence_length computed from the mask, and a
 * plain-TypeScript forward pass of the same weights to check it against.
 */
import fs from 'node:fs';
import path from 'node:path';
import { GraphBuilder, attr, valueInfo } from '../../core/model/onnx/builder.ts';
import { DataType, encodeModel, type GraphProto } from '../../core/model/onnx/proto.ts';
import { seededRandom } from '../../core/util/random.ts';

export interface GqaSpec {
  readonly vocab: number;
  readonly d: number;
  readonly heads: number;
  readonly kvHeads: number;
  readonly headDim: number;
  readonly layers: number;
  /** Declare the KV head count symbolic too (`num_kv_heads`). */
  readonly symbolicHeads?: boolean;
  /** One packed QKV projection, the key and value inputs of GroupQueryAttention left empty (genai's default). */
  readonly packedQkv?: boolean;
}

interface Layer {
  readonly wq: Float32Array;
  readonly wk: Float32Array;
  readonly wv: Float32Array;
  readonly wo: Float32Array;
}

export interface GqaWeights {
  readonly emb: Float32Array;
  readonly layers: readonly Layer[];
  readonly wu: Float32Array;
}

function draw(n: number, rand: () => number, scale: number): Float32Array {
  return Float32Array.from({ length: n }, () => (rand() * 2 - 1) * scale);
}

/** Random weights for a spec (seeded). */
export function gqaWeights(s: GqaSpec, seed = 1): GqaWeights {
  const r = seededRandom(seed);
  const hd = s.heads * s.headDim;
  const kvd = s.kvHeads * s.headDim;
  return {
    emb: draw(s.vocab * s.d, r, 1),
    layers: Array.from({ length: s.layers }, () => ({
      wq: draw(s.d * hd, r, 0.5),
      wk: draw(s.d * kvd, r, 0.5),
      wv: draw(s.d * kvd, r, 0.5),
      wo: draw(hd * s.d, r, 0.3),
    })),
    wu: draw(s.d * s.vocab, r, 0.5),
  };
}

/** The ONNX graph of the spec (genai-style I/O, GroupQueryAttention per layer). */
export function gqaGraph(s: GqaSpec, w: GqaWeights): GraphProto {
  const b = new GraphBuilder('');
  const hd = s.heads * s.headDim;
  const kvd = s.kvHeads * s.headDim;
  const kvHeadsDim: number | string = s.symbolicHeads ? 'num_kv_heads' : s.kvHeads;
  const emb = b.floats('model.embed_tokens.weight', w.emb, [s.vocab, s.d]);
  let x = b.op('Gather', [emb, 'input_ids']);
  // seqlens_k = sum(mask) - 1 (int32), total_sequence_length = mask.shape[1] (int32 scalar), as genai computes them
  const sum = b.op('ReduceSum', ['attention_mask', b.int64s('axes', [1])], { keepdims: attr.int(0) });
  const seqlens = b.op('Cast', [b.op('Sub', [sum, b.int64s('one', [1], [])])], { to: attr.int(DataType.INT32) });
  const total = b.op('Cast', [b.op('Gather', [b.op('Shape', ['attention_mask']), b.int64s('idx1', [1], [])], { axis: attr.int(0) })], {
    to: attr.int(DataType.INT32),
  });
  const input = [
    valueInfo('input_ids', DataType.INT64, ['batch_size', 'sequence_length']),
    valueInfo('attention_mask', DataType.INT64, ['batch_size', 'total_sequence_length']),
  ];
  const output = [valueInfo('logits', DataType.FLOAT, ['batch_size', 'sequence_length', s.vocab])];
  w.layers.forEach((l, L) => {
    let qkv: [string, string, string];
    if (s.packedQkv) {
      // [d, hd + 2·kvd]: the q, k and v columns side by side
      const packed = new Float32Array(s.d * (hd + 2 * kvd));
      for (let i = 0; i < s.d; i++) {
        const row = i * (hd + 2 * kvd);
        packed.set(l.wq.subarray(i * hd, (i + 1) * hd), row);
        packed.set(l.wk.subarray(i * kvd, (i + 1) * kvd), row + hd);
        packed.set(l.wv.subarray(i * kvd, (i + 1) * kvd), row + hd + kvd);
      }
      qkv = [b.op('MatMul', [x, b.floats(`model.layers.${L}.attn.qkv_proj.MatMul.weight`, packed, [s.d, hd + 2 * kvd])]), '', ''];
    } else {
      qkv = [
        b.op('MatMul', [x, b.floats(`model.layers.${L}.attn.q_proj.MatMul.weight`, l.wq, [s.d, hd])]),
        b.op('MatMul', [x, b.floats(`model.layers.${L}.attn.k_proj.MatMul.weight`, l.wk, [s.d, kvd])]),
        b.op('MatMul', [x, b.floats(`model.layers.${L}.attn.v_proj.MatMul.weight`, l.wv, [s.d, kvd])]),
      ];
    }
    const past = [`past_key_values.${L}.key`, `past_key_values.${L}.value`];
    const present = [`present.${L}.key`, `present.${L}.value`];
    const [attn] = b.node(
      'GroupQueryAttention',
      [...qkv, past[0]!, past[1]!, seqlens, total],
      [b.name('attn_out'), present[0]!, present[1]!],
      {
        num_heads: attr.int(s.heads),
        kv_num_heads: attr.int(s.kvHeads),
      },
      'com.microsoft',
    );
    const o = b.op('MatMul', [attn!, b.floats(`model.layers.${L}.attn.o_proj.MatMul.weight`, l.wo, [hd, s.d])]);
    x = b.op('Add', [x, o]);
    for (const p of past) input.push(valueInfo(p, DataType.FLOAT, ['batch_size', kvHeadsDim, 'past_sequence_length', 'kv_cache_dim']));
    for (const p of present) output.push(valueInfo(p, DataType.FLOAT, ['batch_size', kvHeadsDim, 'total_sequence_length', 'kv_cache_dim']));
  });
  b.node('MatMul', [x, b.floats('lm_head.MatMul.weight', w.wu, [s.d, s.vocab])], ['logits']);
  const graph: GraphProto = { name: 'gqa-genai', input, output };
  b.commit(graph);
  return graph;
}

/** Writes model.onnx (and config.json when given) into `dir`; returns the model file. */
export function writeGqaModel(dir: string, s: GqaSpec, w: GqaWeights, config?: Record<string, unknown>): string {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'model.onnx');
  const model = {
    irVersion: 8,
    producerName: 'gqa-test-model',
    opsetImport: [
      { domain: '', version: 17 },
      { domain: 'com.microsoft', version: 1 },
    ],
    graph: gqaGraph(s, w),
  };
  fs.writeFileSync(file, encodeModel(model));
  if (config) fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(config));
  return file;
}

/** x [T, n] · W [n, m] → [T, m]. */
function matmul(x: Float64Array, T: number, n: number, W: Float32Array, m: number): Float64Array {
  const out = new Float64Array(T * m);
  for (let t = 0; t < T; t++)
    for (let i = 0; i < n; i++) {
      const a = x[t * n + i]!;
      for (let j = 0; j < m; j++) out[t * m + j]! += a * W[i * m + j]!;
    }
  return out;
}

/** Logits [T, vocab] of `ids` by plain causal grouped-query attention (float64). */
export function gqaReference(s: GqaSpec, w: GqaWeights, ids: readonly number[]): Float64Array {
  const T = ids.length;
  const { d, headDim: D } = s;
  let x = new Float64Array(T * d);
  ids.forEach((id, t) => {
    for (let j = 0; j < d; j++) x[t * d + j] = w.emb[id * d + j]!;
  });
  const group = s.heads / s.kvHeads;
  for (const l of w.layers) {
    const q = matmul(x, T, d, l.wq, s.heads * D);
    const k = matmul(x, T, d, l.wk, s.kvHeads * D);
    const v = matmul(x, T, d, l.wv, s.kvHeads * D);
    const z = new Float64Array(T * s.heads * D);
    for (let h = 0; h < s.heads; h++) {
      const g = Math.floor(h / group);
      for (let t = 0; t < T; t++) {
        const scores = Array.from({ length: t + 1 }, (_, u) => {
          let dot = 0;
          for (let e = 0; e < D; e++) dot += q[(t * s.heads + h) * D + e]! * k[(u * s.kvHeads + g) * D + e]!;
          return dot / Math.sqrt(D);
        });
        const m = Math.max(...scores);
        const p = scores.map((v2) => Math.exp(v2 - m));
        const zsum = p.reduce((a, c) => a + c, 0);
        for (let u = 0; u <= t; u++)
          for (let e = 0; e < D; e++) z[(t * s.heads + h) * D + e]! += (p[u]! / zsum) * v[(u * s.kvHeads + g) * D + e]!;
      }
    }
    const o = matmul(z, T, s.heads * D, l.wo, d);
    x = x.map((a, i) => a + o[i]!);
  }
  return matmul(x, T, d, w.wu, s.vocab);
}
