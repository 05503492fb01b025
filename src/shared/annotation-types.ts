/**
 * Payloads and results of the requests about feature annotations (`annotation.*`): label,
 * notes, tags, star and named lists per feature of the workspace's SAE, saved in SQLite as
 * the user types; explanations imported from Neuronpedia beside them; each SAE's Neuronpedia
 * ids; export as JSON / CSV / Neuronpedia explanation rows, import JSON or Neuronpedia
 * exports with a merge. Pure: zod and types only. contract.ts merges `annotationRequests`.
 */
import { z } from 'zod';
import { NEURONPEDIA_ID_PATTERN, type NeuronpediaId } from './neuronpedia.ts';
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
  /** The model it runs on; empty when the SAE was named alone (CLI `--sae`). */
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

/**
 * Which SAE a request is about: absent, the workspace's; else an SAE folder or file (resolved
 * through the file-access policy), as the CLI's `--sae PATH` names it.
 */
const saeTarget = z.string().min(1).optional();

/** A Neuronpedia id as typed: `MODEL/LAYER`, e.g. `gpt2-small/8-res-jb`. */
const neuronpediaIdText = z
  .string()
  .trim()
  .regex(NEURONPEDIA_ID_PATTERN, 'a Neuronpedia id is MODEL/LAYER, e.g. gpt2-small/8-res-jb (letters, digits, _ . - on each side)');

/** Where an SAE's Neuronpedia ids come from: set by the user, or the SAE's cfg.json / the SAE catalog. */
export type NeuronpediaIdSource = 'user' | 'sae';

/** An SAE's Neuronpedia ids and where they come from. */
export interface NeuronpediaIdInfo {
  /** The ids in effect (the user's when set, else the SAE's), or null when none is known. */
  readonly id: NeuronpediaId | null;
  readonly source: NeuronpediaIdSource | null;
  /** What the SAE's cfg.json (`neuronpedia_id`) or the catalog of known releases says, whatever the user set. */
  readonly fromSae: NeuronpediaId | null;
}

/** Payload of `annotation.setNeuronpediaId`. */
export const setNeuronpediaIdPayload = z
  .object({
    /** `MODEL/LAYER`; null forgets the user's ids (the SAE's own apply again). */
    neuronpediaId: neuronpediaIdText.nullable(),
    sae: saeTarget,
  })
  .strict();

/**
 * An explanation imported from Neuronpedia, kept beside (never instead of) the user's own
 * label. Field meanings follow Neuronpedia's `Explanation` model.
 */
export interface ImportedExplanation {
  readonly feature: number;
  /** The explanation text (Neuronpedia `description`). */
  readonly description: string;
  /** Where it came from. */
  readonly source: 'neuronpedia';
  /** The ids the row named (`modelId`, `layer`), which may differ from the SAE's when imported under a mapping. */
  readonly modelId: string;
  readonly layer: string;
  /** Neuronpedia's explanation id (a cuid), when the row had one. */
  readonly explanationId: string | null;
  readonly authorId: string | null;
  /** The explanation method (Neuronpedia `typeName`, e.g. `oai_token-act-pair`). */
  readonly typeName: string | null;
  /** The model that wrote it (Neuronpedia `explanationModelName`, e.g. `gpt-4o-mini`). */
  readonly explainerModel: string | null;
  /** Its score (Neuronpedia `scoreV2`, else `scoreV1`), when the row carried one; dataset exports carry none. */
  readonly score: number | null;
  /** Epoch milliseconds of the import. */
  readonly importedAt: number;
}

/** Export formats: JSON (re-importable, with the SAE's identity), CSV, Neuronpedia explanation rows (JSONL). */
export const annotationExportFormats = ['json', 'csv', 'neuronpedia'] as const;

/** An export, ready to save as a file. */
export interface AnnotationExport {
  /** A suggested file name from the SAE's Neuronpedia ids (else its release / folder), e.g. `gpt2-small_8-res-jb.explanations.jsonl`. */
  readonly filename: string;
  readonly mime: string;
  readonly content: string;
  /** Annotations (JSON, CSV) or explanation rows (Neuronpedia) written. */
  readonly count: number;
}

/** Payload of `annotation.export`. */
export const annotationExportPayload = z
  .object({
    format: z.enum(annotationExportFormats),
    sae: saeTarget,
    /** Neuronpedia rows: the ids to write instead of the SAE's (`MODEL/LAYER`). */
    neuronpediaId: neuronpediaIdText.optional(),
  })
  .strict();

/** One field where the import and what is stored disagree; what is stored was kept. */
export interface AnnotationConflict {
  readonly feature: number;
  readonly field: 'label' | 'notes';
  readonly ours: string;
  readonly theirs: string;
}

/** Why rows of an import were left out. */
export const importSkipReasons = ['other-sae', 'out-of-range', 'duplicate', 'same-as-label', 'empty'] as const;

