/**
 * Every export style the writer emits (GPT-NeoX parallel blocks in three add orders, Gemma-2 as
 * torch.onnx exports it, transformers.js quantization, onnxruntime-genai shared embeddings,
 * float16, and the sequential gpt2 / llama / gemma graphs), run in onnxruntime-node against the
 * float64 reference forward pass, with the writer's hook ground truth checked first and then
 * the hook locator (`locateHooks`) checked against it: same tensor, same value.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type ort from 'onnxruntime-node';
import { locateHooks, type HookSite as LocatedSite } from '../../core/model/onnx/hooks.ts';
import { DataType, readModel, toNumber, type GraphProto, type NodeProto } from '../../core/model/onnx/proto.ts';
import type { HookSite } from './hook-sites.ts';
import { cpuSession, floats, maxAbsDiff, runModel, withHookOutputs, writeWithOutputs } from './ort-harness.ts';
import { referenceForward } from './reference.ts';
import { hookNames, isParallel, type ModelSpec, type ResolvedSpec } from './spec.ts';
import { writeModelFolder, type WrittenModel } from './write-model.ts';

// "Hello, world" as bytes: token id = UTF-8 byte
const PROMPT = [72, 101, 108, 108, 111, 44, 32, 119, 111, 114, 108, 100];

/** Logits: absolute. Hooks: relative to max(1, max |reference|). */
interface Tolerance {
  readonly logits: number;
  readonly hooks: number;
}
const FP32: Tolerance = { logits: 1e-3, hooks: 1e-4 };
// the reference replays dynamic quantization exactly; a last-bit difference in an activation
// can still move one uint8 code on another CPU, so leave room for a few code steps
const INT8: Tolerance = { logits: 2e-2, hooks: 1e-2 };
const FP16: Tolerance = { logits: 5e-2, hooks: 1e-2 };

interface Style {
  readonly name: string;
  readonly spec: ModelSpec;
  readonly tol: Tolerance;
  /** Checks the layout the style imitates (node kinds, wiring, types). */
  readonly layout: (g: Graph, m: WrittenModel) => void;
}

/** A decoded graph with lookups. */
interface Graph {
  readonly proto: GraphProto;
  readonly node: (name: string) => NodeProto;
  readonly producer: (tensor: string) => NodeProto | undefined;
  readonly ops: (op: string) => NodeProto[];
  readonly init: (name: string) => number | undefined;
}

function graphOf(m: WrittenModel): Graph {
  const proto = readModel(m.modelFile).model.graph!;
  const nodes = proto.node ?? [];
  const byName = new Map(nodes.map((n) => [n.name ?? '', n]));
  const producer = new Map<string, NodeProto>();
  for (const n of nodes) for (const o of n.output ?? []) if (o) producer.set(o, n);
  const inits = new Map((proto.initializer ?? []).map((t) => [t.name ?? '', t.dataType ?? 0]));
  return {
    proto,
    node: (name) => {
      const n = byName.get(name);
      assert.ok(n, `no node ${name}`);
      return n;
    },
    producer: (t) => producer.get(t),
    ops: (op) => nodes.filter((n) => n.opType === op),
    init: (name) => inits.get(name),
  };
}

const T = (m: WrittenModel, hook: string): string => m.hookTensors[hook]!;

/** HF GPT-NeoX / GPT-J / `x + attn + mlp` add orders, read off the two residual Adds. */
function neoxAdds(order: [string, string, string]): Style['layout'] {
  return (g, m) => {
    for (let L = 0; L < m.spec.layers; L++) {
      const t: Record<string, string> = {
        x: T(m, `blocks.${L}.hook_resid_pre`),
        attn: T(m, `blocks.${L}.hook_attn_out`),
        mlp: T(m, `blocks.${L}.hook_mlp_out`),
      };
      const first = g.node(`/gpt_neox/layers.${L}/Add`);
      const second = g.node(`/gpt_neox/layers.${L}/Add_1`);
      assert.deepEqual(first.input, [t[order[0]], t[order[1]]]);
      assert.deepEqual(second.input, [first.output![0], t[order[2]]]);
      assert.equal(second.output![0], T(m, `blocks.${L}.hook_resid_post`));
    }
    // exact GELU, fused per-head qkv reshaped to [b, t, heads, 3·hd]
    assert.equal(g.ops('Erf').length, m.spec.layers);
    // partial rotary: the angle table covers rotaryDim / 2 frequencies
    const freq = g.node('/gpt_neox/Mul').input![1]!;
    const c = g.producer(freq)!.attribute![0]!.t!;
    assert.deepEqual(c.dims?.map(toNumber), [m.spec.rotaryDim / 2]);
  };
}

