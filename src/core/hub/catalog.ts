/**
 * The catalog of known SAE releases (catalog.json beside this file, shipped as data): their
 * SAELens names, repos, path patterns, models, hooks and widths, searchable by words.
 */
import { z } from 'zod';
import type { CatalogEntry } from '../../shared/hub-types.ts';
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
