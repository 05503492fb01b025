/**
 * Neuronpedia's explanation rows, as its dataset exports write them
 * (neuronpedia-datasets `v1/<modelId>/<layer>/explanations/batch-N.jsonl.gz`, made by
 * utils/neuronpedia-utils `export-data.py` from the prisma `Explanation` table): one JSON
 * object a line with exactly the columns `id, modelId, layer, index, authorId, description,
 * embedding, typeName, explanationModelName, umap_x, umap_y, umap_cluster,
 * umap_log_feature_sparsity`. `index` is the feature number as a string (the `Neuron` key);
 * `embedding` is a nullable vector; the umap fields are nullable numbers.
 *
 * Reading also takes rows of Neuronpedia's API (the same model, possibly with `scoreV1` /
 * `scoreV2` and other columns), a JSON array of them, and gzip.
 */
import crypto from 'node:crypto';
import zlib from 'node:zlib';
import { z } from 'zod';
import { AppError } from '#shared/reply.ts';
import type { NeuronpediaId } from '#shared/neuronpedia.ts';
import type { StoredExplanation } from './explanation-store.ts';

/** One row of a Neuronpedia explanation dataset export, field for field. */
export interface NeuronpediaExplanationRow {
  /** Neuronpedia's explanation id (a cuid). */
  readonly id: string;
  readonly modelId: string;
  /** The source (SAE) id, e.g. `8-res-jb`. */
  readonly layer: string;
  /** The feature number, as a string. */
  readonly index: string;
  readonly authorId: string;
  readonly description: string;
  /** A 256-d vector in Neuronpedia's database; exports from here carry none. */
  readonly embedding: null;
  /** The explanation method, e.g. `oai_token-act-pair`; null for a label a person wrote. */
  readonly typeName: string | null;
  /** The model that wrote it; null for a label a person wrote. */
  readonly explanationModelName: string | null;
  readonly umap_x: number | null;
  readonly umap_y: number | null;
  readonly umap_cluster: number | null;
  readonly umap_log_feature_sparsity: number | null;
}

/** The umap fields, kept from an imported row and written back on export. */
const UMAP_FIELDS = ['umap_x', 'umap_y', 'umap_cluster', 'umap_log_feature_sparsity'] as const;

/** `authorId` of the rows exported for labels written here (Neuronpedia's importer maps authors to its own users). */
export const LOCAL_AUTHOR_ID = 'sae-explorer';

/** Files larger than this once decompressed are refused (a gzip bomb guard). */
export const MAX_DECOMPRESSED_BYTES = 512 * 1024 * 1024;

const nullableNumber = z.number().finite().nullish();
const nullableString = z.string().nullish();

/** A row as read (only what an import uses is checked; other columns pass). */
const rowSchema = z.looseObject({
  id: nullableString,
  modelId: z.string().min(1, 'modelId is empty'),
  layer: z.string().min(1, 'layer is empty'),
  index: z.union([z.string().regex(/^\d+$/, 'index must be a feature number'), z.number().int().nonnegative()]),
  description: z.string(),
  authorId: nullableString,
  typeName: nullableString,
  explanationModelName: nullableString,
  scoreV1: nullableNumber,
  scoreV2: nullableNumber,
  umap_x: nullableNumber,
  umap_y: nullableNumber,
  umap_cluster: nullableNumber,
  umap_log_feature_sparsity: nullableNumber,
});

/** A parsed row of an imported file. */
export interface ParsedExplanationRow {
  /** 1-based line (JSONL) or element (JSON array) number, for messages. */
  readonly line: number;
  readonly modelId: string;
  readonly layer: string;
  readonly feature: number;
  readonly description: string;
  readonly explanationId: string | null;
  readonly authorId: string | null;
  readonly typeName: string | null;
  readonly explainerModel: string | null;
  readonly score: number | null;
  readonly extra: Readonly<Record<string, number | null>>;
}

/**
 * A file's text from its content as sent: text as is, or base64 bytes (gzip detected by its
 * magic bytes and inflated). Bad bytes are a `bad_request` naming the file.
 */
export function importText(content: string, encoding: 'text' | 'base64', name: string): string {
  if (encoding === 'text') return content;
  let bytes: Buffer = Buffer.from(content, 'base64');
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      bytes = zlib.gunzipSync(bytes, { maxOutputLength: MAX_DECOMPRESSED_BYTES });
    } catch (e) {
      const why =
        (e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE'
          ? `larger than ${MAX_DECOMPRESSED_BYTES} bytes once inflated`
          : (e as Error).message;
      throw new AppError('bad_request', `${name}: not a readable gzip file (${why})`);
    }
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes).replace(/^\uFEFF/, '');
  } catch {
    throw new AppError('bad_request', `${name}: not UTF-8 text (nor gzip): import takes JSON, JSONL or .jsonl.gz files`);
  }
}

