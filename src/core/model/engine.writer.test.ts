import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { loadSae } from '../sae/load.ts';
import { encodeSae } from '#testing/sae/reference.ts';
import { saeLensCfg, syntheticSaeTensors, writeGemmaScopeNpz, writeSaeLensFolder, writeSparsifyFolder } from '#testing/sae/synthetic.ts';
import type { SaeArchitecture } from '../sae/types.ts';
import { Engine } from './engine.ts';
import { locateHooks } from './onnx/hooks.ts';
import { onnx } from './onnx/proto.ts';
import { buildModel, referenceForward, writeModelFolder, type ModelFamily, type ModelSpec, type NormStyle } from '#testing/model-writer/index.ts';

/**
 * Cases the project builds with its own ONNX writer: GPT-2, Llama (GQA, RoPE) and Gemma
 * naming; decomposed, op and fused norms; with and without KV cache; every SAE format and
 * architecture, checked against the plain-TypeScript forward pass and SAE reference.
 */
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sae-engine-writer-'));
const cacheDir = path.join(tmp, 'cache');
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const families: ModelFamily[] = ['gpt2', 'llama', 'gemma'];
const norms: NormStyle[] = ['decomposed', 'op', 'fused'];

describe('hook location on every graph style the writer emits', () => {
  for (const family of families)
    for (const norm of norms)
      for (const withPast of [true, false])
        for (const trim of norm === 'fused' ? [false, true] : [false]) {
          test(`${family} ${norm} ${withPast ? 'kv' : 'no-kv'}${trim ? ' trimmed' : ''}`, () => {
            const built = buildModel({ family, norm, withPast, layers: 3, trimFinalSkipSum: trim });
            // decode from bytes, as the engine does
            const model = onnx.ModelProto.decode(onnx.ModelProto.encode(onnx.ModelProto.fromObject(built.model)).finish());
            const sites = locateHooks(model.graph!);
            assert.equal(sites.length, 3 * 6, 'resid pre/mid/post, attn_out, mlp_out, hook_z per block');
            for (const s of sites) {
              const truth = built.hookSites[s.name]!;
              if (truth.foldedBias) assert.equal(s.fusedNode?.name, truth.foldedBias.node, `${s.name}: the bias lives in the fused node`);
              if (truth.tensor)
                assert.ok([truth.tensor, ...(truth.aliases ?? [])].includes(s.tensor), `${s.name}: ${s.tensor} vs ${truth.tensor}`);
              else {
                const node = model.graph!.node!.find((n) => n.name === truth.node)!;
                assert.equal(node.output![truth.output], s.tensor, `${s.name} named on ${truth.node}`);
              }
            }
          });
        }
});

interface SaeCase {
  readonly name: string;
  readonly architecture: SaeArchitecture;
  readonly format: 'saelens' | 'saelens-v6' | 'sparsify' | 'gemmascope' | 'gemmascope-deflate';
  readonly normalize?: 'none' | 'constant_norm_rescale' | 'layer_norm';
  readonly dtype?: 'F32' | 'F16' | 'BF16';
}

const saeCases: SaeCase[] = [
  { name: 'standard', architecture: 'standard', format: 'saelens' },
  { name: 'topk-v6', architecture: 'topk', format: 'saelens-v6' },
  { name: 'jumprelu-bf16', architecture: 'jumprelu', format: 'saelens', dtype: 'BF16' },
  { name: 'gated-f16', architecture: 'gated', format: 'saelens', dtype: 'F16' },
  { name: 'switch', architecture: 'switch', format: 'saelens' },
  { name: 'sparsify-topk', architecture: 'topk', format: 'sparsify' },
  { name: 'gemmascope', architecture: 'jumprelu', format: 'gemmascope' },
  { name: 'gemmascope-deflate', architecture: 'jumprelu', format: 'gemmascope-deflate' },
  { name: 'standard-layernorm', architecture: 'standard', format: 'saelens', normalize: 'layer_norm' },
  { name: 'topk-cnr', architecture: 'topk', format: 'saelens', normalize: 'constant_norm_rescale' },
];

const D = 64;
const D_SAE = 128;
const K = 12;

