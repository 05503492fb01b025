/**
 * Annotation exports: JSON (re-importable, with the SAE's identity), CSV (RFC 4180) and
 * Neuronpedia-style explanations JSONL.
 *
 * Neuronpedia names an SAE by `modelId` and a source id `<layer>-<set>` (e.g. "8-res-jb").
 * A local SAE has no set name, so `layer` here is `<layer>-<SAE folder name>`, the layer
 * taken from the hook (`blocks.8.hook_resid_pre` → 8; the whole hook when it names no
 * block), and `modelId` is the model's folder name; rename them to Neuronpedia's ids before
 * uploading. Only labelled features are exported there (`description` = the label).
 */
import type { Annotation, AnnotationExport, SaeIdentity } from '../../shared/annotation-types.ts';
import { folderName } from './identity.ts';

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
  readonly annotations: readonly Annotation[];
}

/** A name safe in file names. */
function slug(s: string): string {
  return s.replace(/[^\w.-]+/g, '-').replace(/^-+|-+$/g, '') || 'sae';
}

function baseName(id: SaeIdentity): string {
  return `${slug(folderName(id.model))}-${slug(folderName(id.sae))}-annotations`;
}

/** One CSV field, quoted when it holds a comma, quote, CR or LF (quotes doubled). */
export function csvField(v: string): string {
  return /[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

/** The Neuronpedia `layer` (source id) of an SAE: `<layer>-<SAE folder name>`. */
export function neuronpediaLayer(id: SaeIdentity): string {
  const m = /^blocks\.(\d+)\./.exec(id.hook);
  return `${m ? m[1] : id.hook}-${folderName(id.sae)}`;
}

/** Exports annotations in one of the formats. */
export function exportAnnotations(
  format: 'json' | 'csv' | 'neuronpedia',
  id: SaeIdentity,
  all: readonly Annotation[],
  now = new Date(),
): AnnotationExport {
  if (format === 'json') {
    const file: AnnotationFile = {
      format: EXPORT_FORMAT,
      version: EXPORT_VERSION,
      exportedAt: now.toISOString(),
      identity: id,
      annotations: all,
    };
    return { filename: `${baseName(id)}.json`, mime: 'application/json', content: `${JSON.stringify(file, null, 2)}\n`, count: all.length };
  }
  if (format === 'csv') {
    const head = ['feature', 'label', 'notes', 'tags', 'starred', 'lists', 'updated_at'];
    const rows = all.map((a) =>
      [
        String(a.feature),
        a.label,
        a.notes,
        a.tags.join(';'),
        a.starred ? 'true' : 'false',
        a.lists.join(';'),
        new Date(a.updatedAt).toISOString(),
      ]
        .map(csvField)
        .join(','),
    );
    return {
      filename: `${baseName(id)}.csv`,
      mime: 'text/csv',
      content: [head.join(','), ...rows].map((l) => `${l}\r\n`).join(''),
      count: all.length,
    };
  }
  const modelId = folderName(id.model);
  const layer = neuronpediaLayer(id);
  const labelled = all.filter((a) => a.label.trim() !== '');
  const lines = labelled.map((a) => JSON.stringify({ modelId, layer, index: String(a.feature), description: a.label }));
  return {
    filename: `${baseName(id)}.neuronpedia.jsonl`,
    mime: 'application/x-ndjson',
    content: lines.map((l) => `${l}\n`).join(''),
    count: labelled.length,
  };
}
