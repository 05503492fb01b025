import type Database from 'better-sqlite3';
import { countStaged, encodeChunk, encodeStaged, scatterStaged, type Activations } from './codec.ts';
import type { HeldLock } from '../kernel/process-lock.ts';
import { openIndexForWrite } from './db.ts';
import type { IndexSettings, Progress } from './types.ts';
import { lockIndex, recordWriter } from './writer-lock.ts';

/** Most activations one chunk row holds (dense features get several rows per merge). */
export const CHUNK_MAX = 16384;

/** A document that gets its first window in a batch. */
export interface NewDocument {
  readonly id: number;
  /** Ordinal of the corpus record it came from. */
  readonly input: number;
  readonly source: string;
  readonly tokens: number;
}

/** A window as stored. */
export interface StoredWindow {
  readonly id: number;
  readonly doc: number;
  readonly idx: number;
  readonly bos: boolean;
  readonly tokens: Buffer;
}

/** Everything one batch commits, atomically. */
export interface BatchCommit {
  readonly documents: readonly NewDocument[];
  readonly windows: readonly StoredWindow[];
  /** The batch's activations in ascending position order. */
  readonly activations: Activations;
  /** Global position of the batch's first window (the staged blob's base). */
  readonly base: number;
  /** The progress row after this batch. */
  readonly progress: Progress;
}

const PROGRESS_COLUMNS = {
  phase: 'phase',
  nextInput: 'next_input',
  docWindows: 'doc_windows',
  documents: 'documents',
  windows: 'windows',
  tokens: 'tokens',
  activations: 'activations',
  batches: 'batches',
  stagedActivations: 'staged_activations',
  truncatedTokens: 'truncated_tokens',
  emptyDocuments: 'empty_documents',
  skippedLines: 'skipped_lines',
  captureK: 'capture_k',
  docHash: 'doc_hash',
  cursor: 'cursor',
} as const satisfies Record<keyof Progress, string>;

/** The progress row of a fresh index. */
export function initialProgress(captureK: number): Progress {
  return {
    phase: 'index',
    nextInput: 0,
    docWindows: 0,
    documents: 0,
    windows: 0,
    tokens: 0,
    activations: 0,
    batches: 0,
    stagedActivations: 0,
    truncatedTokens: 0,
    emptyDocuments: 0,
    skippedLines: 0,
    captureK,
    docHash: 0,
    cursor: null,
  };
}

/** Reads the progress row, if the index has one. */
export function readProgress(db: Database.Database): Progress | undefined {
  const row = db.prepare('select * from progress where id = 1').get() as Record<string, unknown> | undefined;
  if (!row) return undefined;
  const out: Record<string, unknown> = {};
  for (const [key, column] of Object.entries(PROGRESS_COLUMNS)) out[key] = row[column];
  out['cursor'] = typeof row['cursor'] === 'string' ? JSON.parse(row['cursor']) : null;
  // Columns mirror Progress one to one (PROGRESS_COLUMNS is checked against it).
  return out as unknown as Progress;
}

/** Reads a JSON meta value. */
export function readMeta<T>(db: Database.Database, key: string): T | undefined {
  const v = db.prepare('select value from meta where key = ?').pluck().get(key) as string | undefined;
  return v === undefined ? undefined : (JSON.parse(v) as T);
}

/**
 * The one writer of an index database: commits batches with their progress row, merges
 * staged batches into per-feature chunks. Every method is one transaction, so a kill at
 * any moment leaves the last committed state. It holds the index's writer lock from
 * construction to `close()`: a second writer is refused with a `conflict` naming this one.
 */
export class IndexWriter {
  readonly db: Database.Database;
  readonly #lock: HeldLock;
  readonly #putMeta: Database.Statement;
  readonly #putProgress: Database.Statement;
  readonly #putDoc: Database.Statement;
  readonly #putWindow: Database.Statement;
  readonly #putStaged: Database.Statement;
  readonly #putChunk: Database.Statement;

