/** `feature.logits`: the tokens a feature's decoder direction promotes and suppresses most, W_dec[i] · W_U. */
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

/** W_U per model file, found and loaded once (or why it cannot be). */
export class LogitEffects {
  readonly #cache = new Map<string, Unembedding | string>();

  constructor(private readonly maxInMemory?: number) {}

  /** The unembedding of the engine's model, or why there is none. */
  unembedding(engine: Engine): Unembedding | string {
    const file = engine.folder.onnxFile;
    const st = fs.statSync(file);
    // a model re-exported at the same path gets a new entry
    const key = `${file}|${st.size}|${st.mtimeMs}|${engine.sae.config.dIn}`;
    let u = this.#cache.get(key);
    if (u === undefined) {
      try {
        const info = findUnembedding(file, engine.sae.config.dIn, engine.folder.config);
        u = typeof info === 'string' ? info : new Unembedding(info, path.dirname(file), this.maxInMemory);
      } catch (e) {
        u = `${file}: cannot read the unembedding: ${(e as Error).message}`;
      }
      this.#cache.set(key, u);
    }
    return u;
  }

  /** The k tokens feature `id` pushes up most and the k it pushes down most. */
  effects(engine: Engine, id: number, k: number): FeatureLogits {
    const u = this.unembedding(engine);
    if (typeof u === 'string') return { available: false, reason: u };
    const dIn = engine.sae.config.dIn;
    const logits = u.project(engine.sae.params.W_dec.data.subarray(id * dIn, (id + 1) * dIn));
    const effects = (ids: number[]): LogitEffect[] => {
      const texts = engine.tokenizer.pieces(ids);
      return ids.map((t, i) => ({ token: t, text: texts[i] ?? '', value: logits[t]! }));
    };
    return { available: true, promoted: effects(topK(logits, k, 1)), suppressed: effects(topK(logits, k, -1)) };
  }

  clear(): void {
    this.#cache.clear();
  }
}
