/**
 * Which SQLite files are ours: every store the app creates carries its kind's
 * `PRAGMA application_id`, and every open checks it before anything is written, so an
 * unrelated database (or another kind of ours) named by mistake is refused untouched.
 */
import fs from 'node:fs';
import type Database from 'better-sqlite3';
import { AppError } from '#shared/reply.ts';
import { InputFileError } from './input-file-error.ts';

/** A kind of SQLite file the app makes. */
export interface StoreKind {
  /** What the file is, in words ("an activation index"). */
  readonly label: string;
  /** Its `PRAGMA application_id` (four ASCII letters as a big-endian int32). */
  readonly applicationId: number;
  /**
   * Tables the first migration creates: a file from a build before application ids existed
   * (id 0, a schema version, these tables) is recognised as ours and gets the id on its
   * next write open.
   */
  readonly tables: readonly string[];
}

/** Four ASCII letters as a positive int32, as `PRAGMA application_id` takes it. */
function fourcc(s: string): number {
  return Buffer.from(s, 'latin1').readInt32BE(0);
}

/** The kinds of SQLite files the app makes. */
export const STORE_KINDS = {
  index: { label: 'an activation index', applicationId: fourcc('SAEi'), tables: ['meta', 'progress', 'documents', 'windows', 'chunks'] },
  annotations: { label: 'an annotations store', applicationId: fourcc('SAEa'), tables: ['saes', 'annotations', 'list_members'] },
  sessions: { label: 'a steering sessions store', applicationId: fourcc('SAEs'), tables: ['sessions'] },
  health: { label: 'an evaluations store', applicationId: fourcc('SAEh'), tables: ['evaluations'] },
} as const satisfies Record<string, StoreKind>;

/** What an open found: a new empty file, one of ours, or ours from before application ids. */
export type Ownership = 'fresh' | 'ours' | 'legacy';

/**
 * Reads (never writes) who owns `db` and throws a `bad_request` naming `file` when it is not
 * a `kind` store of ours: another application's database, another kind of ours, a file that
 * is not SQLite at all or is damaged.
 */
export function checkOwnership(db: Database.Database, file: string, kind: StoreKind): Ownership {
  // one read transaction: a consistent view while another process may be creating the file
  const { id, version, tables } = sqliteCall(file, () =>
    db.transaction(() => ({
      id: Number(db.pragma('application_id', { simple: true })),
      version: Number(db.pragma('user_version', { simple: true })),
      tables: db.prepare("select name from sqlite_master where type = 'table'").pluck().all() as string[],
    }))(),
  );
  if (id === kind.applicationId) return 'ours';
  const other = Object.values(STORE_KINDS).find((k) => k.applicationId === id);
  if (other) throw new InputFileError(`${file} is ${other.label} of SAE Explorer, not ${kind.label}: nothing was written to it`);
  if (id === 0 && version === 0 && tables.length === 0) return 'fresh';
  if (id === 0 && version > 0 && kind.tables.every((t) => tables.includes(t))) return 'legacy';
  const what =
    id !== 0
      ? `application_id ${id}`
      : tables.length
        ? `tables ${tables.slice(0, 5).join(', ')}${tables.length > 5 ? ', …' : ''}`
        : `schema version ${version}, no tables`;
  throw new InputFileError(
    `${file} is a SQLite database of another application (${what}), not ${kind.label} of SAE Explorer: nothing was written to it; name another file`,
  );
}

/**
 * Runs a SQLite call on `file`, turning the errors of a file that cannot be used (not a
 * database, damaged, cannot be opened, read-only) into a `bad_request` naming the file.
 */
export function sqliteCall<T>(file: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    throw sqliteFileError(e, file) ?? e;
  }
}

/** The AppError naming `file` for a SQLite error about the file itself; undefined for any other error. */
export function sqliteFileError(e: unknown, file: string): AppError | undefined {
  if (e instanceof AppError || !(e instanceof Error)) return undefined;
  const code = 'code' in e ? String(e.code) : '';
  if (code.startsWith('SQLITE_') && isFolder(file)) return new AppError('bad_request', `${file} is a folder, not a database file`);
  if (code === 'SQLITE_NOTADB') return new InputFileError(`${file} is not an SQLite database (${e.message})`);
  if (code.startsWith('SQLITE_CORRUPT')) return new InputFileError(`${file} is damaged (${e.message}): it cannot be used as it is`);
  if (code.startsWith('SQLITE_CANTOPEN'))
    return new AppError('bad_request', `cannot open ${file} (${e.message}): is it a folder, or unreadable?`);
  if (code.startsWith('SQLITE_READONLY')) return new AppError('forbidden', `${file} cannot be written (${e.message})`);
  if (code === 'SQLITE_PERM' || code === 'SQLITE_AUTH') return new AppError('forbidden', `${file} cannot be accessed (${e.message})`);
  if (code === 'EACCES' || code === 'EPERM') return new AppError('forbidden', `${file} cannot be accessed (${e.message})`);
  if (code.startsWith('SQLITE_IOERR')) return new AppError('unavailable', `cannot read or write ${file} (${e.message})`);
  if (code === 'ENOTDIR' || code === 'EISDIR') return new AppError('bad_request', `cannot use ${file} (${e.message})`);
  return undefined;
}

function isFolder(file: string): boolean {
  try {
    return fs.statSync(file).isDirectory();
  } catch {
    return false;
  }
}
