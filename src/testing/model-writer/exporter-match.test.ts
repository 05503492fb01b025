/**
 * The writer's neox, gemma2 and transformers.js-quantized graphs against real torch.onnx exports
 * of the same architectures (../shared/fixtures/reference-realworld): same residual wiring (the
 * residual Adds read tensors of the same names), same compute ops per block.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { readModel, type GraphProto, type NodeProto } from '../../core/model/onnx/proto.ts';
import { sharedRealworldDir } from '../fixtures.ts';
import type { ModelSpec } from './spec.ts';
import { writeModelFolder } from './write-model.ts';

type Config = Record<string, number>;

interface Case {
  readonly dir: string;
  readonly model: string;
  readonly spec: (c: Config) => ModelSpec;
  /** Maps the real export's names onto the writer's (transformers.js exports lack the /model scope). */
  readonly rename?: (name: string) => string;
  readonly block: string;
}

const CASES: Case[] = [
  {
    dir: 'rw-neox-topk-l1post',
    model: 'model/model.onnx',
    spec: (c) => ({
      family: 'neox',
      d: c['hidden_size'],
      heads: c['num_attention_heads'],
      layers: c['num_hidden_layers'],
      ffn: c['intermediate_size'],
      rotaryPct: c['rotary_pct'],
      eps: c['layer_norm_eps'],
    }),
    block: '/gpt_neox/layers.0/',
  },
  {
    dir: 'rw-gemma2-gemmascope-l1post',
    model: 'model/model.onnx',
    spec: (c) => ({
      family: 'gemma2',
      d: c['hidden_size'],
      heads: c['num_attention_heads'],
      kvHeads: c['num_key_value_heads'],
      headDim: c['head_dim'],
      layers: c['num_hidden_layers'],
      ffn: c['intermediate_size'],
      queryPreAttnScalar: c['query_pre_attn_scalar'],
      attnSoftcap: c['attn_logit_softcapping'],
      finalSoftcap: c['final_logit_softcapping'],
    }),
    block: '/model/layers.0/',
  },
  {
    dir: 'rw-llama-int8emb-standard-l2post',
    model: 'model/onnx/model_quantized.onnx',
    spec: (c) => ({
      family: 'llama',
      d: c['hidden_size'],
      heads: c['num_attention_heads'],
      kvHeads: c['num_key_value_heads'],
      layers: c['num_hidden_layers'],
      ffn: c['intermediate_size'],
      quant: 'embedding',
    }),
    rename: (n) => n.replace(/^\/(layers\.|embed_tokens)/, '/model/$1'),
    block: '/model/layers.0/',
  },
];

/** Ops that compute (shape plumbing — Shape, Gather, Unsqueeze, Concat, Constant — differs between exporters). */
const COMPUTE = ['MatMul', 'Softmax', 'Tanh', 'Erf', 'Pow', 'ReduceMean', 'Sqrt', 'Neg', 'Transpose'];

function opCounts(nodes: readonly NodeProto[], scope: string): Record<string, number> {
  const c: Record<string, number> = Object.fromEntries(COMPUTE.map((op) => [op, 0]));
  for (const n of nodes) if ((n.name ?? '').startsWith(scope) && (n.opType ?? '') in c) c[n.opType!]!++;
  return c;
}

const residualAdds = (g: GraphProto): NodeProto[] =>
  (g.node ?? []).filter((n) => n.opType === 'Add' && /layers\.\d+\/Add(_1)?$/.test(n.name ?? ''));

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'writer-exporter-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

for (const c of CASES) {
  const dir = path.join(sharedRealworldDir, c.dir);
  describe(`writer vs ${c.dir}`, { skip: !fs.existsSync(dir) && 'no realworld fixtures' }, () => {
    const load = (): { real: GraphProto; written: GraphProto } => {
      const cfg = JSON.parse(fs.readFileSync(path.join(dir, 'model', 'config.json'), 'utf8')) as Config;
      const m = writeModelFolder(path.join(tmp, c.dir), c.spec(cfg));
      return { real: readModel(path.join(dir, c.model)).model.graph!, written: readModel(m.modelFile).model.graph! };
    };

    test('the residual Adds read the same tensors as in the real export', () => {
      const { real, written } = load();
      const rename = c.rename ?? ((n: string) => n);
      const adds = residualAdds(real);
      assert.ok(adds.length >= 4, `${adds.length} residual Adds in the real export`);
      const mine = new Map(residualAdds(written).map((n) => [n.name, n]));
      assert.equal(mine.size, adds.length);
      for (const a of adds) {
        const w = mine.get(rename(a.name!));
        assert.ok(w, `writer has no ${rename(a.name!)}`);
        assert.deepEqual(w.input, a.input!.map(rename), a.name!);
      }
    });

    test('a block computes with the same ops', () => {
      const { real, written } = load();
      const rename = c.rename ?? ((n: string) => n);
      const realNodes = (real.node ?? []).map((n) => ({ ...n, name: rename(n.name ?? '') }));
      assert.deepEqual(opCounts(written.node ?? [], c.block), opCounts(realNodes, c.block));
    });

    if (c.dir.includes('int8emb')) {
      test('the embedding is a Gather on the uint8 table then DequantizeLinear, as in the real export', () => {
        const { real, written } = load();
        for (const g of [real, written]) {
          const dq = (g.node ?? []).find((n) => n.opType === 'DequantizeLinear')!;
          const gather = (g.node ?? []).find((n) => n.output?.[0] === dq.input?.[0])!;
          assert.deepEqual(gather.input, ['model.embed_tokens.weight_quantized', 'input_ids']);
          assert.deepEqual(dq.input?.slice(1), ['model.embed_tokens.weight_scale', 'model.embed_tokens.weight_zero_point']);
          const types = new Map((g.initializer ?? []).map((t) => [t.name, t.dataType]));
          assert.deepEqual([types.get('model.embed_tokens.weight_quantized'), types.get('model.embed_tokens.weight_zero_point')], [2, 2]);
        }
      });
    }
  });
}
