/**
 * Fills the top-token tables (migration 2) of a finished index that lacks them: one finished
 * before schema 2, or whose finalize phase began before it. Everything needed is already
 * stored: each feature's top-example ordinals (`features.top`) give positions through its
 * chunks, and the windows give the tokens there, so the tables come out as a fresh index's.
 */
import { decodeVarints } from './codec.ts';
import { openIndexForWrite } from './db.ts';
import { featureActivations } from './reader.ts';
import { readMeta, readProgress } from './store.ts';
import { TOP_TOKENS_META, TopTokenWriter } from './top-tokens.ts';

/** Features per backfill transaction by default. */
const FEATURES_PER_COMMIT = 512;

/** How a backfill run commits, and what it can be told between its transactions. */
export interface BackfillOptions {
  /** Features per transaction (default 512). */
  readonly featuresPerCommit?: number;
  /** True to stop after the current commit (the next run starts over). */
  shouldStop?(): boolean;
  /** Awaited between transactions (e.g. to let other work on the main thread run). */
  pause?(): Promise<void>;
}

/**
 * Records the top tokens of every feature of the finished index `file` through a writer
 * connection, in batched transactions; `meta.topTokens` is set in the
 * last one, so a run cut short leaves the index as it was for searches and the next run
 * redoes it from the start. True when the index now has its top tokens (or already had
 * them); false when it is not finished (nothing to do yet) or `shouldStop` stopped it.
 */
export async function backfillTopTokens(file: string, options: BackfillOptions = {}): Promise<boolean> {
  const db = openIndexForWrite(file);
  try {
    if (readProgress(db)?.phase !== 'done') return false;
    if (readMeta<boolean>(db, TOP_TOKENS_META) === true) return true;
    const writer = new TopTokenWriter(db);
    const dir = db.prepare('select id, first, last, n from chunks where feature = ? order by first');
    const data = db.prepare('select data from chunks where id = ?').pluck();
    const batch = db.prepare('select id, top from features where id > ? order by id limit ?');
    const perCommit = options.featuresPerCommit ?? FEATURES_PER_COMMIT;
    let after = -1;
    let first = true;
    for (;;) {
      if (options.shouldStop?.()) return false;
      const rows = batch.all(after, perCommit) as { id: number; top: Buffer }[];
      const work = rows.map((r) => {
        const acts = featureActivations(dir, data, r.id);
        const positions = decodeVarints(r.top).map((o) => {
          if (o >= acts.count) throw new Error(`${file}: feature ${r.id} has a top example (#${o}) beyond its ${acts.count} activations`);
          return acts.at(o).pos;
        });
        return { id: r.id, positions };
      });
      const last = rows.length < perCommit;
      db.transaction(() => {
        // rows left by a run cut short are redone
        if (first) db.exec('delete from top_tokens; delete from token_text');
        for (const w of work) writer.add(w.id, w.positions);
        if (last) writer.start();
      })();
      first = false;
      if (last) return true;
      after = rows[rows.length - 1]!.id;
      await options.pause?.();
    }
  } finally {
    db.close();
  }
}
