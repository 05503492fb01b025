import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { ANNOTATION_IMPORT_MAX_CHARS, annotationExportFormats, type AnnotationImportResult } from '#shared/annotation-types.ts';
import type { PayloadInput, RequestName, ResultOf } from '#shared/contract.ts';
import { NEURONPEDIA_ID_PATTERN } from '#shared/neuronpedia.ts';
import { CliError, dataOption, defineCommand } from '../command.ts';
import { request as send, withCore } from '../core.ts';

type Format = (typeof annotationExportFormats)[number];

/** Bytes of a file the import takes once base64-encoded into its payload. */
const MAX_IMPORT_BYTES = Math.floor((ANNOTATION_IMPORT_MAX_CHARS / 4) * 3);

function neuronpediaIdOption(value: string | undefined): string | undefined {
  if (value !== undefined && !NEURONPEDIA_ID_PATTERN.test(value.trim())) {
    throw new CliError(`--neuronpedia-id must be MODEL/LAYER, e.g. gpt2-small/8-res-jb; got "${value}"`, 2);
  }
  return value?.trim();
}

/** Sends one request through a CLI core on `data` (created when missing: annotations live there). */
function request<K extends RequestName>(data: string | undefined, name: K, payload: PayloadInput<K>): Promise<ResultOf<K>> {
  return withCore(data, (core) => send(core, name, payload), { create: true });
}

/** The human summary of an import. */
export function importText(file: string, r: AnnotationImportResult): string {
  const lines = [
    r.format === 'neuronpedia'
      ? `${r.dryRun ? 'would import' : 'imported'} ${r.added} explanation(s) from ${file}${r.matchedId ? ` as ${r.matchedId}` : ''}`
      : `${r.dryRun ? 'would merge' : 'merged'} ${file}: ${r.added} added, ${r.updated} updated, ${r.unchanged} unchanged, ` +
        `${r.conflicts.length} conflict(s), ${r.explanationsAdded} explanation(s) added`,
    ...r.sources.map((s) => `  file holds ${s.rows} row(s) of ${s.neuronpediaId}`),
    ...r.skipped.map((s) => `  skipped: ${s.detail}`),
    ...r.conflicts.map(
      (c) => `  conflict: feature ${c.feature} ${c.field}: kept ${JSON.stringify(c.ours)}, file has ${JSON.stringify(c.theirs)}`,
    ),
  ];
  if (r.warning) lines.push(`  warning: ${r.warning}`);
  return lines.join('\n');
}

/** `annotations`: export an SAE's annotations, or import a file into them. */
export const annotationsCommand = defineCommand({
  name: 'annotations',
  summary: "Export an SAE's annotations (Neuronpedia rows, JSON, CSV), or import JSON / Neuronpedia explanation files",
  usage: [
    'export --sae PATH --format neuronpedia|json|csv --out FILE [--neuronpedia-id MODEL/LAYER] [--json]',
    '       annotations import --sae PATH FILE [--neuronpedia-id MODEL/LAYER] [--dry-run] [--force] [--json]',
  ].join('\n'),
  description: [
    'Annotations live in the data folder (annotations.sqlite), keyed by the SHA-256 of the SAE weights, so the app',
    'and the CLI share them. An SAE has Neuronpedia ids (MODEL/LAYER, e.g. gpt2-small/8-res-jb) from its cfg.json',
    "(neuronpedia_id), the catalog of known releases, or the app's Models screen; --neuronpedia-id overrides them.",
    '',
    "export: neuronpedia writes one row per label and per imported explanation, field for field as Neuronpedia's",
    'explanation dataset exports (id, modelId, layer, index, authorId, description, embedding, typeName,',
    'explanationModelName, umap_*); json keeps everything and imports back; csv is for spreadsheets. An --out',
    'name ending in .gz is gzipped.',
    '',
    'import: an SAE Explorer JSON export merges (your labels win; conflicts listed); Neuronpedia explanation rows',
    '(.jsonl, .jsonl.gz, or a JSON array) are kept as explanations beside your labels, never over them. Rows must',
    "name the SAE's Neuronpedia ids; --neuronpedia-id MODEL/LAYER takes the rows of that SAE as this one's. The",
    'summary says how many were added and why others were skipped (another SAE, out of range, duplicate, ...).',
  ].join('\n'),
  options: {
    sae: { type: 'string', valueName: 'PATH', description: 'The SAE folder or file whose annotations these are.' },
    format: { type: 'string', valueName: 'F', description: 'export: json, csv or neuronpedia.' },
    out: { type: 'string', valueName: 'FILE', description: 'export: where to write (.gz: gzipped).' },
    'neuronpedia-id': { type: 'string', valueName: 'MODEL/LAYER', description: "The SAE's Neuronpedia ids for this run." },
    'dry-run': { type: 'boolean', description: 'import: report what would happen, write nothing.' },
    force: { type: 'boolean', description: "import: merge a JSON export made for another SAE's weights." },
    data: dataOption,
  },
  positionals: { min: 1, max: 2 },
  json: true,
  async run({ values, positionals }) {
    const [action, file] = positionals;
    if (!values.sae) throw new CliError('--sae PATH is required', 2);
    const sae = path.resolve(values.sae);
    const neuronpediaId = neuronpediaIdOption(values['neuronpedia-id']);
    if (action === 'export') {
      if (file !== undefined) throw new CliError(`export takes no file argument (write with --out FILE), got "${file}"`, 2);
      const format = values.format as Format | undefined;
      if (!format || !annotationExportFormats.includes(format)) {
        throw new CliError(`--format must be one of ${annotationExportFormats.join(', ')}${format ? `, got "${format}"` : ''}`, 2);
      }
      if (!values.out) throw new CliError('--out FILE is required', 2);
      const out = path.resolve(values.out);
      const r = await request(values.data, 'annotation.export', { format, sae, ...(neuronpediaId ? { neuronpediaId } : {}) });
      const bytes = out.endsWith('.gz') ? zlib.gzipSync(Buffer.from(r.content)) : Buffer.from(r.content);
      try {
        fs.writeFileSync(out, bytes);
      } catch (e) {
        throw new CliError(`${out}: cannot write: ${(e as Error).message}`);
      }
      const data = { out, format, count: r.count, bytes: bytes.length, suggestedName: r.filename };
      return { data, text: `wrote ${r.count} ${format === 'neuronpedia' ? 'row(s)' : 'annotation(s)'} to ${out} (${bytes.length} bytes)` };
    }
    if (action === 'import') {
      if (!file) throw new CliError('import needs the FILE to import', 2);
      const where = path.resolve(file);
      let bytes: Buffer;
      try {
        bytes = fs.readFileSync(where);
      } catch (e) {
        throw new CliError(
          `${where}: cannot read: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`,
        );
      }
      if (!bytes.length) throw new CliError(`${where}: the file is empty`);
      if (bytes.length > MAX_IMPORT_BYTES)
        throw new CliError(`${where}: ${bytes.length} bytes; import takes files up to ${MAX_IMPORT_BYTES} bytes`);
      const r = await request(values.data, 'annotation.import', {
        content: bytes.toString('base64'),
        encoding: 'base64',
        name: path.basename(where),
        sae,
        ...(neuronpediaId ? { neuronpediaId } : {}),
        ...(values['dry-run'] ? { dryRun: true } : {}),
        ...(values.force ? { force: true } : {}),
      });
      return { data: { file: where, ...r }, text: importText(where, r) };
    }
    throw new CliError(`the first argument is export or import, got "${action ?? ''}"`, 2);
  },
});