/** Gemma-2: every RMSNorm starts with a Cast to float; on float32 the residual Adds read that Cast. */
function gemma2Layout(g: Graph, m: WrittenModel): void {
  const s = m.spec;
  const casts = g.ops('Cast').filter((n) => /(_layernorm|\/model\/norm)\/Cast$/.test(n.name ?? ''));
  assert.equal(casts.length, 4 * s.layers + 1);
  for (const c of casts) assert.equal(toNumber(c.attribute?.[0]?.i), DataType.FLOAT);
  const add0 = g.node('/model/layers.0/Add');
  if (s.dtype === 'float32') {
    assert.equal(add0.input![0], '/model/layers.0/input_layernorm/Cast_output_0');
    assert.deepEqual(m.hookSites['blocks.0.hook_resid_pre']!.aliases, ['/model/layers.0/input_layernorm/Cast_output_0']);
  } else {
    assert.equal(add0.input![0], T(m, 'blocks.0.hook_resid_pre'));
    // norms cast back to float16 (type_as)
    assert.equal(g.producer(T(m, 'blocks.0.hook_attn_out'))!.opType, 'Cast');
  }
  // embeddings × √d, sandwich norms: attn_out / mlp_out are post-norm outputs feeding the Adds
  assert.equal(g.producer(T(m, 'blocks.0.hook_resid_pre'))!.name, '/model/Mul_1');
  assert.equal(add0.input![1], T(m, 'blocks.0.hook_attn_out'));
  assert.match(T(m, 'blocks.0.hook_mlp_out'), /post_feedforward_layernorm/);
  // attention soft-capping per layer, final soft-capping at the top scope
  assert.equal(g.ops('Tanh').filter((n) => /self_attn\/Tanh$/.test(n.name ?? '')).length, s.layers);
  assert.ok(g.node('/Tanh'));
  // heads · headDim ≠ d: z is wider than the residual stream
  assert.notEqual(s.heads * s.headDim, s.d);
}

/** transformers.js: Gather on a uint8 table, then DequantizeLinear keeping the Gather's output name. */
function quantEmbedding(table: string): Style['layout'] {
  return (g) => {
    const gather = g.ops('Gather').find((n) => n.input?.[0] === `${table}_quantized`);
    assert.ok(gather, 'Gather on the quantized table');
    assert.equal(g.init(`${table}_quantized`), DataType.UINT8);
    assert.equal(g.init(table), undefined);
    const dq = g.node(`${gather.name}_DequantizeLinear`);
    assert.deepEqual(dq.input, [gather.output![0], `${table}_scale`, `${table}_zero_point`]);
  };
}

/** onnxruntime dynamic quantization: every weight MatMul became DynamicQuantizeLinear → MatMulInteger → Cast → Mul. */
function int8Layout(table: string, weightMatMuls: (s: ResolvedSpec) => number): Style['layout'] {
  return (g, m) => {
    quantEmbedding(table)(g, m);
    const mi = g.ops('MatMulInteger');
    assert.equal(mi.length, weightMatMuls(m.spec));
    for (const n of mi) {
      assert.equal(g.producer(n.input![0]!)!.opType, 'DynamicQuantizeLinear');
      assert.equal(g.init(n.input![1]!), DataType.INT8);
    }
    // no float MatMul reads an initializer any more
    assert.ok(g.ops('MatMul').every((n) => g.init(n.input![1]!) === undefined));
    // z reaches the output projection through DynamicQuantizeLinear
    const z = m.hookSites['blocks.0.attn.hook_z']!;
    assert.equal(g.node(z.projection!).opType, 'MatMulInteger');
    assert.equal(g.producer(g.node(z.projection!).input![0]!)!.input![0], z.tensor);
  };
}

