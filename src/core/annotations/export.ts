/**
 * Annotation exports: JSON (re-importable, with the SAE's identity and imported
 * explanations), CSV (RFC 4180) and Neuronpedia explanation rows (JSONL shaped exactly as
 * Neuronpedia's explanation dataset exports, see neuronpedia-rows.ts). File names come from
 * the SAE's Neuronpedia ids (see exportStem).
 */
import type { Annotation, AnnotationExport, ImportedExplanation, SaeIdentity } from '#shared/annotation-types.ts';
import { formatNeuronpediaId, type NeuronpediaId } from '#shared/neuronpedia.ts';
import { AppError } from '#shared/reply.ts';
import type { StoredExplanation } from './explanation-store.ts';
import { explanationRow, labelRow, type NeuronpediaExplanationRow } from './neuronpedia-rows.ts';
import { exportStem } from './target.ts';

/** The `format` tag of an exported JSON file. */
export const EXPORT_FORMAT = 'sae-explorer-annotations';
/** The version of the exported JSON layout. */
export const EXPORT_VERSION = 1;

/** An exported JSON file. */
export interface AnnotationFile {
  readonly format: typeof EXPORT_FORMAT;
  readonly version: typeof EXPORT_VERSION;
  readonly exportedAt: string;
  readonly identity: SaeIdentity;
  /** The SAE's Neuronpedia ids (`MODEL/LAYER`), when known. */
  readonly neuronpediaId: string | null;
  readonly annotations: readonly Annotation[];
  /** Explanations imported from Neuronpedia, with the row fields an export writes back. */
  readonly explanations: readonly (ImportedExplanation & { readonly extra: Readonly<Record<string, unknown>> })[];
}

/** What an export is made from. */
export interface ExportInput {
  readonly identity: SaeIdentity;
  /** The ids in effect (the request's, else the user's, else the SAE's own). */
  readonly neuronpediaId: NeuronpediaId | null;
  readonly annotations: readonly Annotation[];
  readonly explanations: readonly StoredExplanation[];
}

/** One CSV field, quoted when it holds a comma, quote, CR or LF (quotes doubled). */
export function csvField(v: string): string {
  return /[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

/** The CSV header. */
export const CSV_COLUMNS = [
  'feature',
  'label',
  'notes',
  'tags',
  'starred',
  'lists',
  'updated_at',
  'explanation',
  'explainer_model',
  'explanation_score',
] as const;

function csv(input: ExportInput): { content: string; count: number } {
  const best = new Map<number, StoredExplanation>();
  for (const e of input.explanations) if (!best.has(e.feature)) best.set(e.feature, e);
  const byFeature = new Map(input.annotations.map((a) => [a.feature, a]));
  const features = [...new Set([...byFeature.keys(), ...best.keys()])].sort((a, b) => a - b);
  const rows = features.map((f) => {
    const a = byFeature.get(f);
    const e = best.get(f);
    return [
      String(f),
      a?.label ?? '',
      a?.notes ?? '',
      a?.tags.join(';') ?? '',
      a?.starred ? 'true' : 'false',
      a?.lists.join(';') ?? '',
      a ? new Date(a.updatedAt).toISOString() : '',
      e?.description ?? '',
      e?.explainerModel ?? '',
      e?.score === null || e?.score === undefined ? '' : String(e.score),
    ]
      .map(csvField)
      .join(',');
  });
  return { content: [CSV_COLUMNS.join(','), ...rows].map((l) => `${l}\r\n`).join(''), count: features.length };
}

/**
 * The Neuronpedia rows: per feature (ascending), the user's label, then its imported
 * explanations best first (one repeating the label is left out).
 */
export function neuronpediaRows(input: ExportInput, id: NeuronpediaId): NeuronpediaExplanationRow[] {
  const byFeature = new Map<number, StoredExplanation[]>();
  for (const e of input.explanations) {
    const list = byFeature.get(e.feature);
    if (list) list.push(e);
    else byFeature.set(e.feature, [e]);
  }
  const labels = new Map(input.annotations.filter((a) => a.label.trim() !== '').map((a) => [a.feature, a.label]));
  const features = [...new Set([...labels.keys(), ...byFeature.keys()])].sort((a, b) => a - b);
  const hash = input.identity.saeHash;
  return features.flatMap((f) => {
    const label = labels.get(f);
    const own = label === undefined ? [] : [labelRow(id, hash, f, label)];
    const norm = label?.trim().toLowerCase();
    const theirs = (byFeature.get(f) ?? []).filter((e) => e.description.trim().toLowerCase() !== norm);
    return [...own, ...theirs.map((e) => explanationRow(id, hash, e))];
  });
}

/** Exports annotations in one of the formats. */
export function exportAnnotations(format: 'json' | 'csv' | 'neuronpedia', input: ExportInput, now = new Date()): AnnotationExport {
  const stem = exportStem(input.identity, input.neuronpediaId);
  if (format === 'json') {
    const file: AnnotationFile = {
      format: EXPORT_FORMAT,
      version: EXPORT_VERSION,
      exportedAt: now.toISOString(),
      identity: input.identity,
      neuronpediaId: input.neuronpediaId ? formatNeuronpediaId(input.neuronpediaId) : null,
      annotations: input.annotations,
      explanations: input.explanations,
    };
    return {
      filename: `${stem}.annotations.json`,
      mime: 'application/json',
      content: `${JSON.stringify(file, null, 2)}\n`,
      count: input.annotations.length,
    };
  }
  if (format === 'csv') {
    const { content, count } = csv(input);
    return { filename: `${stem}.annotations.csv`, mime: 'text/csv', content, count };
  }
  const id = input.neuronpediaId;
  if (!id) {
    throw new AppError(
      'bad_request',
      `the SAE ${input.identity.sae} has no Neuronpedia id, which every Neuronpedia row names: set it on the Models screen ` +
        '(or pass neuronpediaId MODEL/LAYER; CLI: --neuronpedia-id), e.g. gpt2-small/8-res-jb',
    );
  }
  const rows = neuronpediaRows(input, id);
  return {
    filename: `${stem}.explanations.jsonl`,
    mime: 'application/x-ndjson',
    content: rows.map((r) => `${JSON.stringify(r)}\n`).join(''),
    count: rows.length,
  };
}
