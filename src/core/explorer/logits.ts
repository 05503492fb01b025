/**
 * `feature.logits`: the tokens a feature's decoder direction promotes and suppresses most,
 * W_dec[i] · W_U (with the final norm's scale folded into W_U when found, see unembedding.ts).
 * For an SAE at `attn.hook_z` the direction first goes through the block's attention output
 * projection: W_dec[i] · W_O · diag(γ) · W_U (see attn-projection.ts).
 */
import fs from 'node:fs';
import type { FeatureLogits, LogitEffect } from '#shared/explorer-types.ts';
import type { Engine } from '../model/engine.ts';
import { locateHooks } from '../model/onnx/hooks.ts';
import { readModel, type ModelProto } from '../model/onnx/proto.ts';
import { outputProjection, throughProjection, type OutputProjection } from './attn-projection.ts';
import { logitHistogram } from './logit-histogram.ts';
import { findUnembedding, Unembedding } from './unembedding.ts';

/** What logit effects need of an engine: its model, SAE, hook and tokenizer. */
export type LogitEngine = Pick<Engine, 'folder' | 'sae' | 'hook' | 'tokenizer'>;

/** A model read once per computation (W_O and W_U come from the same file). */
type ReadOnce = () => { model: ModelProto; dir: string };

/** The `k` largest entries of `xs` (by `sign · x`), largest first; ties by index. */
export function topK(xs: Float32Array, k: number, sign: 1 | -1): number[] {
  const idx: number[] = [];
  const val: number[] = [];
  for (let i = 0; i < xs.length; i++) {
    const v = sign * xs[i]!;
    if (idx.length === k && v <= val[k - 1]!) continue;
    let at = idx.length;
    while (at > 0 && val[at - 1]! < v) at--;
    idx.splice(at, 0, i);
    val.splice(at, 0, v);
    if (idx.length > k) {
      idx.pop();
      val.pop();
    }
  }
  return idx;
}

/**
 * Hooks whose SAE directions live where W_U reads: the residual stream, and the attention /
 * MLP outputs that are added to it. Elsewhere (e.g. `mlp.hook_post`) a decoder row can have
 * d_model entries without being a residual direction.
 */
const RESIDUAL_HOOK = /^blocks\.\d+\.hook_(resid_(pre|mid|post)|attn_out|mlp_out)$/;
/** The per-head attention outputs, which reach the residual stream through W_O. */
const Z_HOOK = /^blocks\.\d+\.attn\.hook_z$/;

/** Why logit effects mean nothing for an SAE at `hook`, or undefined when they do. */
export function logitHookProblem(hook: string): string | undefined {
  if (RESIDUAL_HOOK.test(hook) || Z_HOOK.test(hook)) return undefined;
  return (
    `the SAE reads ${hook}, which is not the residual stream or an attention block's z: logit effects need an SAE at ` +
    'blocks.L.hook_resid_pre|mid|post, hook_attn_out, hook_mlp_out or attn.hook_z'
  );
}

/** Feature effects kept (revisiting a feature page answers from here). */
const EFFECTS_KEPT = 64;

/** Identifies a model file's contents: a model re-exported at the same path gets a new key. */
function fileKey(engine: LogitEngine): string {
  const file = engine.folder.onnxFile;
  const st = fs.statSync(file);
  return `${file}|${st.size}|${st.mtimeMs}`;
}

/**
 * Logit effects of features: the unembedding of the current model only (found and loaded once;
 * replaced when another model is asked about, so at most one W_U is held), the attention
 * output projection of the current hook_z SAE's block, and the effects of the last few
 * features asked about per (model, hook, SAE, feature, k).
 */
export class LogitEffects {
  #current: { key: string; u: Unembedding | string } | undefined;
  #projection: { key: string; wo: OutputProjection | string } | undefined;
  readonly #effects = new Map<string, FeatureLogits>();
  readonly #saeIds = new WeakMap<Engine['sae'], number>();
  #nextSae = 0;

  constructor(private readonly maxInMemory?: number) {}