function fp16Layout(logits: 'float16' | 'float32'): Style['layout'] {
  return (g, m) => {
    const emb = [...m.weights.keys()].find((k) => /embed|wte/.test(k))!;
    assert.equal(g.init(emb), DataType.FLOAT16);
    const out = (g.proto.output ?? []).find((o) => o.name === 'logits')!;
    assert.equal(out.type?.tensorType?.elemType, logits === 'float16' ? DataType.FLOAT16 : DataType.FLOAT);
    if (logits === 'float32') assert.equal(g.producer('logits')!.opType, 'Cast');
    for (const o of g.proto.output ?? []) if (o.name?.startsWith('present.')) assert.equal(o.type?.tensorType?.elemType, DataType.FLOAT16);
  };
}

function sequentialLayout(g: Graph, m: WrittenModel): void {
  const mid = m.hookSites['blocks.0.hook_resid_mid']!;
  assert.ok(mid.op === 'Add' || /^Skip/.test(mid.op), mid.op);
  assert.ok(g.producer(T(m, 'blocks.0.attn.hook_z')));
}

const gemma2Spec = {
  family: 'gemma2',
  d: 32,
  heads: 4,
  kvHeads: 2,
  headDim: 16,
  layers: 3,
  queryPreAttnScalar: 24,
  attnSoftcap: 12,
  finalSoftcap: 15,
} as const;
const llamaMatMuls = (s: ResolvedSpec): number => 7 * s.layers + 1;