/** Rows left out of an import for one reason. */
export interface ImportSkip {
  readonly reason: (typeof importSkipReasons)[number];
  readonly count: number;
  /** The reason in words, with an example (e.g. `12 rows name gpt2-small/6-res-jb, not the SAE's gpt2-small/8-res-jb`). */
  readonly detail: string;
}

/** Explanations of one Neuronpedia SAE in an imported file. */
export interface ImportSource {
  /** `MODEL/LAYER`. */
  readonly neuronpediaId: string;
  readonly rows: number;
}

/** What `annotation.import` did (or, with `dryRun`, would do). */
export interface AnnotationImportResult {
  /** What the file was: an SAE Explorer JSON export, or Neuronpedia explanation rows. */
  readonly format: 'json' | 'neuronpedia';
  /** True when nothing was written (the payload asked for a dry run). */
  readonly dryRun: boolean;
  /** JSON: features that had no annotation before. Neuronpedia: explanations added. */
  readonly added: number;
  /** Features whose annotation gained something (tags, lists, star, an empty field filled). */
  readonly updated: number;
  readonly unchanged: number;
  readonly conflicts: readonly AnnotationConflict[];
  /** Explanations stored: Neuronpedia rows added, or those a JSON export carried. */
  readonly explanationsAdded: number;
  /** Rows left out, by reason (every row is added, updated, unchanged or skipped). */
  readonly skipped: readonly ImportSkip[];
  /** Neuronpedia: the SAEs the file's rows name, most rows first. */
  readonly sources: readonly ImportSource[];
  /** Neuronpedia: the ids rows were matched against (the mapping given, else the SAE's), or null when there are none. */
  readonly matchedId: string | null;
  /**
   * Why the file's identity differs from the SAE's, when it does: another hook, or (only
   * with `force`) another SAE's weights; also features left out for being out of range.
   */
  readonly warning: string | null;
}

/** The longest file `annotation.import` takes, in characters (hosts size their body limits by it). */
export const ANNOTATION_IMPORT_MAX_CHARS = 50_000_000;

/** Payload of `annotation.import`. */
export const annotationImportPayload = z
  .object({
    /** The file's content: its text, or (`encoding: 'base64'`) its bytes, e.g. a `.jsonl.gz`. */
    content: z.string().min(1).max(ANNOTATION_IMPORT_MAX_CHARS),
    encoding: z.enum(['text', 'base64']).optional(),
    /** The file's name, for messages (default `the file`). */
    name: z.string().min(1).max(500).optional(),
    /**
     * JSON exports: import even when the file was exported for another SAE (other weights): its
     * labels then land on this SAE's features of the same ids, which mean something else.
     * Without it such a file is refused with a `conflict` naming both SAEs.
     */
    force: z.boolean().optional(),
    /**
     * Neuronpedia rows: take the rows of this SAE (`MODEL/LAYER`) as the SAE's own, an explicit
     * mapping the user confirms. Without it rows must name the SAE's own Neuronpedia ids, and a
     * file with none of them is refused with a `conflict` naming what it holds.
     */
    neuronpediaId: neuronpediaIdText.optional(),
    /** Report what would happen without writing anything (a mismatched file is then reported, not refused). */
    dryRun: z.boolean().optional(),
    sae: saeTarget,
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

  /** The explanations imported for one feature of the workspace SAE, best score first. */
  'annotation.explanations': request<ImportedExplanation[]>()(z.object({ feature: featureId }).strict()),

  /**
   * An SAE's Neuronpedia ids (`modelId`, `layer`): the user's when set, else from its cfg.json
   * (`neuronpedia_id`) or the catalog of known releases.
   */
  'annotation.neuronpediaId': request<NeuronpediaIdInfo>()(z.object({ sae: saeTarget }).strict()),

  /** Sets (or, with null, forgets) the user's Neuronpedia ids for an SAE, kept under its weights hash. */
  'annotation.setNeuronpediaId': request<NeuronpediaIdInfo>()(setNeuronpediaIdPayload),

  /**
   * Exports every annotation of an SAE: JSON (labels, notes, tags, lists, imported
   * explanations), CSV, or Neuronpedia explanation rows (one per label and per imported
   * explanation, shaped as Neuronpedia's explanation dataset exports, with the SAE's ids).
   */
  'annotation.export': request<AnnotationExport>()(annotationExportPayload),

  /**
   * Imports a file (format detected; gzip accepted): an SAE Explorer JSON export merges (empty
   * fields take the file's value, tags and lists are united, a star is kept; differing labels
   * or notes keep what is stored and are reported as conflicts; another SAE's file is refused
   * with a `conflict` unless `force`); Neuronpedia explanation rows are kept as explanations
   * beside the user's labels (never overwriting them), matched to the SAE by Neuronpedia ids
   * or an explicit mapping, duplicates left out. The result says what was added, skipped and why.
   */
  'annotation.import': request<AnnotationImportResult>()(annotationImportPayload),
} as const satisfies Record<string, RequestDef<z.ZodType, unknown>>;
