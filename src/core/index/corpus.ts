/**
 * Corpus readers: a `.jsonl` file (one document per line), a `.txt`/`.md` file (one
 * document), a Parquet file as HuggingFace datasets ship them, or a folder of any of these
 * (recursively, in path order). Every record gets an ordinal in reading order, so a resumed
 * job can skip exactly what it already indexed.
 */
import fs from 'node:fs';
import path from 'node:path';
import { asyncBufferFromFile, parquetMetadataAsync, parquetRead, parquetSchema } from 'hyparquet';
import { AppError } from '../../shared/reply.ts';
import { decodeUtf8, Utf8Error, type InvalidUtf8 } from './utf8.ts';

/** A document read from the corpus. */
export interface CorpusDocument {
  readonly kind: 'doc';
  readonly ordinal: number;
  /** Where it came from: `file`, `file:LINE` or `file#ROW`. */
  readonly source: string;
  readonly text: string;
  /** Corpus bytes read so far, for progress estimates. */
  readonly bytesDone: number;
}

/** A record that could not be read as a document (malformed JSONL line, missing field). */
export interface CorpusBadRecord {
  readonly kind: 'bad';
  readonly ordinal: number;
  readonly source: string;
  /** One line naming the file, the line number and what is wrong. */
  readonly message: string;
  readonly bytesDone: number;
}

export type CorpusRecord = CorpusDocument | CorpusBadRecord;

/** How to read a corpus. */
export interface CorpusOptions {
  /** The JSONL / Parquet field holding the text (default `text`). */
  readonly textField?: string;
  readonly invalidUtf8?: InvalidUtf8;
}

/** An opened corpus: its files and a reader over its records. */
export interface Corpus {
  readonly root: string;
  /** Files relative to root, in reading order ('/'-separated). */
  readonly files: readonly string[];
  readonly totalBytes: number;
  records(): AsyncGenerator<CorpusRecord>;
}

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
    async *records() {
      const counter = { ordinal: 0 };
      let before = 0;
      for (let i = 0; i < files.length; i++) {
        const rel = files[i]!;
        const file = path.join(root, rel);
        const kind = kindOf(rel);
        if (kind === 'text') yield* readText(file, rel, counter, before, policy);
        else if (kind === 'jsonl') yield* readJsonl(file, rel, counter, before, textField, policy);
        else yield* readParquet(file, rel, counter, before, sizes[i]!, textField, policy);
        before += sizes[i]!;
      }
    },
  };
}

interface Counter {
  ordinal: number;
}

async function* readText(file: string, rel: string, c: Counter, before: number, policy: InvalidUtf8): AsyncGenerator<CorpusRecord> {
  const bytes = await fs.promises.readFile(file);
  const bom = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  const text = decodeUtf8(bytes.subarray(bom), policy, file, bom);
  yield { kind: 'doc', ordinal: c.ordinal++, source: rel, text, bytesDone: before + bytes.length };
}

/** Splits a file into lines at the byte level, streaming (lines keep no trailing \r\n). */
async function* byteLines(file: string): AsyncGenerator<{ line: Uint8Array; offset: number; end: number }> {
  const fh = await fs.promises.open(file, 'r');
  try {
    const block = Buffer.allocUnsafe(1 << 20);
    let carry: Buffer = Buffer.alloc(0);
    let offset = 0; // file offset of carry[0]
    for (;;) {
      const { bytesRead } = await fh.read(block, 0, block.length, null);
      const data: Buffer = carry.length ? Buffer.concat([carry, block.subarray(0, bytesRead)]) : block.subarray(0, bytesRead);
      let start = 0;
      for (let nl = data.indexOf(0x0a, start); nl !== -1; nl = data.indexOf(0x0a, start)) {
        const end = nl > start && data[nl - 1] === 0x0d ? nl - 1 : nl;
        yield { line: data.subarray(start, end), offset: offset + start, end: offset + nl + 1 };
        start = nl + 1;
      }
      // keep the unfinished line (copied: `block` is reused)
      carry = Buffer.from(data.subarray(start));
      offset += start;
      if (bytesRead === 0) {
        if (carry.length) yield { line: carry, offset, end: offset + carry.length };
        return;
      }
    }
  } finally {
    await fh.close();
  }
}

async function* readJsonl(
  file: string,
  rel: string,
  c: Counter,
  before: number,
  field: string,
  policy: InvalidUtf8,
): AsyncGenerator<CorpusRecord> {
  let lineNo = 0;
  for await (const { line, offset, end } of byteLines(file)) {
    lineNo++;
    const bom = lineNo === 1 && line[0] === 0xef && line[1] === 0xbb && line[2] === 0xbf ? 3 : 0;
    const body = line.subarray(bom);
    if (body.every((b) => b === 0x20 || b === 0x09)) continue; // blank lines are not records
    const where = `${file}:${lineNo}`;
    const source = `${rel}:${lineNo}`;
    const text = decodeUtf8(body, policy, `${file} (line ${lineNo})`, offset + bom);
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (e) {
      yield {
        kind: 'bad',
        ordinal: c.ordinal++,
        source,
        message: `${where}: malformed JSON (${(e as Error).message})`,
        bytesDone: before + end,
      };
      continue;
    }
    const t = value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>)[field] : undefined;
    if (typeof t !== 'string') {
      yield {
        kind: 'bad',
        ordinal: c.ordinal++,
        source,
        message: `${where}: no string field "${field}" (see --text-field)`,
        bytesDone: before + end,
      };
      continue;
    }
    yield { kind: 'doc', ordinal: c.ordinal++, source, text: t, bytesDone: before + end };
  }
}

async function* readParquet(
  file: string,
  rel: string,
  c: Counter,
  before: number,
  size: number,
  field: string,
  policy: InvalidUtf8,
): AsyncGenerator<CorpusRecord> {
  const buffer = await asyncBufferFromFile(file);
  let metadata;
  try {
    metadata = await parquetMetadataAsync(buffer);
  } catch (e) {
    throw new AppError('bad_request', `${file}: not a readable Parquet file (${(e as Error).message})`);
  }
  const columns = parquetSchema(metadata).children.map((ch) => ch.element.name);
  if (!columns.includes(field)) {
    throw new AppError('bad_request', `${file}: no column "${field}" (columns: ${columns.join(', ')}); pass --text-field`);
  }
  const total = Number(metadata.num_rows);
  let row = 0;
  for (const group of metadata.row_groups) {
    const n = Number(group.num_rows);
    let rows: unknown[][] = [];
    let badUtf8: Utf8Error | undefined;
    await parquetRead({
      file: buffer,
      metadata,
      columns: [field],
      rowStart: row,
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
      onComplete: (r) => (rows = r),
    }).catch((e: unknown) => {
      throw new AppError('bad_request', `${file}: cannot read rows ${row}–${row + n - 1} (${(e as Error).message})`);
    });
    // byte offsets mean little inside compressed pages: name the row group instead
    if (badUtf8) throw new Utf8Error(`${file} (row group of rows ${row}–${row + n - 1})`, badUtf8.offset);
    for (let i = 0; i < rows.length; i++) {
      const v = rows[i]![0];
      const source = `${rel}#${row + i}`;
      const bytesDone = before + Math.round((size * (row + i + 1)) / Math.max(1, total));
      if (typeof v !== 'string') {
        yield { kind: 'bad', ordinal: c.ordinal++, source, message: `${file} row ${row + i}: "${field}" is not a string`, bytesDone };
        continue;
      }
      yield { kind: 'doc', ordinal: c.ordinal++, source, text: v, bytesDone };
    }
    row += n;
  }
}
