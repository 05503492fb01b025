/**
 * Corpus readers: a `.jsonl` file (one document per line), a `.txt`/`.md` file (one document), a
 * Parquet file as HuggingFace datasets ship them, or a folder of any of these (recursively, in
 * path order). Every record gets an ordinal in reading order, so a resumed job can skip exactly
 * what it already indexed.
 *
 * Pre-tokenized corpora (SAELens-style, a list of token ids per row) are read from a token
 * column: the one named by `tokenColumn`, else `tokens` or `input_ids` wherever the text field
 * is missing (a JSONL record, a Parquet file). Their ids are checked against the model's
 * vocabulary and used as they are (SAELens adds no BOS to tokenized datasets either).
 *
 * Documents longer than `longRecord` bytes (a JSONL line, a text file) are not read whole: they
 * come as streams that read only as far as they are consumed, so a job that needs the first
 * 2,000 tokens of a 10 MB line reads a few kilobytes of it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { asyncBufferFromFile, parquetMetadataAsync, parquetRead, parquetSchema } from 'hyparquet';
import { AppError } from '#shared/reply.ts';
import { fileLines } from './line-reader.ts';
import { readLongJsonLine } from './long-jsonl.ts';
import { TOKEN_COLUMNS, TokenIdCheck } from './token-ids.ts';
import { decodeUtf8, Utf8Error, type InvalidUtf8 } from './utf8.ts';
import { textFileChunks } from './utf8-chunks.ts';
import { InputFileError } from '../kernel/input-file-error.ts';
import type { CorpusCursor } from './types.ts';

interface RecordBase {
  readonly ordinal: number;
  /** Where it came from: `file`, `file:LINE` or `file#ROW`. */
  readonly source: string;
  /** Corpus bytes read so far, for progress estimates (a long record counts from its start). */
  readonly bytesDone: number;
  /** Where the record starts: reading from here yields it again. */
  readonly at: CorpusCursor;
  /** Where reading on yields the records after it (its own start for a long JSONL line, whose end is not known yet). */
  readonly next: CorpusCursor;
}

/** A document read whole. */
export interface CorpusDocument extends RecordBase {
  readonly kind: 'doc';
  readonly text: string;
}

/** A document too long to read whole: its text in pieces, read as they are asked for. */
export interface CorpusTextStream extends RecordBase {
  readonly kind: 'text-stream';
  /** Valid until the next record is read; errors (malformed JSON further on) stop the job. */
  chunks(): AsyncGenerator<string, void>;
}

/** A pre-tokenized document: its token ids as given, checked against the vocabulary as they are read. */
export interface CorpusTokenDocument extends RecordBase {
  readonly kind: 'tokens';
  /** The column they come from. */
  readonly column: string;
  /** Valid until the next record is read; an id that is not in the vocabulary throws. */
  chunks(): AsyncGenerator<readonly number[], void>;
}

/** A record that could not be read as a document (malformed JSONL line, missing field). */
export interface CorpusBadRecord extends RecordBase {
  readonly kind: 'bad';
  /** One line naming the file, the line number and what is wrong. */
  readonly message: string;
}

export type CorpusRecord = CorpusDocument | CorpusTextStream | CorpusTokenDocument | CorpusBadRecord;

/** How to read a corpus. */
export interface CorpusOptions {
  /** The JSONL / Parquet field holding the text (default `text`). */
  readonly textField?: string | undefined;
  /** Read token ids from this JSONL / Parquet column (pre-tokenized); unset: detected where the text field is missing. */
  readonly tokenColumn?: string | undefined;
  /** Token ids must be below this (the model's vocabulary size); unchecked when unset. */
  readonly vocabSize?: number | undefined;
  readonly invalidUtf8?: InvalidUtf8 | undefined;
  /** Documents longer than this many bytes come as streams (default 1 MiB). */
  readonly longRecord?: number | undefined;
  /**
   * Only records whose ordinal this accepts are read and yielded (a shard's); the others are
   * counted but not parsed (a bad line among them is their owner's to report).
   */
  readonly owns?: ((ordinal: number) => boolean) | undefined;
}

