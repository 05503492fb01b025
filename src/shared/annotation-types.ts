/**
 * Payloads and results of the requests about feature annotations (`annotation.*`): label,
 * notes, tags, star and named lists per feature of the workspace's SAE, saved in SQLite as
 * the user types; export as JSON / CSV / Neuronpedia JSONL, import JSON with a merge.
 * Pure: zod and types only. contract.ts merges `annotationRequests`.
 */
import { z } from 'zod';
import { empty, request, type RequestDef } from './request-def.ts';

/** The longest tag, in characters (after trimming). */
export const TAG_MAX_CHARS = 64;

/** The most tags one feature may have. */
export const TAGS_MAX = 100;

const featureId = z.number().int().nonnegative();
const tag = z.string().trim().min(1).max(TAG_MAX_CHARS);
const listName = z.string().trim().min(1).max(100);

/** What the user wrote about one feature. */
export interface Annotation {
  readonly feature: number;
  /** Empty string: none. */
  readonly label: string;
  readonly notes: string;
  readonly tags: readonly string[];
  readonly starred: boolean;
  /** Named lists the feature is in. */
  readonly lists: readonly string[];
  /** Epoch milliseconds of the last change. */
  readonly updatedAt: number;
}

/** Which SAE annotations belong to: they follow the SAE's weights, not its folder. */
export interface SaeIdentity {
  readonly model: string;
  readonly sae: string;
  readonly hook: string;
  /** SHA-256 of the SAE's weights (the key annotations are stored under). */
  readonly saeHash: string;
  readonly dSae: number;
}

/** Payload of `annotation.set`: only the fields given change. */
export const annotationSetPayload = z
  .object({
    feature: featureId,
    label: z.string().max(500).optional(),
    notes: z.string().max(100_000).optional(),
    tags: z.array(tag).max(TAGS_MAX).optional(),
    starred: z.boolean().optional(),
    lists: z.array(listName).max(100).optional(),
  })
  .strict();

/** A named list with how many features are in it. */
export interface AnnotationList {
  readonly name: string;
  readonly count: number;
}

/** Export formats: JSON (re-importable, with model/SAE/hook identity), CSV, Neuronpedia explanations JSONL. */
export const annotationExportFormats = ['json', 'csv', 'neuronpedia'] as const;

/** An export, ready to save as a file. */
export interface AnnotationExport {
  /** A suggested file name, e.g. `demo-sae-annotations.json`. */
  readonly filename: string;
  readonly mime: string;
  readonly content: string;
  readonly count: number;
}

/** One field where the import and what is stored disagree; what is stored was kept. */
export interface AnnotationConflict {
  readonly feature: number;
  readonly field: 'label' | 'notes';
  readonly ours: string;
  readonly theirs: string;
}

/** What `annotation.import` did. */
export interface AnnotationImportResult {
  /** Features that had no annotation before. */
  readonly added: number;
  /** Features whose annotation gained something (tags, lists, star, an empty field filled). */
  readonly updated: number;
  readonly unchanged: number;
  readonly conflicts: readonly AnnotationConflict[];
  /**
   * Why the file's identity differs from the workspace SAE's, when it does: another hook, or
   * (only with `force`) another SAE's weights; also features left out for being out of range.
   */
  readonly warning: string | null;
}

/** The longest file `annotation.import` takes, in characters (hosts size their body limits by it). */
export const ANNOTATION_IMPORT_MAX_CHARS = 50_000_000;

/** Payload of `annotation.import`. */
export const annotationImportPayload = z
  .object({
    /** The exported JSON file's text. */
    content: z.string().min(1).max(ANNOTATION_IMPORT_MAX_CHARS),
    /**
     * Import even when the file was exported for another SAE (other weights): its labels then
     * land on this SAE's features of the same ids, which mean something else. Without it such
     * a file is refused with a `conflict` naming both SAEs.
     */
    force: z.boolean().optional(),
  })
  .strict();

/** Every request of this area, by name. */
export const annotationRequests = {
  /** The workspace SAE's identity, under which its annotations are kept. */
  'annotation.identity': request<SaeIdentity>()(empty),

  /** One feature's annotation, or null when it has none. */
  'annotation.get': request<Annotation | null>()(z.object({ feature: featureId }).strict()),

  /** Changes some fields of a feature's annotation (saved at once, in one transaction) and answers the whole annotation. */
  'annotation.set': request<Annotation>()(annotationSetPayload),

  /** Every annotated feature of the workspace SAE, by feature id. */
  'annotation.all': request<Annotation[]>()(empty),

  /** The named lists with their sizes, by name. */
  'annotation.lists': request<AnnotationList[]>()(empty),

  /** Exports every annotation of the workspace SAE in a format. */
  'annotation.export': request<AnnotationExport>()(z.object({ format: z.enum(annotationExportFormats) }).strict()),

  /**
   * Imports an exported JSON file's content, merging: empty fields take the file's value,
   * tags and lists are united, a star is kept; differing labels or notes keep what is stored
   * and are reported as conflicts. A file exported for another SAE (other weights hash) is
   * refused with a `conflict` naming both, unless `force` is set; nothing is merged then.
   */
  'annotation.import': request<AnnotationImportResult>()(annotationImportPayload),
} as const satisfies Record<string, RequestDef<z.ZodType, unknown>>;
