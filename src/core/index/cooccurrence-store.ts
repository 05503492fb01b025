/**
 * The `cooccurrence` table (migration 3): written by the finalize phase in the same
 * transactions as each feature's statistics, or filled afterwards for an index finished
 * before it (backfillCooccurrence); read by `feature.cooccurring`.
 */
import type Database from 'better-sqlite3';
import { decodeVarints } from './codec.ts';
import {
  buildCooccurrenceTable,
  COOCCURRENCE_META,
  CooccurrenceCounter,
  cooccurrenceShare,
  type ChunkRow,
  type CooccurrenceMeta,
  type CooccurrenceRow,
} from './cooccurrence.ts';
import { openIndexForWrite } from './db.ts';
import { asBuffer } from './bytes.ts';
import { blockChunks, FEATURES_PER_BLOCK } from './finalize-blocks.ts';
import { readMeta, readProgress } from './store.ts';
import type { IndexSettings, Progress } from './types.ts';

/**
 * Records co-occurrence rows. The token-major table is built on the first `add` (after the
 * index's chunks are final), so a finalize run that records nothing costs nothing.
 */
export class CooccurrenceWriter {
  #counter: CooccurrenceCounter | undefined;
  readonly #put: Database.Statement;
  readonly #meta: CooccurrenceMeta;
  /** Read once: `add` runs once per feature, and parsing the settings each time cost more than a row. */
  readonly #settings: IndexSettings;

  constructor(
    private readonly db: Database.Database,
    private readonly dSae: number,
    private readonly progress: Pick<Progress, 'windows' | 'activations'>,
  ) {
    this.#put = db.prepare('insert or replace into cooccurrence (feature, data) values (?, ?)');
    const settings = readMeta<IndexSettings>(db, 'settings');
    if (!settings) throw new Error('the index has no settings: cannot count co-occurring features');
    this.#settings = settings;
    this.#meta = { sampled: cooccurrenceShare(progress.activations, progress.windows * settings.context) };
  }

  /** Marks the index as recording co-occurrence for every feature (call in the first transaction that adds rows). */
  start(): void {
    this.db.prepare('insert or replace into meta (key, value) values (?, ?)').run(COOCCURRENCE_META, JSON.stringify(this.#meta));
  }

  /** This thread's counter over the index's token-major table, built on first use (once the chunks are final). */
  counter(): CooccurrenceCounter {
    const s = this.#settings;
    this.#counter ??= new CooccurrenceCounter(
      buildCooccurrenceTable(this.db, this.dSae, this.progress.windows, s.context, s.seed, this.#meta.sampled),
    );
    return this.#counter;
  }

  /** Writes the row of `feature` from its chunks (inside the caller's transaction). */
  add(feature: number, chunks: readonly ChunkRow[]): void {
    this.put(feature, this.counter().row(feature, chunks));
  }

  /** Writes a row counted already (here or on the helper thread); null writes nothing. */
  put(feature: number, row: Uint8Array | null): void {
    if (row) this.#put.run(feature, asBuffer(row));
  }
}

/** How co-occurrence was counted, once an index has it for every feature; undefined before. */
export function cooccurrenceMeta(db: Database.Database): CooccurrenceMeta | undefined {
  return readProgress(db)?.phase === 'done' ? readMeta<CooccurrenceMeta>(db, COOCCURRENCE_META) : undefined;
}

/** The stored row of a feature (an empty row when it is never active in the counted windows). */
export function readCooccurrence(db: Database.Database, feature: number): CooccurrenceRow {
  const blob = db.prepare('select data from cooccurrence where feature = ?').pluck().get(feature) as Buffer | undefined;
  if (!blob) return { count: 0, entries: [] };
  const xs = decodeVarints(blob);
  const entries: { id: number; shared: number; otherCount: number }[] = [];
  let id = 0;
  for (let i = 0, at = 2; i < xs[1]!; i++, at += 3) {
    id += xs[at]!;
    entries.push({ id, shared: xs[at + 1]!, otherCount: xs[at + 2]! });
  }
  return { count: xs[0]!, entries };
}

/** What a backfill may be told between its transactions. */
export interface CooccurrenceBackfillOptions {
  /** Awaited between transactions (e.g. to let other work on the main thread run). */
  pause?(): Promise<void>;
}

/**
 * Counts co-occurrence for every feature of the finished index `file` that lacks it (one
 * finished before migration 3), in batched transactions; `meta.cooccurrence` is set in the
 * last, so a run cut short leaves nothing half-visible and the next one starts over. True
 * when the index has co-occurrence now; false when it is not finished.
 */
export async function backfillCooccurrence(file: string, options: CooccurrenceBackfillOptions = {}): Promise<boolean> {
  const db = openIndexForWrite(file);
  try {
    const progress = readProgress(db);
    if (progress?.phase !== 'done') return false;
    if (readMeta<CooccurrenceMeta>(db, COOCCURRENCE_META)) return true;
    const settings = readMeta<IndexSettings>(db, 'settings');
    if (!settings) return false;
    const writer = new CooccurrenceWriter(db, settings.dSae, progress);
    const chunksOf = blockChunks(db);
    for (let next = 0, first = true; next < settings.dSae; first = false) {
      const end = Math.min(settings.dSae, next + FEATURES_PER_BLOCK);
      const byFeature = chunksOf(next, end);
      const last = end === settings.dSae;
      db.transaction(() => {
        if (first) db.exec('delete from cooccurrence');
        for (const [f, chunks] of byFeature) writer.add(f, chunks);
        if (last) writer.start();
      })();
      next = end;
      if (!last) await options.pause?.();
    }
    return true;
  } finally {
    db.close();
  }
}
