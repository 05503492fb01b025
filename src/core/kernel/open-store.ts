import fs from 'node:fs';
import path from 'node:path';
import type Database from 'better-sqlite3';
import { migrate } from './migrate.ts';
import { openDatabase } from './sqlite.ts';
import { checkOwnership, sqliteFileError, type StoreKind } from './store-kinds.ts';

/** How `openStore` sets a database up. */
export interface StoreOptions {
  /** Which kind of store this is (its application_id is set on a new file and checked on every open). */
  readonly kind: StoreKind;
  /** The ordered migrations (see `migrate`). */
  readonly migrations: readonly string[];
  /** PRAGMA synchronous: with WAL, NORMAL loses nothing committed on a kill; FULL also survives power loss. */
  readonly synchronous: 'NORMAL' | 'FULL';
  /**
   * PRAGMA busy_timeout (ms), for files another process (a CLI run, the app) may write at the
   * same time; default `DEFAULT_BUSY_TIMEOUT_MS`.
   */
  readonly busyTimeoutMs?: number | undefined;
  /** Runs first, before WAL is switched on: settings that only take on an empty file. */
  readonly beforeWal?: ((db: Database.Database) => void) | undefined;
  /** More `PRAGMA` assignments (`'cache_size = -32768'`), set before the migrations run. */
  readonly pragmas?: readonly string[] | undefined;
}

/** How long a store waits for another connection's write lock before failing with SQLITE_BUSY (ms). */
export const DEFAULT_BUSY_TIMEOUT_MS = 5000;

/**
 * Runs `setup(db)` and returns what it returns; when it throws, closes `db` first, so a
 * failed open leaves no handle (and no lock) behind.
 */
export function closeOnError<T>(db: Database.Database, setup: (db: Database.Database) => T): T {
  try {
    return setup(db);
  } catch (e) {
    db.close();
    throw e;
  }
}

/**
 * Opens (creating it and its folder if needed) a SQLite file for writing: a busy timeout, WAL
 * journal, the given sync level and pragmas, migrations applied (safely while another
 * process opens the same file). The database is closed again if any step fails.
 *
 * Before anything is written the file is checked to be a store of `options.kind` (or a new,
 * empty file): another application's database, another kind of ours, a damaged file or one
 * that is not SQLite is refused with a `bad_request` naming it, untouched.
 */
export function openStore(file: string, options: StoreOptions): Database.Database {
  try {
    fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  } catch (e) {
    throw sqliteFileError(e, path.dirname(path.resolve(file))) ?? e;
  }
  const timeout = options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS;
  const deadline = Date.now() + timeout;
  for (let attempt = 0; ; attempt++) {
    try {
      return closeOnError(openDatabase(file), (db) => {
        // first: switching to WAL and migrating may wait for another process creating the same file
        db.pragma(`busy_timeout = ${timeout}`);
        // read-only: refuses a file that is not ours before anything touches it
        const ownership = checkOwnership(db, file, options.kind);
        options.beforeWal?.(db);
        db.pragma('journal_mode = WAL');
        db.pragma(`synchronous = ${options.synchronous}`);
        for (const p of options.pragmas ?? []) db.pragma(p);
        migrate(db, file, options.migrations, options.kind.applicationId);
        // a file of ours from before application ids, already at this schema version
        if (ownership === 'legacy' && Number(db.pragma('application_id', { simple: true })) !== options.kind.applicationId)
          db.pragma(`application_id = ${options.kind.applicationId}`);
        return db;
      });
    } catch (e) {
      // Some lock waits skip the busy handler (another process switching a new file to WAL
      // or recovering its WAL index answers SQLITE_BUSY at once): open again, briefly later.
      if (!isBusy(e) || Date.now() >= deadline) throw sqliteFileError(e, file) ?? e;
      sleepSync(Math.min(200, 10 * 2 ** attempt));
    }
  }
}

/** True for SQLite's "database is locked" family (SQLITE_BUSY and its extended codes). */
function isBusy(e: unknown): boolean {
  const code = e instanceof Error && 'code' in e ? String(e.code) : '';
  return code.startsWith('SQLITE_BUSY') || (e instanceof Error && /database is locked/i.test(e.message));
}

/** Blocks this thread for `ms` (opening a store is synchronous, and this only happens on a race). */
function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}