const STYLES: Style[] = [
  {
    name: 'neox (HF: Add(Add(mlp, attn), x))',
    spec: { family: 'neox', d: 32, heads: 2, layers: 3 },
    tol: FP32,
    layout: neoxAdds(['mlp', 'attn', 'x']),
  },
  {
    name: 'neox GPT-J/Phi order Add(Add(attn, mlp), x), LayerNormalization, no past',
    spec: { family: 'neox', d: 32, heads: 2, layers: 3, norm: 'op', parallelAdd: 'attn-mlp-x', withPast: false },
    tol: FP32,
    layout: neoxAdds(['attn', 'mlp', 'x']),
  },
  {
    name: 'neox x + attn + mlp: Add(Add(x, attn), mlp)',
    spec: { family: 'neox', d: 32, heads: 2, layers: 3, parallelAdd: 'x-attn-mlp', rotaryPct: 0.5 },
    tol: FP32,
    layout: neoxAdds(['x', 'attn', 'mlp']),
  },
  { name: 'gemma2 float32 (Casts, sandwich norms, soft-capping)', spec: gemma2Spec, tol: FP32, layout: gemma2Layout },
  {
    name: 'gemma2 float16, float32 logits',
    spec: { ...gemma2Spec, dtype: 'float16', logitsDtype: 'float32', withPast: false },
    tol: FP16,
    layout: (g, m) => {
      gemma2Layout(g, m);
      fp16Layout('float32')(g, m);
    },
  },
  {
    name: 'gemma2 genai shared embeddings Transpose → Gather',
    spec: { ...gemma2Spec, tiedEmbedding: 'transpose-gather' },
    tol: FP32,
    layout: (g, m) => {
      gemma2Layout(g, m);
      assert.equal(g.producer(g.node('/model/embed_tokens/Gather').input![0]!)!.opType, 'Transpose');
    },
  },
  {
    name: 'gemma fused genai shared embeddings Transpose → Gather',
    spec: { family: 'gemma', d: 32, layers: 3, fused: true, tiedEmbedding: 'transpose-gather' },
    tol: FP32,
    layout: (g) => {
      const t = g.producer(g.node('/model/embed_tokens/Gather').input![0]!)!;
      assert.deepEqual([t.opType, t.input![0]], ['Transpose', 'lm_head.MatMul.weight']);
      assert.equal(g.node('/lm_head/MatMul').input![1], 'lm_head.MatMul.weight');
      assert.equal(g.init('model.embed_tokens.weight'), undefined);
    },
  },
  {
    name: 'gemma fused genai 4-bit shared embeddings GatherBlockQuantized + MatMulNBits',
    spec: { family: 'gemma', d: 32, layers: 3, fused: true, tiedEmbedding: 'gather-block-quantized' },
    tol: FP32,
    layout: (g) => {
      const gbq = g.ops('GatherBlockQuantized')[0]!;
      assert.equal(gbq.domain, 'com.microsoft');
      const lm = g.node('/lm_head/MatMul_Q4');
      assert.equal(lm.opType, 'MatMulNBits');
      assert.equal(g.producer(gbq.input![0]!)!.input![0], lm.input![1]);
      assert.equal(g.ops('Gather').filter((n) => n.input?.[1] === 'input_ids').length, 0);
    },
  },
  {
    name: 'llama transformers.js uint8 embedding',
    spec: { family: 'llama', d: 32, layers: 3, quant: 'embedding' },
    tol: FP32,
    layout: quantEmbedding('model.embed_tokens.weight'),
  },
  {
    name: 'llama int8 dynamic quantization',
    spec: { family: 'llama', d: 32, layers: 3, quant: 'int8' },
    tol: INT8,
    layout: int8Layout('model.embed_tokens.weight', llamaMatMuls),
  },
  {
    name: 'gemma int8, tied lm_head quantized',
    spec: { family: 'gemma', d: 32, layers: 2, quant: 'int8', withPast: false },
    tol: INT8,
    layout: int8Layout('model.embed_tokens.weight', llamaMatMuls),
  },
  {
    name: 'gpt2 int8 dynamic quantization',
    spec: { family: 'gpt2', d: 32, layers: 3, quant: 'int8' },
    tol: INT8,
    layout: int8Layout('transformer.wte.weight', (s) => 4 * s.layers + 1),
  },
  {
    name: 'neox int8 dynamic quantization',
    spec: { family: 'neox', d: 32, heads: 2, layers: 2, quant: 'int8' },
    tol: INT8,
    layout: int8Layout('gpt_neox.embed_in.weight', (s) => 4 * s.layers + 1),
  },
  { name: 'llama float16', spec: { family: 'llama', d: 32, layers: 3, dtype: 'float16' }, tol: FP16, layout: fp16Layout('float16') },
  {
    name: 'llama fused float16, float32 logits',
    spec: { family: 'llama', d: 32, layers: 3, dtype: 'float16', fused: true, logitsDtype: 'float32' },
    tol: FP16,
    layout: fp16Layout('float32'),
  },
  {
    name: 'gpt2 fused float16, float32 logits',
    spec: { family: 'gpt2', d: 32, layers: 3, dtype: 'float16', fused: true, logitsDtype: 'float32' },
    tol: FP16,
    layout: fp16Layout('float32'),
  },
  {
    name: 'neox float16',
    spec: { family: 'neox', d: 32, heads: 2, layers: 2, dtype: 'float16' },
    tol: FP16,
    layout: fp16Layout('float16'),
  },
  ...(['gpt2', 'llama', 'gemma'] as const).flatMap((family) =>
    (['decomposed', 'op', 'fused'] as const).map((norm): Style => ({
      name: `${family} ${norm}`,
      spec: { family, norm, d: 32, layers: 3 },
      tol: FP32,
      layout: sequentialLayout,
    })),
  ),
];

let root: string;
before(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'writer-styles-'));
});
after(() => fs.rmSync(root, { recursive: true, force: true }));

/** Largest difference relative to max(1, max |want|). */
function relDiff(got: ArrayLike<number>, want: ArrayLike<number>): number {
  let scale = 1;
  for (let i = 0; i < want.length; i++) scale = Math.max(scale, Math.abs(want[i]!));
  return maxAbsDiff(got, want) / scale;
}

/** `value` + a folded bias broadcast over the last dimension. */
function plusBias(value: Float32Array, bias: Float32Array): Float32Array {
  return value.map((v, i) => v + bias[i % bias.length]!);
}

