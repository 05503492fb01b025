import type Database from 'better-sqlite3';
import { AppError } from '#shared/reply.ts';

/**
 * Brings `db` up to `migrations.length`: entry i takes `PRAGMA user_version` from i to i + 1,
 * each in its own transaction, so a crash leaves the last whole step. A file made by a newer
 * build (a higher version) is refused with a `conflict` naming `file`.
 *
 * Another process (the app and a CLI run) may open the same new file at the same moment:
 * each step takes the write lock first (`BEGIN IMMEDIATE`, waiting up to the connection's
 * busy_timeout) and reads `user_version` again under it, so a step someone else has done
 * meanwhile is skipped rather than run twice.
 *
 * With `applicationId`, each step also sets `PRAGMA application_id`, in the same transaction,
 * so no other process ever sees our tables in a file that does not say it is ours.
 */
export function migrate(db: Database.Database, file: string, migrations: readonly string[], applicationId?: number): void {
  const version = (): number => Number(db.pragma('user_version', { simple: true }));
  const tooNew = (v: number): AppError =>
    new AppError('conflict', `${file} was made by a newer SAE Explorer (schema ${v}, this build knows ${migrations.length})`);
  // the usual case, up to date: no write lock needed
  const seen = version();
  if (seen > migrations.length) throw tooNew(seen);
  if (seen === migrations.length) return;
  const step = db.transaction((): boolean => {
    const v = version();
    if (v > migrations.length) throw tooNew(v);
    if (v === migrations.length) return false;
    db.exec(migrations[v]!);
    db.pragma(`user_version = ${v + 1}`);
    if (applicationId !== undefined) db.pragma(`application_id = ${applicationId}`);
    return true;
  });
  while (step.immediate()) {
    // one step per transaction, until this build's version is reached
  }
}