/** An opened corpus: its files and a reader over its records. */
export interface Corpus {
  readonly root: string;
  /** Files relative to root, in reading order ('/'-separated). */
  readonly files: readonly string[];
  readonly totalBytes: number;
  /** The records in reading order, from the start or from a cursor a record gave. */
  records(from?: CorpusCursor | null): AsyncGenerator<CorpusRecord>;
}

/** What the readers of one file share. */
interface Reading {
  readonly file: string;
  readonly rel: string;
  /** Index of the file in the corpus's list. */
  readonly index: number;
  /** Where to start in this file (a cursor's offset and line), else its beginning. */
  readonly start: { readonly offset: number; readonly line: number } | undefined;
  readonly owns: (ordinal: number) => boolean;
  readonly counter: { ordinal: number };
  /** Bytes of the files before this one. */
  readonly before: number;
  readonly size: number;
  readonly textField: string;
  readonly tokenColumn: string | undefined;
  readonly vocabSize: number | undefined;
  readonly policy: InvalidUtf8;
  readonly longRecord: number;
}

const MiB = 1 << 20;
const TEXT_EXT = new Set(['.txt', '.md']);
const JSONL_EXT = new Set(['.jsonl', '.ndjson']);
const PARQUET_EXT = new Set(['.parquet']);

function kindOf(file: string): 'text' | 'jsonl' | 'parquet' | undefined {
  const ext = path.extname(file).toLowerCase();
  if (TEXT_EXT.has(ext)) return 'text';
  if (JSONL_EXT.has(ext)) return 'jsonl';
  if (PARQUET_EXT.has(ext)) return 'parquet';
  return undefined;
}

function walk(dir: string, rel: string, out: string[]): void {
  for (const e of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
    if (e.name.startsWith('.')) continue;
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) walk(dir, r, out);
    else if (e.isFile() && kindOf(e.name)) out.push(r);
  }
}

/** Opens a corpus path; throws a clear error for a missing path or an unsupported file. */
export function openCorpus(corpusPath: string, options: CorpusOptions = {}): Corpus {
  const abs = path.resolve(corpusPath);
  if (!fs.existsSync(abs)) throw new AppError('not_found', `corpus not found: ${abs}`);
  const textField = options.textField ?? 'text';
  const policy = options.invalidUtf8 ?? 'error';
  const longRecord = options.longRecord ?? MiB;
  let root: string;
  let files: string[];
  if (fs.statSync(abs).isDirectory()) {
    root = abs;
    files = [];
    walk(abs, '', files);
    files.sort();
    if (!files.length) throw new AppError('bad_request', `no .txt, .md, .jsonl or .parquet files in ${abs}`);
  } else {
    if (!kindOf(abs))
      throw new AppError('bad_request', `unsupported corpus file ${abs}: expected .jsonl, .txt, .md or .parquet (or a folder of them)`);
    root = path.dirname(abs);
    files = [path.basename(abs)];
  }
  const sizes = files.map((f) => fs.statSync(path.join(root, f)).size);
  const totalBytes = sizes.reduce((a, b) => a + b, 0);
  return {
    root,
    files,
    totalBytes,
    async *records(from) {
      const counter = { ordinal: from?.ordinal ?? 0 };
      const first = from?.file ?? 0;
      let before = sizes.slice(0, first).reduce((a, b) => a + b, 0);
      for (let i = first; i < files.length; i++) {
        const rel = files[i]!;
        const r: Reading = {
          file: path.join(root, rel),
          rel,
          index: i,
          start: from && i === first ? { offset: from.offset, line: from.line } : undefined,
          owns: options.owns ?? (() => true),
          counter,
          before,
          size: sizes[i]!,
          textField,
          tokenColumn: options.tokenColumn,
          vocabSize: options.vocabSize,
          policy,
          longRecord,
        };
        const kind = kindOf(rel);
        if (kind === 'text') yield* readText(r);
        else if (kind === 'jsonl') yield* readJsonl(r);
        else yield* readParquet(r);
        before += sizes[i]!;
      }
    },
  };
}

