/**
 * One writer per index: a job takes `<db>.lock` (a process lock the OS drops when its holder
 * dies, so a killed run frees it at once) before it opens the database for writing, and
 * records who it is in `meta.writer`, so a second job is refused at once naming the holder.
 */
import fs from 'node:fs';
import type Database from 'better-sqlite3';
import { AppError } from '#shared/reply.ts';
import { tryLock, type HeldLock, type LockHolder } from '../kernel/process-lock.ts';
import { openDatabase } from '../kernel/sqlite.ts';
import { checkOwnership, STORE_KINDS } from '../kernel/store-kinds.ts';

/** The meta key holding the current (or last) writer. */
export const WRITER_META = 'writer';

/** The lock file of an index database. */
export function indexLockFile(db: string): string {
  return `${db}.lock`;
}

/**
 * Checks, reading only, that `file` is an index of ours or may become one (missing, empty):
 * another application's database is refused before a lock file is made beside it.
 */
export function checkIndexFile(file: string): void {
  if (!fs.existsSync(file)) return;
  let db: Database.Database | undefined;
  try {
    db = openDatabase(file, { readonly: true, fileMustExist: true });
    checkOwnership(db, file, STORE_KINDS.index);
  } catch (e) {
    if (e instanceof AppError) throw e;
    const code = e instanceof Error && 'code' in e ? String(e.code) : '';
    // a file being created by another writer (busy) is checked again when opened for writing
    if (!code.startsWith('SQLITE_BUSY')) throw e;
  } finally {
    db?.close();
  }
}

/**
 * Takes the writer lock of index `db`, or throws a `conflict` naming who holds it and since
 * when. The caller records the holder (`recordWriter`) once the database is open.
 */
export function lockIndex(db: string): HeldLock {
  checkIndexFile(db);
  const held = tryLock(indexLockFile(db));
  if (held) return held;
  throw new AppError('conflict', `${db} is being indexed by ${describeHolder(readWriter(db))}: wait for that job to end, or stop it`);
}

/** Refuses at once when another job writes index `db` (the job itself takes the lock when it starts). */
export function assertIndexFree(db: string): void {
  lockIndex(db).release();
}

/** Records the lock holder in the index's meta table. */
export function recordWriter(db: Database.Database, holder: LockHolder): void {
  db.prepare('insert or replace into meta (key, value) values (?, ?)').run(WRITER_META, JSON.stringify(holder));
}

/** The writer recorded in index `file`, when it can be read. */
function readWriter(file: string): LockHolder | undefined {
  let db: Database.Database | undefined;
  try {
    db = openDatabase(file, { readonly: true, fileMustExist: true });
    const v = db.prepare('select value from meta where key = ?').pluck().get(WRITER_META);
    return typeof v === 'string' ? (JSON.parse(v) as LockHolder) : undefined;
  } catch {
    // not created yet (the holder is still setting it up), or no meta table yet
    return undefined;
  } finally {
    db?.close();
  }
}

/** "process 1234 on host gpu-1 (thread 2) since 2025-01-01T10:00:00.000Z". */
function describeHolder(h: LockHolder | undefined): string {
  if (!h) return 'another job that is starting';
  const thread = h.thread ? ` (worker thread ${h.thread})` : '';
  return `process ${h.pid} on host ${h.host}${thread} since ${new Date(h.since).toISOString()}`;
}
