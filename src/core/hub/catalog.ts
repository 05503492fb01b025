/**
 * The catalog of known SAE releases (catalog.json beside this file, shipped as data): their
 * SAELens names, repos, path patterns, models, hooks and widths, searchable by words, and
 * each release's SAEs, so a folder of a release's repo can be told apart from any other.
 */
import { z } from 'zod';
import type { CatalogEntry, CatalogSae } from '#shared/hub-types.ts';
import raw from './catalog.json' with { type: 'json' };

const entrySchema = z
  .object({
    name: z.string().min(1),
    repo: z.string().regex(/^[\w.-]+\/[\w.-]+$/),
    path: z.string().min(1),
    model: z.string().min(1),
    modelRepo: z.string().optional(),
    hook: z.string().regex(/^blocks\.\{layer\}\.[\w.]+$/),
    layers: z.array(z.number().int().min(0)).min(1),
    widths: z.array(z.string().min(1)).min(1).optional(),
    dSae: z.number().int().positive().optional(),
    dIn: z.number().int().positive(),
    architecture: z.string().min(1),
    format: z.enum(['saelens', 'gemma-scope', 'sparsify']),
    l0Hint: z.string().optional(),
    modelFromPretrainedKwargs: z.record(z.string(), z.union([z.boolean(), z.number(), z.string()])).optional(),
    normalizeActivations: z.string().min(1).optional(),
    neuronpediaIds: z.record(z.string().min(1), z.string().regex(/^[\w.-]+\/[\w.-]+$/)).optional(),
    otherSaes: z
      .array(z.object({ path: z.string().min(1), hook: z.string().regex(/^(?:hook_embed|blocks\.\d+\.[\w.]+)$/) }).strict())
      .min(1)
      .optional(),
    description: z.string().min(1),
  })
  .strict()
  .refine((e) => !e.path.includes('{width}') || e.widths, { message: 'a path with {width} needs widths' })
  .refine((e) => !e.path.includes('{l0}') || e.l0Hint, { message: 'a path with {l0} needs an l0Hint' });

/** Every release in catalog.json, checked once at load (a broken data file fails loudly). */
export const catalog: readonly CatalogEntry[] = z.array(entrySchema).parse(raw);

/** Releases whose name, repo, model, hook, format, architecture or description hold every word of the query. */
export function searchCatalog(query = '', entries: readonly CatalogEntry[] = catalog): CatalogEntry[] {
  const words = query
    .toLowerCase()
    .split(/[\s,]+/)
    .filter(Boolean);
  return entries.filter((e) => {
    const text = [e.name, e.repo, e.model, e.modelRepo ?? '', e.hook, e.format, e.architecture, e.description].join(' ').toLowerCase();
    return words.every((w) => text.includes(w));
  });
}

/**
 * Every SAE a release offers: its path pattern filled for each layer and width (an `{l0}`
 * placeholder stays, as each layer and width has several), then its `otherSaes`.
 */
export function catalogSaes(entry: CatalogEntry): CatalogSae[] {
  const out: CatalogSae[] = [];
  for (const layer of entry.layers) {
    for (const width of entry.widths ?? ['']) {
      const fill = (p: string): string => p.replaceAll('{layer}', String(layer)).replaceAll('{width}', width);
      out.push({ path: fill(entry.path), hook: fill(entry.hook) });
    }
  }
  return [...out, ...(entry.otherSaes ?? [])];
}

/** A pattern of {@link catalogSaes} as a regular expression over a path inside the repo. */
function patternRegExp(pattern: string): RegExp {
  const parts = pattern.split('{l0}').map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`^${parts.join('\\d+')}$`);
}

/** A catalog release and one of its SAEs. */
export interface CatalogMatch {
  readonly entry: CatalogEntry;
  readonly sae: CatalogSae;
}

/**
 * The release and SAE that a folder of a hub repo is (repo ids compare case-insensitively, as
 * the hub resolves them), or undefined when no release of the catalog lists that folder.
 */
export function findCatalogSae(repo: string, pathInRepo: string, entries: readonly CatalogEntry[] = catalog): CatalogMatch | undefined {
  for (const entry of entries) {
    if (entry.repo.toLowerCase() !== repo.toLowerCase()) continue;
    const sae = catalogSaes(entry).find((s) => patternRegExp(s.path).test(pathInRepo));
    if (sae) return { entry, sae };
  }
  return undefined;
}
