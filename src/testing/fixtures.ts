import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (this file lives in src/testing). */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** ../shared/fixtures/reference beside the checkout: cases made by the independent PyTorch implementation. */
export const sharedReferenceDir = path.resolve(repoRoot, '../shared/fixtures/reference');

/**
 * ../shared/fixtures/reference-realworld: independent PyTorch cases of the exports and SAE
 * releases people download (parallel residual, Gemma-2, int8 embeddings, mlp_out / attn_out /
 * hook_z SAEs, TransformerLens-centred, Llama Scope, dictionary_learning); `kind` says which.
 */
export const sharedRealworldDir = path.resolve(repoRoot, '../shared/fixtures/reference-realworld');

/** Extra cases made by the same PyTorch implementation (tools/refgen-extra), committed in the repo. */
export const extraReferenceDir = path.resolve(repoRoot, 'test/fixtures/reference-extra');

/** One reference case folder: model/, sae/, expected.json. */
export interface ReferenceCase {
  readonly name: string;
  readonly dir: string;
  readonly modelDir: string;
  readonly saeDir: string;
  readonly expected: ReferenceExpected;
}

/** expected.json as written by refgen.py. */
export interface ReferenceExpected {
  readonly prompt_text: string;
  readonly prompt_ids: number[];
  readonly hook: string;
  readonly architecture: string;
  readonly sae_format: string;
  readonly with_past: boolean;
  readonly top: number;
  readonly latents: [number, number][][];
  readonly l0: number[];
  readonly fvu: number;
  readonly clamps: [number, number][];
  readonly max_new_tokens: number;
  readonly baseline_ids: number[];
  readonly baseline_logprobs: number[];
  readonly steered_ids: number[];
  readonly steered_logprobs: number[];
  /** Real-world cases: what the case is (model family, export style, SAE release kind). */
  readonly kind?: string;
}

/** Every reference case found in the given roots (shared first, then the repo's extra ones). */
export function referenceCases(roots: readonly string[] = [sharedReferenceDir, extraReferenceDir]): ReferenceCase[] {
  const out: ReferenceCase[] = [];
  for (const root of roots) {
    if (!fs.existsSync(root)) continue;
    for (const name of fs.readdirSync(root).sort()) {
      const dir = path.join(root, name);
      const exp = path.join(dir, 'expected.json');
      if (!fs.existsSync(exp)) continue;
      out.push({
        name,
        dir,
        modelDir: path.join(dir, 'model'),
        saeDir: path.join(dir, 'sae'),
        expected: JSON.parse(fs.readFileSync(exp, 'utf8')) as ReferenceExpected,
      });
    }
  }
  return out;
}
