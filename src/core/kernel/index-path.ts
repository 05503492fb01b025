import path from 'node:path';
import { AppError } from '#shared/reply.ts';

/** The folder of a data folder's named indexes. */
export function indexesDir(dataDir: string): string {
  return path.join(dataDir, 'indexes');
}

/**
 * An index path as requests give it: absolute as given, or a name inside the data folder's
 * indexes/ (`.sqlite` added when it has no extension); names may not climb out of it.
 */
export function resolveIndexPath(dataDir: string, db: string): string {
  if (path.isAbsolute(db)) return path.normalize(db);
  const dir = indexesDir(dataDir);
  const file = path.resolve(dir, path.extname(db) ? db : `${db}.sqlite`);
  if (path.relative(dir, file).startsWith('..')) throw new AppError('bad_request', `index names stay inside ${dir}: "${db}"`);
  return file;
}