  /** What is held: whether an unembedding is loaded (and its cache key), and how many effects. */
  get held(): { model: string | undefined; effects: number } {
    return { model: this.#current?.key, effects: this.#effects.size };
  }

  /** The unembedding of the engine's model for directions of width `dModel`, or why there is none. */
  unembedding(engine: LogitEngine, dModel = engine.sae.config.dIn, read?: ReadOnce): Unembedding | string {
    const key = `${fileKey(engine)}|${dModel}`;
    if (this.#current?.key !== key) {
      this.#current = undefined; // let the previous model's W_U go before reading the next
      const file = engine.folder.onnxFile;
      let u: Unembedding | string;
      try {
        const info = findUnembedding(file, dModel, engine.folder.config, read ? { read: read() } : {});
        u = typeof info === 'string' ? info : new Unembedding(info, this.maxInMemory);
      } catch (e) {
        u = `${file}: cannot read the unembedding: ${(e as Error).message}`;
      }
      this.#current = { key, u };
    }
    return this.#current.u;
  }

  /** W_O of the block an `attn.hook_z` SAE reads, or why it cannot be read. */
  outputProjection(engine: LogitEngine, read: ReadOnce): OutputProjection | string {
    const key = `${fileKey(engine)}|${engine.hook}`;
    if (this.#projection?.key !== key) {
      const file = engine.folder.onnxFile;
      let wo: OutputProjection | string;
      try {
        const { model, dir } = read();
        const node = locateHooks(model.graph!).find((s) => s.name === engine.hook)?.projection;
        wo = node ? outputProjection(model.graph!, node, dir) : `cannot find the attention output projection that reads ${engine.hook}`;
      } catch (e) {
        wo = `cannot read the attention output projection of ${engine.hook}: ${(e as Error).message}`;
      }
      this.#projection = { key, wo: typeof wo === 'string' ? `${file}: ${wo}` : wo };
    }
    return this.#projection.wo;
  }

  /** The k tokens feature `id` pushes up most and the k it pushes down most. */
  effects(engine: LogitEngine, id: number, k: number): FeatureLogits {
    const problem = logitHookProblem(engine.hook);
    if (problem) return { available: false, reason: problem };
    let sae = this.#saeIds.get(engine.sae);
    if (sae === undefined) this.#saeIds.set(engine.sae, (sae = this.#nextSae++));
    const key = `${fileKey(engine)}|${engine.hook}|${sae}|${id}|${k}`;
    const hit = this.#effects.get(key);
    if (hit) {
      // most recently used last
      this.#effects.delete(key);
      this.#effects.set(key, hit);
      return hit;
    }
    const result = this.#compute(engine, id, k);
    this.#effects.set(key, result);
    if (this.#effects.size > EFFECTS_KEPT) this.#effects.delete(this.#effects.keys().next().value!);
    return result;
  }

  #compute(engine: LogitEngine, id: number, k: number): FeatureLogits {
    let model: { model: ModelProto; dir: string } | undefined;
    const read: ReadOnce = () => (model ??= readModel(engine.folder.onnxFile));
    const dIn = engine.sae.config.dIn;
    let direction = engine.sae.params.W_dec.data.subarray(id * dIn, (id + 1) * dIn);
    if (Z_HOOK.test(engine.hook)) {
      const wo = this.outputProjection(engine, read);
      if (typeof wo === 'string') return { available: false, reason: wo };
      if (wo.inFeatures !== dIn)
        return {
          available: false,
          reason: `${engine.folder.onnxFile}: ${wo.how} reads ${wo.inFeatures} values, but the SAE at ${engine.hook} has d_in=${dIn}`,
        };
      direction = throughProjection(direction, wo);
    }
    const u = this.unembedding(engine, direction.length, read);
    if (typeof u === 'string') return { available: false, reason: u };
    const logits = u.project(direction);
    const effects = (ids: number[]): LogitEffect[] => {
      const texts = engine.tokenizer.pieces(ids);
      return ids.map((t, i) => ({ token: t, text: texts[i] ?? '', value: logits[t]! }));
    };
    return {
      available: true,
      promoted: effects(topK(logits, k, 1)),
      suppressed: effects(topK(logits, k, -1)),
      histogram: logitHistogram(logits),
      foldedNorm: u.info.norm !== undefined,
    };
  }

  clear(): void {
    this.#current = undefined;
    this.#projection = undefined;
    this.#effects.clear();
  }
}