/** Writes an SAE of the case's format; returns the path to hand the engine. */
function writeSae(c: SaeCase, hook: string, seed: number): string {
  const tensors = syntheticSaeTensors({ architecture: c.architecture, dIn: D, dSae: D_SAE, nExperts: 4, seed });
  const dir = path.join(tmp, `sae-${c.name}-${seed}`);
  if (c.format === 'sparsify') {
    writeSparsifyFolder(dir, tensors, K);
    return dir;
  }
  if (c.format.startsWith('gemmascope')) {
    const layer = /^blocks\.(\d+)\./.exec(hook)![1];
    const file = path.join(dir, `layer_${layer}`, 'width_128', 'params.npz');
    writeGemmaScopeNpz(file, tensors, { deflate: c.format === 'gemmascope-deflate' });
    return file;
  }
  const cfg = saeLensCfg({
    architecture: c.architecture,
    dIn: D,
    dSae: D_SAE,
    hookName: hook,
    ...(c.architecture === 'topk' || c.architecture === 'switch' ? { k: K } : {}),
    ...(c.architecture === 'switch' ? { nExperts: 4 } : {}),
    normalize: c.normalize ?? 'none',
    layout: c.format === 'saelens-v6' ? 'v6' : 'flat',
    extra: { prepend_bos: false },
  });
  writeSaeLensFolder(dir, cfg, tensors, c.dtype ?? 'F32');
  return dir;
}

describe('encode matches the TypeScript reference for every format, family and norm style', () => {
  const models = new Map<string, ReturnType<typeof writeModelFolder>>();
  const modelFor = (family: ModelFamily, norm: NormStyle, withPast: boolean): ReturnType<typeof writeModelFolder> => {
    const key = `${family}-${norm}-${withPast}`;
    let m = models.get(key);
    if (!m) models.set(key, (m = writeModelFolder(path.join(tmp, key), { family, norm, withPast, layers: 3 })));
    return m;
  };
  const prompt = [...Buffer.from('The Größe café, 42!')];
  let i = 0;
  for (const family of families)
    for (const [j, sc] of saeCases.entries()) {
      // every SAE case on every family; norm styles, hooks and cache styles spread over them
      const norm = norms[(j + families.indexOf(family)) % norms.length]!;
      i++;
      const hooks = ['blocks.0.hook_resid_pre', 'blocks.1.hook_resid_mid', 'blocks.2.hook_resid_post', 'blocks.1.hook_resid_pre'];
      const hook = hooks[i % hooks.length]!;
      const withPast = i % 3 !== 0;
      test(`${family} ${norm} ${withPast ? 'kv' : 'no-kv'} · ${sc.name} @ ${hook}`, async () => {
        const m = modelFor(family, norm, withPast);
        const saePath = writeSae(sc, hook, i);
        const engine = await Engine.open({ model: path.dirname(m.modelFile), sae: saePath, hook, cacheDir });
        try {
          const tokens = await engine.encode(prompt, D_SAE);
          const x = referenceForward(m.weights, m.spec, prompt).hooks.get(hook)!;
          const ref = encodeSae(loadSae(saePath, { hook }), x, prompt.length);
          tokens.forEach((tok, t) => {
            const got = new Map(tok.latents);
            for (let j = 0; j < D_SAE; j++) {
              const want = ref[t * D_SAE + j]!;
              const have = got.get(j) ?? 0;
              assert.ok(Math.abs(have - want) <= 1e-3 * Math.max(1, Math.abs(want)), `token ${t} latent ${j}: ${have} vs ${want}`);
            }
          });
        } finally {
          await engine.close();
        }
      });
    }
});

describe('steering is the same in fused and unfused graphs of the same weights', () => {
  for (const family of families)
    for (const hook of ['blocks.0.hook_resid_pre', 'blocks.1.hook_resid_mid', 'blocks.2.hook_resid_post']) {
      test(`${family} @ ${hook}`, async () => {
        const sae = writeSae({ name: 'steer', architecture: 'topk', format: 'saelens' }, hook, 7);
        const prompt = [...Buffer.from('Hello there')];
        const results = [];
        for (const norm of ['decomposed', 'fused'] as const) {
          const m = writeModelFolder(path.join(tmp, `steer-${family}-${norm}-${hook}`), {
            family,
            norm,
            layers: 3,
            trimFinalSkipSum: norm === 'fused',
          });
          const engine = await Engine.open({ model: path.dirname(m.modelFile), sae, hook, cacheDir });
          try {
            const [first] = await engine.encode(prompt, 1);
            const feature = first!.latents[0]?.[0] ?? 0;
            results.push(
              await engine.compare(prompt, {
                maxNewTokens: 6,
                interventions: [
                  { feature, mode: 'clamp', value: 25 },
                  { feature: (feature + 1) % D_SAE, mode: 'add', value: 4 },
                ],
              }),
            );
          } finally {
            await engine.close();
          }
        }
        const [plain, fused] = results;
        assert.deepEqual(fused!.baseline.ids, plain!.baseline.ids);
        assert.deepEqual(fused!.steered.ids, plain!.steered.ids);
        fused!.steered.logprobs.forEach((v, j) => assert.ok(Math.abs(v - plain!.steered.logprobs[j]!) < 1e-3));
        assert.notDeepEqual(plain!.steered.ids, plain!.baseline.ids, 'the intervention changes the continuation');
      });
    }
});

