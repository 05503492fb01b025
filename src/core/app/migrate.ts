import type Database from 'better-sqlite3';
import { AppError } from '../../shared/reply.ts';

/**
 * Brings `db` up to `migrations.length`: entry i takes `PRAGMA user_version` from i to i + 1,
 * each in its own transaction, so a crash leaves the last whole step. A file made by a newer
 * build (a higher version) is refused with a `conflict` naming `file`.
 */
export function migrate(db: Database.Database, file: string, migrations: readonly string[]): void {
  const version = Number(db.pragma('user_version', { simple: true }));
  if (version > migrations.length) {
    throw new AppError('conflict', `${file} was made by a newer SAE Explorer (schema ${version}, this build knows ${migrations.length})`);
  }
  for (let v = version; v < migrations.length; v++) {
    db.transaction(() => {
      db.exec(migrations[v]!);
      db.pragma(`user_version = ${v + 1}`);
    })();
  }
}