function check(value: unknown, where: string): ParsedExplanationRow | string {
  const r = rowSchema.safeParse(value);
  if (!r.success) {
    const issue = r.error.issues[0];
    const field = issue?.path.length ? `${issue.path.join('.')}: ` : '';
    return `${where}: ${field}${issue?.message ?? 'not a Neuronpedia explanation row'}`;
  }
  const d = r.data;
  const feature = typeof d.index === 'number' ? d.index : Number(d.index);
  if (!Number.isSafeInteger(feature)) return `${where}: index: ${String(d.index)} is not a feature number`;
  const extra: Record<string, number | null> = {};
  for (const f of UMAP_FIELDS) if (d[f] !== undefined) extra[f] = d[f] ?? null;
  return {
    line: 0,
    modelId: d.modelId,
    layer: d.layer,
    feature,
    description: d.description,
    explanationId: d.id ?? null,
    authorId: d.authorId ?? null,
    typeName: d.typeName ?? null,
    explainerModel: d.explanationModelName ?? null,
    score: d.scoreV2 ?? d.scoreV1 ?? null,
    extra,
  };
}

/**
 * The explanation rows of a file's text: JSON lines (blank lines skipped) or one JSON array.
 * A line that is not JSON or not a row is a `bad_request` naming the file, the line and the
 * problem.
 */
export function parseExplanationRows(text: string, name: string): ParsedExplanationRow[] {
  const trimmed = text.trimStart();
  if (trimmed.startsWith('[')) {
    let arr: unknown;
    try {
      arr = JSON.parse(text);
    } catch (e) {
      throw new AppError('bad_request', `${name}: not JSON (${(e as Error).message})`);
    }
    if (!Array.isArray(arr)) throw new AppError('bad_request', `${name}: expected an array of Neuronpedia explanation rows`);
    return arr.map((v, i) => {
      const row = check(v, `${name} row ${i + 1}`);
      if (typeof row === 'string') throw new AppError('bad_request', row);
      return { ...row, line: i + 1 };
    });
  }
  const out: ParsedExplanationRow[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (!line.trim()) continue;
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch (e) {
      throw new AppError('bad_request', `${name} line ${i + 1}: not JSON (${(e as Error).message})`);
    }
    const row = check(v, `${name} line ${i + 1}`);
    if (typeof row === 'string') throw new AppError('bad_request', row);
    out.push({ ...row, line: i + 1 });
  }
  if (!out.length) throw new AppError('bad_request', `${name}: no explanation rows (the file is empty)`);
  return out;
}

/** A cuid-shaped id (`c` + 24 base-36 digits) derived from what identifies a label, so re-exports repeat it. */
export function stableExplanationId(saeHash: string, feature: number, description: string): string {
  const h = crypto.createHash('sha256').update(`${saeHash}\n${feature}\n${description}`).digest();
  return `c${BigInt(`0x${h.subarray(0, 16).toString('hex')}`)
    .toString(36)
    .padStart(25, '0')
    .slice(-24)}`;
}

const numberOrNull = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** The export row of a label written here. */
export function labelRow(id: NeuronpediaId, saeHash: string, feature: number, label: string): NeuronpediaExplanationRow {
  return {
    id: stableExplanationId(saeHash, feature, label),
    modelId: id.modelId,
    layer: id.layer,
    index: String(feature),
    authorId: LOCAL_AUTHOR_ID,
    description: label,
    embedding: null,
    typeName: null,
    explanationModelName: null,
    umap_x: null,
    umap_y: null,
    umap_cluster: null,
    umap_log_feature_sparsity: null,
  };
}

/** The export row of an imported explanation, under the SAE's ids, with what the import kept. */
export function explanationRow(id: NeuronpediaId, saeHash: string, e: StoredExplanation): NeuronpediaExplanationRow {
  return {
    id: e.explanationId ?? stableExplanationId(saeHash, e.feature, e.description),
    modelId: id.modelId,
    layer: id.layer,
    index: String(e.feature),
    authorId: e.authorId ?? LOCAL_AUTHOR_ID,
    description: e.description,
    embedding: null,
    typeName: e.typeName,
    explanationModelName: e.explainerModel,
    umap_x: numberOrNull(e.extra['umap_x']),
    umap_y: numberOrNull(e.extra['umap_y']),
    umap_cluster: numberOrNull(e.extra['umap_cluster']),
    umap_log_feature_sparsity: numberOrNull(e.extra['umap_log_feature_sparsity']),
  };
}