/**
 * The export styles people download (parallel residual, Gemma-2 as HF exports it,
 * transformers.js uint8 / int8, genai tied embeddings, fp16), every hook kind: the engine's
 * latents equal the SAE reference applied to the plain forward pass's hook values, and a
 * steered run changes the continuation.
 */
describe('every hook kind on every export style matches the plain forward pass', () => {
  const styles: { name: string; spec: ModelSpec; tol: number }[] = [
    { name: 'neox', spec: { family: 'neox', layers: 3 }, tol: 1e-3 },
    { name: 'neox attn-mlp-x', spec: { family: 'neox', layers: 3, parallelAdd: 'attn-mlp-x' }, tol: 1e-3 },
    { name: 'neox x-attn-mlp', spec: { family: 'neox', layers: 3, parallelAdd: 'x-attn-mlp' }, tol: 1e-3 },
    { name: 'gemma2', spec: { family: 'gemma2', layers: 3 }, tol: 1e-3 },
    { name: 'gemma2 wide heads', spec: { family: 'gemma2', layers: 3, headDim: 24 }, tol: 1e-3 },
    { name: 'llama uint8 embedding', spec: { family: 'llama', layers: 3, quant: 'embedding' }, tol: 1e-3 },
    { name: 'llama int8', spec: { family: 'llama', layers: 3, quant: 'int8' }, tol: 3e-2 },
    { name: 'gemma transpose-gather', spec: { family: 'gemma', layers: 3, tiedEmbedding: 'transpose-gather' }, tol: 1e-3 },
    { name: 'gemma gather-block-quantized', spec: { family: 'gemma', layers: 3, tiedEmbedding: 'gather-block-quantized' }, tol: 1e-3 },
    { name: 'llama fp16', spec: { family: 'llama', layers: 3, dtype: 'float16' }, tol: 3e-2 },
    { name: 'gpt2 fused (bias in the skip norm)', spec: { family: 'gpt2', layers: 3, norm: 'fused' }, tol: 1e-3 },
  ];
  const prompt = [...Buffer.from('Hello, world!')];
  for (const [si, st] of styles.entries()) {
    for (const kind of ['hook_resid_post', 'hook_attn_out', 'hook_mlp_out', 'attn.hook_z']) {
      const hook = `blocks.1.${kind}`;
      test(`${st.name} @ ${hook}`, async () => {
        const m = writeModelFolder(path.join(tmp, `style-${si}`), st.spec);
        const x = referenceForward(m.weights, m.spec, prompt).hooks.get(hook)!;
        const dIn = x.length / prompt.length;
        const sae = path.join(tmp, `style-sae-${si}-${kind}`);
        const cfg = saeLensCfg({ architecture: 'standard', dIn, dSae: D_SAE, hookName: hook, extra: { prepend_bos: false } });
        writeSaeLensFolder(sae, cfg, syntheticSaeTensors({ architecture: 'standard', dIn, dSae: D_SAE, seed: 11 + si }));
        const engine = await Engine.open({ model: path.dirname(m.modelFile), sae, hook, cacheDir });
        try {
          const tokens = await engine.encode(prompt, D_SAE);
          const ref = encodeSae(engine.sae, Float32Array.from(x), prompt.length);
          let scale = 0;
          for (const v of ref) scale = Math.max(scale, Math.abs(v));
          tokens.forEach((tok, t) => {
            const got = new Map(tok.latents);
            for (let j = 0; j < D_SAE; j++) {
              const want = ref[t * D_SAE + j]!;
              const have = got.get(j) ?? 0;
              assert.ok(Math.abs(have - want) <= st.tol * Math.max(1, scale), `token ${t} latent ${j}: ${have} vs ${want}`);
            }
          });
          const feature = tokens[1]!.latents[0]?.[0] ?? 0;
          const { baseline, steered } = await engine.compare(prompt, {
            maxNewTokens: 4,
            interventions: [{ feature, mode: 'add', value: 40 }],
          });
          assert.ok(baseline.logprobs.every(Number.isFinite) && steered.logprobs.every(Number.isFinite));
          assert.notDeepEqual(steered.logprobs, baseline.logprobs, 'steering changes the continuation');
        } finally {
          await engine.close();
        }
      });
    }
  }
});
