import fs from 'node:fs';
import path from 'node:path';
import type Database from 'better-sqlite3';
import { migrate } from './migrate.ts';
import { openDatabase } from './sqlite.ts';

/** How `openStore` sets a database up. */
export interface StoreOptions {
  /** The ordered migrations (see `migrate`). */
  readonly migrations: readonly string[];
  /** PRAGMA synchronous: with WAL, NORMAL loses nothing committed on a kill; FULL also survives power loss. */
  readonly synchronous: 'NORMAL' | 'FULL';
  /** PRAGMA busy_timeout (ms), for files another process (a CLI run, the app) may write at the same time. */
  readonly busyTimeoutMs?: number | undefined;
  /** Runs first, before WAL is switched on: settings that only take on an empty file. */
  readonly beforeWal?: ((db: Database.Database) => void) | undefined;
  /** More `PRAGMA` assignments (`'cache_size = -32768'`), set before the migrations run. */
  readonly pragmas?: readonly string[] | undefined;
}

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
 * Opens (creating it and its folder if needed) a SQLite file for writing: WAL journal, the
 * given sync level and pragmas, migrations applied. The database is closed again if any
 * step fails.
 */
export function openStore(file: string, options: StoreOptions): Database.Database {
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  return closeOnError(openDatabase(file), (db) => {
    options.beforeWal?.(db);
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${options.synchronous}`);
    if (options.busyTimeoutMs !== undefined) db.pragma(`busy_timeout = ${options.busyTimeoutMs}`);
    for (const p of options.pragmas ?? []) db.pragma(p);
    migrate(db, file, options.migrations);
    return db;
  });
}
