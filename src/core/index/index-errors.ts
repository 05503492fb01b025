/** The indexing job's own failures: a full disk, and a corpus with nothing to index. */
import { AppError } from '#shared/reply.ts';
import { InputFileError } from '../kernel/input-file-error.ts';
import type { Progress } from './types.ts';

/** One-line error for SQLite running out of disk, keeping what was committed. */
export function diskFull(e: unknown, db: string, p: Progress | undefined): never {
  const code = (e as { code?: unknown }).code;
  if (code === 'SQLITE_FULL' || code === 'ENOSPC') {
    const kept = p ? `${p.windows} windows (${p.tokens} tokens) committed before it are kept` : 'nothing was committed';
    throw new AppError('unavailable', `disk full while writing ${db}: ${kept}; free some space and run the same command again to resume`);
  }
  throw e;
}

/** A corpus with no tokens at all: refused rather than made into a "complete" index of nothing. */
export class EmptyCorpusError extends InputFileError {}

export function emptyCorpus(corpus: string, p: Progress): EmptyCorpusError {
  const why = [
    `${p.documents} documents`,
    ...(p.emptyDocuments ? [`${p.emptyDocuments} empty`] : []),
    ...(p.skippedLines ? [`${p.skippedLines} lines skipped`] : []),
  ].join(', ');
  return new EmptyCorpusError(`${corpus}: the corpus has no tokens to index (${why}); nothing was indexed`);
}
