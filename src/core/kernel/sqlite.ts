import Database from 'better-sqlite3';
import { errorFirstLine } from '#shared/error-message.ts';

let nativeBinding: string | undefined;

/**
 * Makes every database opened through `openDatabase` load better-sqlite3's addon from
 * `file`. The Electron main process calls this with the copy built for Electron's ABI
 * (scripts/postinstall.mjs); plain Node (CLI, serve host, tests) keeps the default build.
 */
export function useSqliteNativeBinding(file: string | undefined): void {
  nativeBinding = file;
}

/** The addon path set by `useSqliteNativeBinding`, if any. */
export function sqliteNativeBinding(): string | undefined {
  return nativeBinding;
}

/** Opens a SQLite database with the right native addon for this runtime. */
export function openDatabase(file: string, options: Database.Options = {}): Database.Database {
  return new Database(file, nativeBinding ? { nativeBinding, ...options } : options);
}

/** SQLite's version as loaded here, or why the addon could not be loaded. */
export function sqliteInfo(): { version?: string; error?: string } {
  try {
    const db = openDatabase(':memory:');
    try {
      const row: unknown = db.prepare('select sqlite_version() as v').get();
      return { version: row && typeof row === 'object' && 'v' in row ? String(row.v) : 'unknown' };
    } finally {
      db.close();
    }
  } catch (e) {
    return { error: errorFirstLine(e) };
  }
}