  constructor(readonly file: string) {
    this.#lock = lockIndex(file);
    try {
      this.db = openIndexForWrite(file);
      recordWriter(this.db, this.#lock.holder);
    } catch (e) {
      this.#lock.release();
      throw e;
    }
    this.#putMeta = this.db.prepare('insert or replace into meta (key, value) values (?, ?)');
    const cols = Object.values(PROGRESS_COLUMNS);
    this.#putProgress = this.db.prepare(
      `insert or replace into progress (id, ${cols.join(', ')}) values (1, ${cols.map((c) => `@${c}`).join(', ')})`,
    );
    this.#putDoc = this.db.prepare('insert into documents (id, source, tokens, input) values (?, ?, ?, ?)');
    this.#putWindow = this.db.prepare('insert into windows (id, doc, idx, bos, tokens) values (?, ?, ?, ?, ?)');
    this.#putStaged = this.db.prepare('insert into staged (batch, base, data) values (?, ?, ?)');
    this.#putChunk = this.db.prepare('insert into chunks (feature, first, last, n, data) values (?, ?, ?, ?, ?)');
  }

  get progress(): Progress | undefined {
    return readProgress(this.db);
  }

  get settings(): IndexSettings | undefined {
    return readMeta<IndexSettings>(this.db, 'settings');
  }

  /** Starts a fresh index: settings, tokenizer files and the initial progress row. */
  create(settings: IndexSettings, tokenizer: unknown, progress: Progress): void {
    this.db.transaction(() => {
      this.#putMeta.run('settings', JSON.stringify(settings));
      this.#putMeta.run('tokenizer', JSON.stringify(tokenizer));
      this.#writeProgress(progress);
    })();
  }

  setMeta(key: string, value: unknown): void {
    this.#putMeta.run(key, JSON.stringify(value));
  }

  #writeProgress(p: Progress): void {
    const row: Record<string, unknown> = {};
    for (const [key, column] of Object.entries(PROGRESS_COLUMNS)) row[column] = p[key as keyof Progress];
    row['cursor'] = p.cursor ? JSON.stringify(p.cursor) : null;
    this.#putProgress.run(row);
  }

  /** Updates the progress row alone (phase changes). */
  writeProgress(p: Progress): void {
    this.#writeProgress(p);
  }

  /** Commits one batch: its documents, windows, staged activations and the new progress row. */
  commitBatch(batch: BatchCommit, dSae: number): void {
    const staged = batch.activations.length ? encodeStaged(batch.activations, batch.base, dSae) : undefined;
    this.db.transaction(() => {
      for (const d of batch.documents) this.#putDoc.run(d.id, d.source, d.tokens, d.input);
      for (const w of batch.windows) this.#putWindow.run(w.id, w.doc, w.idx, w.bos ? 1 : 0, w.tokens);
      if (staged) this.#putStaged.run(batch.progress.batches, batch.base, staged);
      this.#writeProgress(batch.progress);
    })();
  }

  /**
   * Moves every staged batch into per-feature chunk rows (appended in feature order) and
   * sets the progress row to `after`, in one transaction. Memory: 12 bytes per staged
   * activation, which the caller bounds by merging often enough.
   */
  mergeStaged(dSae: number, after: Progress): void {
    const rows = this.db.prepare('select base, data from staged order by batch').all() as { base: number; data: Buffer }[];
    const counts = new Uint32Array(dSae);
    let total = 0;
    for (const r of rows) total += countStaged(r.data, counts);
    const start = new Float64Array(dSae);
    for (let f = 1; f < dSae; f++) start[f] = start[f - 1]! + counts[f - 1]!;
    const cursor = start.slice();
    const pos = new Float64Array(total);
    const value = new Float32Array(total);
    // Batches are in corpus order, so each feature's slots fill in ascending positions.
    for (const r of rows) scatterStaged(r.data, r.base, cursor, pos, value);
    this.db.transaction(() => {
      for (let f = 0; f < dSae; f++) {
        const end = start[f]! + counts[f]!;
        for (let s = start[f]!; s < end; s += CHUNK_MAX) {
          const c = encodeChunk(pos, value, s, Math.min(end, s + CHUNK_MAX));
          this.#putChunk.run(f, c.first, c.last, c.n, c.data);
        }
      }
      this.db.prepare('delete from staged').run();
      this.#writeProgress(after);
    })();
  }

  /** Hands free pages back to the file system and folds the WAL into the database. */
  compact(): void {
    this.db.pragma('incremental_vacuum');
    this.db.pragma('wal_checkpoint(TRUNCATE)');
  }

  close(): void {
    try {
      if (this.db.open) this.db.close();
    } finally {
      this.#lock.release();
    }
  }
}
