import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { loadSae } from '../sae/load.ts';
import { encodeSae } from '../sae/reference.ts';
import {
  saeLensCfg,
  syntheticSaeTensors,
  writeGemmaScopeNpz,
  writeSaeLensFolder,
  writeSparsifyFolder,
} from '../sae/synthetic.ts';
import type { SaeArchitecture } from '../sae/types.ts';
import { Engine } from './engine.ts';
import { locateHooks } from './onnx/hooks.ts';
import { onnx } from './onnx/proto.ts';
import { buildModel, referenceForward, writeModelFolder, type ModelFamily, type NormStyle } from './writer/index.ts';

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
            assert.equal(sites.length, 9);
            for (const s of sites) {
              const truth = built.hookSites[s.name]!;
              if (truth.tensor) assert.equal(s.tensor, truth.tensor, s.name);
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
          const m = writeModelFolder(path.join(tmp, `steer-${family}-${norm}-${hook}`), { family, norm, layers: 3, trimFinalSkipSum: norm === 'fused' });
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
