/**
 * `feature.logits`: the tokens a feature's decoder direction promotes and suppresses most,
 * W_dec[i] · W_U (with the final norm's scale folded into W_U when found, see unembedding.ts).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { FeatureLogits, LogitEffect } from '../../shared/explorer-types.ts';
import type { Engine } from '../model/engine.ts';
import { findUnembedding, Unembedding } from './unembedding.ts';

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
 * MLP outputs that are added to it. Elsewhere (e.g. `attn.hook_z`, `mlp.hook_post`) a
 * decoder row can have d_model entries without being a residual direction.
 */
const RESIDUAL_HOOK = /^blocks\.\d+\.hook_(resid_(pre|mid|post)|attn_out|mlp_out)$/;

/** Why W_dec · W_U means nothing for an SAE at `hook`, or undefined when it does. */
export function logitHookProblem(hook: string): string | undefined {
  if (RESIDUAL_HOOK.test(hook)) return undefined;
  return (
    `the SAE reads ${hook}, which is not the residual stream: logit effects need an SAE at ` +
    'blocks.L.hook_resid_pre|mid|post, hook_attn_out or hook_mlp_out'
  );
}

/** Feature effects kept (revisiting a feature page answers from here). */
const EFFECTS_KEPT = 64;

/**
 * Logit effects of features: the unembedding of the current model only (found and loaded once;
 * replaced when another model is asked about, so at most one W_U is held), and the effects of
 * the last few features asked about per (model, SAE, feature, k).
 */
export class LogitEffects {
  #current: { key: string; u: Unembedding | string } | undefined;
  readonly #effects = new Map<string, FeatureLogits>();
  readonly #saeIds = new WeakMap<Engine['sae'], number>();
  #nextSae = 0;

  constructor(private readonly maxInMemory?: number) {}

  /** What is held: whether an unembedding is loaded (and its cache key), and how many effects. */
  get held(): { model: string | undefined; effects: number } {
    return { model: this.#current?.key, effects: this.#effects.size };
  }

  #modelKey(engine: Engine): string {
    const file = engine.folder.onnxFile;
    const st = fs.statSync(file);
    // a model re-exported at the same path gets a new key
    return `${file}|${st.size}|${st.mtimeMs}|${engine.sae.config.dIn}`;
  }

  /** The unembedding of the engine's model, or why there is none. */
  unembedding(engine: Engine): Unembedding | string {
    const key = this.#modelKey(engine);
    if (this.#current?.key !== key) {
      this.#current = undefined; // let the previous model's W_U go before reading the next
      const file = engine.folder.onnxFile;
      let u: Unembedding | string;
      try {
        const info = findUnembedding(file, engine.sae.config.dIn, engine.folder.config);
        u = typeof info === 'string' ? info : new Unembedding(info, path.dirname(file), this.maxInMemory);
      } catch (e) {
        u = `${file}: cannot read the unembedding: ${(e as Error).message}`;
      }
      this.#current = { key, u };
    }
    return this.#current.u;
  }

  /** The k tokens feature `id` pushes up most and the k it pushes down most. */
  effects(engine: Engine, id: number, k: number): FeatureLogits {
    const problem = logitHookProblem(engine.hook);
    if (problem) return { available: false, reason: problem };
    let sae = this.#saeIds.get(engine.sae);
    if (sae === undefined) this.#saeIds.set(engine.sae, (sae = this.#nextSae++));
    const key = `${this.#modelKey(engine)}|${sae}|${id}|${k}`;
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

  #compute(engine: Engine, id: number, k: number): FeatureLogits {
    const u = this.unembedding(engine);
    if (typeof u === 'string') return { available: false, reason: u };
    const dIn = engine.sae.config.dIn;
    const logits = u.project(engine.sae.params.W_dec.data.subarray(id * dIn, (id + 1) * dIn));
    const effects = (ids: number[]): LogitEffect[] => {
      const texts = engine.tokenizer.pieces(ids);
      return ids.map((t, i) => ({ token: t, text: texts[i] ?? '', value: logits[t]! }));
    };
    return {
      available: true,
      promoted: effects(topK(logits, k, 1)),
      suppressed: effects(topK(logits, k, -1)),
      foldedNorm: u.info.norm !== undefined,
    };
  }

  clear(): void {
    this.#current = undefined;
    this.#effects.clear();
  }
}