STYLES.forEach((style, i) => {
  describe(style.name, () => {
    let m: WrittenModel;
    let sess: ort.InferenceSession;
    let names: string[];
    before(async () => {
      m = writeModelFolder(path.join(root, `s${i}`), style.spec);
      sess = await cpuSession(m.modelFile);
      names = hookNames(m.spec);
    });

    test('logits match the reference forward pass', async () => {
      const ref = referenceForward(m.weights, m.spec, PROMPT);
      const out = await runModel(sess, m.spec, { ids: [PROMPT] });
      const diff = maxAbsDiff(out.logits, ref.logits);
      assert.ok(diff <= style.tol.logits, `max diff ${diff}`);
      // non-degenerate: logits spread, and not every position predicts the same token
      const V = m.spec.vocab;
      const argmax = PROMPT.map((_, t) => {
        const row = ref.logits.subarray(t * V, (t + 1) * V);
        return row.indexOf(Math.max(...row));
      });
      assert.ok(new Set(argmax).size > 1, `argmax ${argmax}`);
      const spread = Math.max(...ref.logits) - Math.min(...ref.logits);
      assert.ok(spread > 2 && spread < 200, `logit spread ${spread}`);
      // quantized weights matter: the float model is far outside the tolerance
      if (m.spec.quant !== 'none' || m.spec.tiedEmbedding === 'gather-block-quantized') {
        const plain = referenceForward(m.weights, { ...m.spec, quant: 'none', tiedEmbedding: 'gather' }, PROMPT);
        assert.ok(maxAbsDiff(plain.logits, ref.logits) > 5 * style.tol.logits, 'quantization has no effect');
      }
    });

    test('the graph is laid out as the imitated exporter does', () => {
      style.layout(graphOf(m), m);
    });

    test('ground truth: every hook site holds the reference value', async () => {
      assert.deepEqual(Object.keys(m.hookSites).sort(), [...names].sort());
      if (isParallel(m.spec.family)) assert.ok(!names.some((h) => h.endsWith('hook_resid_mid')));
      const copy = withHookOutputs(m.modelFile, m.hookSites);
      const out = await runModel(await cpuSession(copy.file), m.spec, { ids: [PROMPT] });
      const ref = referenceForward(m.weights, m.spec, PROMPT);
      for (const h of names) {
        const site = m.hookSites[h]!;
        let got = floats(out.outputs[copy.outputs.get(h)!]!);
        if (site.foldedBias) got = plusBias(got, m.weights.get(site.foldedBias.bias)!.data);
        const want = ref.hooks.get(h)!;
        assert.equal(got.length, want.length, h);
        assert.ok(relDiff(got, want) <= style.tol.hooks, `${h}: ${relDiff(got, want)}`);
      }
      // distinct hooks are distinct tensors (resid_post(L) is resid_pre(L + 1))
      const own = names.filter((h) => !/\.([1-9]\d*)\.hook_resid_pre$/.test(h));
      assert.equal(new Set(own.map((h) => m.hookSites[h]!.tensor)).size, own.length);
    });

    // --- the hook locator against the ground truth -------------------------------------------

    /** The model as the engine reads it, and where locateHooks puts each hook (it may name unnamed outputs). */
    const located = (): { graph: GraphProto; sites: Map<string, LocatedSite>; original: Set<string> } => {
      const graph = readModel(m.modelFile).model.graph!;
      const original = new Set((graph.node ?? []).flatMap((n) => n.output ?? []));
      const sites = new Map(locateHooks(graph).map((s) => [s.name, s]));
      return { graph, sites, original };
    };

    /** Whether `tensor` is the truth's tensor (or an alias); a folded bias may also be unfolded into a new tensor. */
    const sameTensor = (truth: HookSite, tensor: string, original: Set<string>): boolean =>
      tensor === truth.tensor || (truth.aliases ?? []).includes(tensor) || (!!truth.foldedBias && !original.has(tensor));

    const checkTensors = (hooks: string[]): void => {
      const { sites, original } = located();
      const wrong: string[] = [];
      for (const h of hooks) {
        const site = sites.get(h);
        const truth = m.hookSites[h]!;
        if (!site) wrong.push(`${h}: not located`);
        else if (!sameTensor(truth, site.tensor, original))
          wrong.push(`${h}: ${site.tensor} (expected ${[truth.tensor, ...(truth.aliases ?? [])].join(' or ')})`);
        else if (truth.projection && site.projection && site.projection.name !== truth.projection)
          wrong.push(`${h}: projection ${site.projection.name} (expected ${truth.projection})`);
      }
      assert.deepEqual(wrong, []);
    };

    test('locateHooks finds every residual hook at the ground-truth tensor', () => {
      checkTensors(names.filter((h) => h.includes('hook_resid_')));
    });

    test('locateHooks finds hook_attn_out, hook_mlp_out and attn.hook_z at the ground-truth tensors', () => {
      checkTensors(names.filter((h) => !h.includes('hook_resid_')));
    });

    if (isParallel(style.spec.family)) {
      test('locateHooks reports no hook_resid_mid in parallel blocks', () => {
        const { sites } = located();
        assert.deepEqual(
          [...sites.keys()].filter((h) => h.endsWith('hook_resid_mid')),
          [],
        );
        assert.ok(sites.size > 0, 'no hooks located at all');
      });
    }

    test('located sites carry their kind, layer and (for z) projection', () => {
      const { sites } = located();
      const wrong: string[] = [];
      for (const h of names) {
        const site = sites.get(h);
        const [, L, kind] = /^blocks\.(\d+)\.(.+)$/.exec(h)!;
        if (!site) wrong.push(`${h}: not located`);
        else if (site.kind !== kind || site.layer !== Number(L)) wrong.push(`${h}: kind ${String(site.kind)}, layer ${String(site.layer)}`);
        else if (kind === 'attn.hook_z' && site.projection?.name !== m.hookSites[h]!.projection)
          wrong.push(`${h}: projection ${site.projection?.name}`);
      }
      assert.deepEqual(wrong, []);
    });

    test('the located tensors hold the reference hook values', async () => {
      const { graph, sites } = located();
      const missing = names.filter((h) => !sites.has(h));
      assert.deepEqual(missing, [], 'hooks not located');
      const { model } = readModel(m.modelFile);
      model.graph = graph;
      const file = writeWithOutputs(
        model,
        path.join(path.dirname(m.modelFile), 'model.located.onnx'),
        names.map((h) => sites.get(h)!.tensor),
      );
      const out = await runModel(await cpuSession(file), m.spec, { ids: [PROMPT] });
      const ref = referenceForward(m.weights, m.spec, PROMPT);
      const wrong: string[] = [];
      for (const h of names) {
        const site = sites.get(h)!;
        const truth = m.hookSites[h]!;
        let got = floats(out.outputs[site.tensor]!);
        // the pre-bias tensor of a folded bias: the bias is part of the hook (a locator may instead unfold it)
        if (truth.foldedBias && site.tensor === truth.tensor) got = plusBias(got, m.weights.get(truth.foldedBias.bias)!.data);
        const want = ref.hooks.get(h)!;
        // z may be [B, T, H·D], [B·T, H·D] or [B, T, H, D]: with batch 1 the flat order is the same
        if (got.length !== want.length) wrong.push(`${h}: ${got.length} values, expected ${want.length}`);
        else if (relDiff(got, want) > style.tol.hooks) wrong.push(`${h}: off by ${relDiff(got, want).toExponential(2)}`);
      }
      assert.deepEqual(wrong, []);
    });
  });
});

describe('spec checks', () => {
  test('combinations no exporter writes are refused', () => {
    assert.throws(() => writeModelFolder(path.join(root, 'x1'), { family: 'gemma2', norm: 'fused' }), /decomposed norms only/);
    assert.throws(() => writeModelFolder(path.join(root, 'x2'), { family: 'llama', parallelAdd: 'attn-mlp-x' }), /parallel blocks/);
    assert.throws(() => writeModelFolder(path.join(root, 'x3'), { family: 'llama', quant: 'int8', dtype: 'float16' }), /float32/);
    assert.throws(() => writeModelFolder(path.join(root, 'x4'), { family: 'llama', tiedEmbedding: 'transpose-gather' }), /gemma/);
    assert.throws(
      () => writeModelFolder(path.join(root, 'x5'), { family: 'gpt2', quant: 'int8', unembed: 'transpose-node' }),
      /transposed initializer/,
    );
    assert.throws(
      () => writeModelFolder(path.join(root, 'x6'), { family: 'neox', d: 32, heads: 4, rotaryPct: 0.4 }),
      /even number of rotated/,
    );
  });
});
