/**
 * Reading an imported file: which format it is (an SAE Explorer JSON export, or Neuronpedia
 * explanation rows), and an exported JSON file validated with zod before the store merges it.
 */
import { z } from 'zod';
import type { SaeIdentity } from '#shared/annotation-types.ts';
import { AppError } from '#shared/reply.ts';
import type { NewExplanation } from './explanation-store.ts';
import { EXPORT_FORMAT } from './export.ts';
import type { ImportedAnnotation } from './store.ts';

const annotationSchema = z.object({
  feature: z.number().int().nonnegative(),
  label: z.string().max(500).optional(),
  notes: z.string().max(100_000).optional(),
  tags: z.array(z.string().max(64)).max(100).optional(),
  starred: z.boolean().optional(),
  lists: z.array(z.string().max(100)).max(100).optional(),
  updatedAt: z.number().finite().optional(),
});

const nullableString = z.string().nullable().optional();

const explanationSchema = z.object({
  feature: z.number().int().nonnegative(),
  description: z.string().min(1),
  modelId: z.string().min(1),
  layer: z.string().min(1),
  explanationId: nullableString,
  authorId: nullableString,
  typeName: nullableString,
  explainerModel: nullableString,
  score: z.number().finite().nullable().optional(),
  extra: z.record(z.string(), z.unknown()).optional(),
});

const fileSchema = z.object({
  format: z.literal(EXPORT_FORMAT),
  version: z.number().int().min(1),
  identity: z
    .object({
      model: z.string(),
      sae: z.string(),
      hook: z.string(),
      saeHash: z.string(),
      dSae: z.number().int(),
    })
    .partial()
    .optional(),
  annotations: z.array(annotationSchema),
  explanations: z.array(explanationSchema).optional(),
});

/** A parsed import file. */
export interface ParsedImport {
  readonly identity: Partial<SaeIdentity> | undefined;
  readonly annotations: readonly ImportedAnnotation[];
  readonly explanations: readonly NewExplanation[];
}

/**
 * The format of a file's text: one JSON object with a `format` or `annotations` key is an SAE
 * Explorer export (checked by parseImport); anything else is read as Neuronpedia rows.
 */
export function importFormat(text: string): 'json' | 'neuronpedia' {
  if (!text.trimStart().startsWith('{')) return 'neuronpedia';
  try {
    const v: unknown = JSON.parse(text);
    return v && typeof v === 'object' && !Array.isArray(v) && ('format' in v || 'annotations' in v) ? 'json' : 'neuronpedia';
  } catch {
    return 'neuronpedia';
  }
}

/** Parses and validates an exported JSON file's content; a bad file is a `bad_request` naming it and the problem. */
export function parseImport(content: string, name = 'the file'): ParsedImport {
  let json: unknown;
  try {
    json = JSON.parse(content);
  } catch (e) {
    throw new AppError('bad_request', `${name} is not JSON (${(e as Error).message}); import takes a JSON file exported by SAE Explorer`);
  }
  const r = fileSchema.safeParse(json);
  if (!r.success) {
    const first = r.error.issues[0];
    const where = first?.path.length ? ` at ${first.path.join('.')}` : '';
    throw new AppError('bad_request', `${name} is not an SAE Explorer annotations file: ${first?.message ?? 'invalid'}${where}`);
  }
  const explanations = (r.data.explanations ?? []).map((e): NewExplanation => ({
    feature: e.feature,
    description: e.description,
    modelId: e.modelId,
    layer: e.layer,
    explanationId: e.explanationId ?? null,
    authorId: e.authorId ?? null,
    typeName: e.typeName ?? null,
    explainerModel: e.explainerModel ?? null,
    score: e.score ?? null,
    extra: e.extra ?? {},
  }));
  return { identity: r.data.identity, annotations: r.data.annotations, explanations };
}

/** `name (weights abcdef012345…, hook h, model m)`: one SAE identity in words, for messages. */
function describeSae(id: Partial<SaeIdentity>): string {
  const parts = [`weights ${id.saeHash ? `${id.saeHash.slice(0, 12)}…` : 'unknown'}`];
  if (id.hook) parts.push(`hook ${id.hook}`);
  if (id.model) parts.push(`model ${id.model}`);
  return `${id.sae ?? '(unnamed SAE)'} (${parts.join(', ')})`;
}

/**
 * Refuses a file exported for another SAE (its weights hash differs from the open SAE's):
 * its feature ids mean other things here, and a merge cannot be undone. A `conflict` naming
 * both SAEs, unless `force`; files that name no weights hash pass.
 */
export function checkSameSae(file: Partial<SaeIdentity> | undefined, ours: SaeIdentity, force: boolean): void {
  if (force || !file?.saeHash || file.saeHash === ours.saeHash) return;
  throw new AppError(
    'conflict',
    `this file holds annotations of the SAE ${describeSae(file)}, not of the open SAE ${describeSae(ours)}; ` +
      `its feature ids mean other things here, so nothing was imported (import anyway only if both SAEs share their features)`,
  );
}

/**
 * Why a file's identity differs from the workspace SAE's, or null when it matches (or the
 * file names none); also mentions features left out for being beyond the SAE's width.
 */
export function importWarning(file: Partial<SaeIdentity> | undefined, ours: SaeIdentity, outOfRange: number): string | null {
  const parts: string[] = [];
  if (file?.saeHash && file.saeHash !== ours.saeHash) {
    parts.push(
      `the file's annotations were made for the SAE ${file.sae ?? '(unnamed)'} (weights ${file.saeHash.slice(0, 12)}…), ` +
        `not the open SAE ${ours.sae} (weights ${ours.saeHash.slice(0, 12)}…); they were imported anyway`,
    );
  } else if (file?.hook && file.hook !== ours.hook) {
    parts.push(`the file names the hook ${file.hook}, the open SAE runs at ${ours.hook}`);
  }
  if (outOfRange) parts.push(`${outOfRange} annotation(s) of features beyond this SAE's ${ours.dSae} were left out`);
  return parts.length ? parts.join('; ') : null;
}
