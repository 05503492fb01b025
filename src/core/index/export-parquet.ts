/**
 * An index as Parquet for analysis elsewhere (DuckDB, pandas, polars):
 *
 * - `features.parquet`: one row per feature, dead ones included: feature, count, density
 *   (count / tokens), max, mean, histogram (50 bin counts over (0, max]) and intervals (10
 *   interval counts over (0, max]) as lists of int32.
 * - `activations.parquet`: one row per nonzero activation, ordered by feature then global
 *   position: feature, document, window, position (within the window, BOS included), token
 *   (its id) and value (float32). Written in row groups, one chunk of the index at a time;
 *   the token ids of the whole index are held in memory (4 bytes a token).
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileWriter, ParquetWriter, type ColumnSource, type SchemaElement } from 'hyparquet-writer';
import { AppError } from '#shared/reply.ts';
import { decodeChunk, decodeTokens, decodeVarints } from './codec.ts';
import { decodeStats } from './feature-stats.ts';
import { IndexReader } from './reader.ts';
import { CHUNK_MAX } from './store.ts';

/** What an export wrote. */
export interface ParquetExport {
  readonly features: string;
  readonly activations: string;
  readonly featureRows: number;
  readonly activationRows: number;
  readonly bytes: number;
}

/** Rows per row group of activations.parquet. */
const ROW_GROUP = 1 << 20;

const required = (name: string, type: SchemaElement['type']): SchemaElement => ({ name, type, repetition_type: 'REQUIRED' });
/** A 3-level LIST<int32> column as the Parquet spec writes lists. */
const intList = (name: string): SchemaElement[] => [
  { name, repetition_type: 'REQUIRED', converted_type: 'LIST', num_children: 1 },
  { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
  { name: 'element', type: 'INT32', repetition_type: 'REQUIRED' },
];

/** Writes features.parquet and activations.parquet of a finished index into `outDir`. */
export async function exportParquet(db: string, outDir: string): Promise<ParquetExport> {
  const reader = new IndexReader(db);
  try {
    const p = reader.progress;
    if (p.phase !== 'done') throw new AppError('conflict', `${db} is not finished yet (${p.phase}); run the index job again to resume it`);
    const { dSae, context } = reader.settings;
    fs.mkdirSync(outDir, { recursive: true });
    const features = path.join(outDir, 'features.parquet');
    const activations = path.join(outDir, 'activations.parquet');
    await writeFeatures(reader, features, dSae, p.tokens);
    const total = await writeActivations(reader, activations, p.windows, context);
    return {
      features,
      activations,
      featureRows: dSae,
      activationRows: total,
      bytes: fs.statSync(features).size + fs.statSync(activations).size,
    };
  } finally {
    reader.close();
  }
}

/** features.parquet: one row per feature, dead ones included; `tokens` is the index's token count (for density). */
async function writeFeatures(reader: IndexReader, features: string, dSae: number, tokens: number): Promise<void> {
  const rows = new Map<number, { count: number; sum: number; max: number; histogram: Buffer; intervals: Buffer }>();
  for (const r of reader.db.prepare('select id, count, sum, max, histogram, intervals from features').iterate() as IterableIterator<{
    id: number;
    count: number;
    sum: number;
    max: number;
    histogram: Buffer;
    intervals: Buffer;
  }>)
    rows.set(r.id, r);
  const ids = Int32Array.from({ length: dSae }, (_, i) => i);
  const count = Array.from(ids, (f) => BigInt(rows.get(f)?.count ?? 0));
  const stats = Array.from(ids, (f) => rows.get(f));
  const fw = new ParquetWriter({
    writer: fileWriter(features),
    schema: [
      { name: 'root', num_children: 7 },
      required('feature', 'INT32'),
      required('count', 'INT64'),
      required('density', 'DOUBLE'),
      required('max', 'DOUBLE'),
      required('mean', 'DOUBLE'),
      ...intList('histogram'),
      ...intList('intervals'),
    ],
    createdBy: 'sae-explorer',
  });
  const columns: ColumnSource[] = [
    { name: 'feature', data: ids },
    { name: 'count', data: count },
    { name: 'density', data: Float64Array.from(stats, (s) => (s && tokens ? s.count / tokens : 0)) },
    { name: 'max', data: Float64Array.from(stats, (s) => s?.max ?? 0) },
    { name: 'mean', data: Float64Array.from(stats, (s) => (s?.count ? s.sum / s.count : 0)) },
    {
      name: 'histogram',
      data: stats.map((s) => (s ? decodeStats(decodeVarints(s.histogram), []).histogram : new Array<number>(50).fill(0))),
    },
    { name: 'intervals', data: stats.map((s) => (s ? decodeVarints(s.intervals) : new Array<number>(10).fill(0))) },
  ];
  await fw.write({ columnData: columns, rowGroupSize: dSae || 1 });
  await fw.finish();
}

/** activations.parquet, written a row group at a time; returns its row count. */
async function writeActivations(reader: IndexReader, activations: string, windows: number, context: number): Promise<number> {
  // activations: token ids and documents of every window, then the chunks in feature order
  const { tokens, docOf } = windowTokens(reader, windows, context);
  const aw = new ParquetWriter({
    writer: fileWriter(activations),
    schema: [
      { name: 'root', num_children: 6 },
      required('feature', 'INT32'),
      required('document', 'INT32'),
      required('window', 'INT32'),
      required('position', 'INT32'),
      required('token', 'INT32'),
      required('value', 'FLOAT'),
    ],
    createdBy: 'sae-explorer',
  });
  const group = {
    feature: new Int32Array(ROW_GROUP),
    document: new Int32Array(ROW_GROUP),
    window: new Int32Array(ROW_GROUP),
    position: new Int32Array(ROW_GROUP),
    token: new Int32Array(ROW_GROUP),
    value: new Float32Array(ROW_GROUP),
  };
  let n = 0;
  let total = 0;
  const flush = async (): Promise<void> => {
    if (!n) return;
    await aw.write({
      columnData: Object.entries(group).map(([name, data]) => ({ name, data: data.subarray(0, n) })),
      rowGroupSize: n,
    });
    total += n;
    n = 0;
  };
  const pos = new Float64Array(CHUNK_MAX);
  const val = new Float32Array(CHUNK_MAX);
  for (const c of reader.db.prepare('select feature, first, n, data from chunks order by feature, first').iterate() as IterableIterator<{
    feature: number;
    first: number;
    n: number;
    data: Buffer;
  }>) {
    decodeChunk(c.data, c.first, c.n, pos, val);
    for (let i = 0; i < c.n; i++) {
      const g = pos[i]!;
      const w = Math.floor(g / context);
      group.feature[n] = c.feature;
      group.document[n] = docOf[w]!;
      group.window[n] = w;
      group.position[n] = g - w * context;
      group.token[n] = tokens[g]!;
      group.value[n] = val[i]!;
      if (++n === ROW_GROUP) await flush();
    }
  }
  await flush();
  await aw.finish();
  return total;
}

/** The token ids of every window (`context` slots each) and the document each window belongs to. */
function windowTokens(reader: IndexReader, windows: number, context: number): { tokens: Int32Array; docOf: Int32Array } {
  const tokens = new Int32Array(windows * context);
  const docOf = new Int32Array(windows);
  for (const w of reader.db.prepare('select id, doc, tokens from windows').iterate() as IterableIterator<{
    id: number;
    doc: number;
    tokens: Buffer;
  }>) {
    docOf[w.id] = w.doc;
    tokens.set(decodeTokens(w.tokens), w.id * context);
  }
  return { tokens, docOf };
}