/** A .txt / .md file: one document, streamed when it is long. */
async function* readText(r: Reading): AsyncGenerator<CorpusRecord> {
  const ordinal = r.counter.ordinal++;
  if (!r.owns(ordinal)) return;
  const base = {
    ordinal,
    source: r.rel,
    bytesDone: r.before + r.size,
    at: { file: r.index, offset: 0, line: 1, ordinal },
    next: { file: r.index + 1, offset: 0, line: 1, ordinal: ordinal + 1 },
  };
  if (r.size > r.longRecord) {
    yield { kind: 'text-stream', ...base, chunks: () => textFileChunks(r.file, r.policy) };
    return;
  }
  const bytes = await fs.promises.readFile(r.file);
  const bom = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  yield { kind: 'doc', ...base, text: decodeUtf8(bytes.subarray(bom), r.policy, r.file, bom) };
}

/** The message for a JSONL record with neither the text field nor a token list. */
function missingField(r: Reading): string {
  return r.tokenColumn !== undefined
    ? `no token list "${r.tokenColumn}" (see --token-column)`
    : `no string field "${r.textField}" (see --text-field) and no token list "${TOKEN_COLUMNS.join('" or "')}"`;
}

async function* readJsonl(r: Reading): AsyncGenerator<CorpusRecord> {
  const { file, rel, counter: c, before } = r;
  const lines = fileLines(file, { longLine: r.longRecord, ...(r.start ? { start: r.start.offset, firstLine: r.start.line } : {}) });
  for await (const line of lines) {
    const where = `${file}:${line.lineNo}`;
    const source = `${rel}:${line.lineNo}`;
    const at = { file: r.index, offset: line.offset, line: line.lineNo, ordinal: c.ordinal };
    if (line.long) {
      const content = await readLongJsonLine(line, {
        where,
        textField: r.textField,
        tokenColumn: r.tokenColumn,
        vocabSize: r.vocabSize,
        decode: (raw, offset) => decodeUtf8(raw, r.policy, `${file} (line ${line.lineNo})`, offset),
        missing: missingField(r),
      });
      if (content.kind === 'blank') continue;
      const base = { ordinal: c.ordinal++, source, bytesDone: before + line.offset, at, next: at };
      if (!r.owns(base.ordinal)) continue;
      if (content.kind === 'bad') yield { kind: 'bad', ...base, message: content.message };
      else if (content.kind === 'text') yield { kind: 'text-stream', ...base, chunks: content.chunks };
      else yield { kind: 'tokens', ...base, column: content.column, chunks: content.chunks };
      continue;
    }
    const { offset, end } = line;
    const bom = line.lineNo === 1 && line.bytes[0] === 0xef && line.bytes[1] === 0xbb && line.bytes[2] === 0xbf ? 3 : 0;
    const body = line.bytes.subarray(bom);
    if (body.every((b) => b === 0x20 || b === 0x09)) continue; // blank lines are not records
    if (!r.owns(c.ordinal)) {
      c.ordinal++;
      continue;
    }
    const here = {
      source,
      bytesDone: before + end,
      at,
      next: { file: r.index, offset: end, line: line.lineNo + 1, ordinal: c.ordinal + 1 },
    };
    const text = decodeUtf8(body, r.policy, `${file} (line ${line.lineNo})`, offset + bom);
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (e) {
      yield { kind: 'bad', ordinal: c.ordinal++, ...here, message: `${where}: malformed JSON (${(e as Error).message})` };
      continue;
    }
    const obj = value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
    const t = r.tokenColumn === undefined ? obj[r.textField] : undefined;
    if (typeof t === 'string') {
      yield { kind: 'doc', ordinal: c.ordinal++, ...here, text: t };
      continue;
    }
    const column = r.tokenColumn ?? TOKEN_COLUMNS.find((k) => Array.isArray(obj[k]));
    const list = column === undefined ? undefined : obj[column];
    if (column === undefined || !Array.isArray(list)) {
      yield { kind: 'bad', ordinal: c.ordinal++, ...here, message: `${where}: ${missingField(r)}` };
      continue;
    }
    yield tokenDocument({ ordinal: c.ordinal++, ...here }, column, new TokenIdCheck(where, column, r.vocabSize).ids(list));
  }
}

