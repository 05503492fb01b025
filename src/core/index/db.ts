import fs from 'node:fs';
import type Database from 'better-sqlite3';
import { AppError } from '#shared/reply.ts';
import { openStore } from '../kernel/open-store.ts';
import { openDatabase } from '../kernel/sqlite.ts';
import { checkOwnership, sqliteCall, STORE_KINDS } from '../kernel/store-kinds.ts';
import { migrations } from './migrations/index.ts';

/** The schema version this build writes and reads (`PRAGMA user_version`). */
export const SCHEMA_VERSION = migrations.length;

/**
 * Opens (creating if needed) an index database for writing: WAL, one writer, migrations
 * applied in order. A new file gets incremental auto-vacuum so the space of merged staging
 * rows can be handed back at the end.
 */
export function openIndexForWrite(file: string): Database.Database {
  return openStore(file, {
    kind: STORE_KINDS.index,
    migrations,
    // auto_vacuum only takes effect before the first table exists
    beforeWal: (db) => {
      const fresh =
        db.pragma('user_version', { simple: true }) === 0 && db.prepare('select count(*) as n from sqlite_master').pluck().get() === 0;
      if (fresh) db.pragma('auto_vacuum = INCREMENTAL');
    },
    // WAL + NORMAL: a killed process loses nothing committed; only power loss could.
    synchronous: 'NORMAL',
    pragmas: ['journal_size_limit = 67108864', 'cache_size = -32768'],
  });
}

/**
 * Opens an existing index read-only; it must be at this build's schema version. A file that
 * is not an index of ours (or not SQLite, or damaged) is a `bad_request` naming it.
 */
export function openIndexForRead(file: string): Database.Database {
  if (!fs.existsSync(file)) throw new AppError('not_found', `no index at ${file}`);
  const open = (): Database.Database => {
    const db = sqliteCall(file, () => openDatabase(file, { readonly: true, fileMustExist: true }));
    try {
      const ownership = checkOwnership(db, file, STORE_KINDS.index);
      if (ownership === 'fresh') throw new AppError('bad_request', `${file} is an empty SQLite file, not an activation index`);
    } catch (e) {
      db.close();
      throw e;
    }
    return db;
  };
  let db = open();
  const version = Number(db.pragma('user_version', { simple: true }));
  if (version < SCHEMA_VERSION) {
    // An older index: bring it up to date once, then read.
    db.close();
    openIndexForWrite(file).close();
    db = open();
  } else if (version > SCHEMA_VERSION) {
    db.close();
    throw new AppError('conflict', `${file} was made by a newer SAE Explorer (schema ${version}, this build reads ${SCHEMA_VERSION})`);
  }
  return db;
}

/** Bytes an index takes on disk: the database file plus its WAL (0 for a part that is missing). */
export function indexBytes(file: string): number {
  return ['', '-wal'].reduce((a, x) => a + (fs.existsSync(file + x) ? fs.statSync(file + x).size : 0), 0);
}