/** A token document whose ids are already read (and checked). */
function tokenDocument(base: RecordBase, column: string, ids: readonly number[]): CorpusTokenDocument {
  return {
    kind: 'tokens',
    ...base,
    column,
    async *chunks() {
      if (ids.length) yield ids;
    },
  };
}

/** Which Parquet column to read: the token column when named, else the text field, else a token column. */
function parquetColumn(r: Reading, columns: readonly string[]): { readonly name: string; readonly tokens: boolean } {
  const listed = `(columns: ${columns.join(', ')})`;
  if (r.tokenColumn !== undefined) {
    if (!columns.includes(r.tokenColumn))
      throw new AppError('bad_request', `${r.file}: no column "${r.tokenColumn}" ${listed}; pass --token-column`);
    return { name: r.tokenColumn, tokens: true };
  }
  if (columns.includes(r.textField)) return { name: r.textField, tokens: false };
  const tokens = TOKEN_COLUMNS.find((k) => columns.includes(k));
  if (tokens !== undefined) return { name: tokens, tokens: true };
  throw new AppError('bad_request', `${r.file}: no column "${r.textField}" ${listed}; pass --text-field, or --token-column for token ids`);
}

async function* readParquet(r: Reading): AsyncGenerator<CorpusRecord> {
  const { file, rel, counter: c, before, size, policy } = r;
  const buffer = await asyncBufferFromFile(file);
  let metadata;
  try {
    metadata = await parquetMetadataAsync(buffer);
  } catch (e) {
    throw new InputFileError(`${file}: not a readable Parquet file (${(e as Error).message})`);
  }
  const column = parquetColumn(
    r,
    parquetSchema(metadata).children.map((ch) => ch.element.name),
  );
  const total = Number(metadata.num_rows);
  const startRow = r.start?.offset ?? 0;
  let row = 0;
  for (const group of metadata.row_groups) {
    const n = Number(group.num_rows);
    // row groups before a resumed job's cursor are not read at all
    if (row + n <= startRow) {
      row += n;
      continue;
    }
    const from = Math.max(row, startRow);
    let rows: unknown[][] = [];
    let badUtf8: Utf8Error | undefined;
    await parquetRead({
      file: buffer,
      metadata,
      columns: [column.name],
      rowStart: from,
      rowEnd: row + n,
      parsers: {
        stringFromBytes: (bytes: Uint8Array) => {
          if (!bytes) return bytes;
          try {
            return decodeUtf8(bytes, policy, file);
          } catch (e) {
            if (e instanceof Utf8Error && !badUtf8) badUtf8 = e;
            return '';
          }
        },
      },
      onComplete: (rs) => (rows = rs),
    }).catch((e: unknown) => {
      throw new InputFileError(`${file}: cannot read rows ${from}–${row + n - 1} (${(e as Error).message})`);
    });
    // byte offsets mean little inside compressed pages: name the row group instead
    if (badUtf8) throw new Utf8Error(`${file} (row group of rows ${row}–${row + n - 1})`, badUtf8.offset);
    for (let j = 0; j < rows.length; j++) {
      const i = from - row + j;
      const v = rows[j]![0];
      const ordinal = c.ordinal++;
      if (!r.owns(ordinal)) continue;
      const base = {
        ordinal,
        source: `${rel}#${row + i}`,
        bytesDone: before + Math.round((size * (row + i + 1)) / Math.max(1, total)),
        at: { file: r.index, offset: row + i, line: 0, ordinal },
        next: { file: r.index, offset: row + i + 1, line: 0, ordinal: ordinal + 1 },
      };
      if (column.tokens) {
        if (Array.isArray(v)) {
          const ids = new TokenIdCheck(`${file} row ${row + i}`, column.name, r.vocabSize).ids(v);
          yield tokenDocument(base, column.name, ids);
        } else yield { kind: 'bad', ...base, message: `${file} row ${row + i}: "${column.name}" is not a list of token ids` };
      } else if (typeof v === 'string') yield { kind: 'doc', ...base, text: v };
      else yield { kind: 'bad', ...base, message: `${file} row ${row + i}: "${column.name}" is not a string` };
    }
    row += n;
  }
}
