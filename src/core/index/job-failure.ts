/**
 * An index job's error as the app shows it. The indexer's messages speak to the CLI (“pass
 * --invalid-utf8 replace”); the app offers the same choice as a retry remedy instead.
 */
import { JobFailure } from '../kernel/jobs.ts';

/** The part of a Utf8Error message (src/core/index/utf8.ts) before its CLI advice. */
const INVALID_UTF8 = /^(.*: invalid UTF-8 at byte \d+)/;

/**
 * `e` unchanged, or for a corpus that is not UTF-8 a JobFailure offering the
 * `replace-invalid-utf8` remedy, in words for the app (the error crossed from the worker
 * thread as a message, so it is recognised by its words).
 */
export function indexJobFailure(e: unknown): unknown {
  const m = e instanceof Error ? INVALID_UTF8.exec(e.message) : null;
  if (!m) return e;
  return new JobFailure('bad_request', `${m[1]}. Retry with “replace invalid bytes” to read bytes that are not UTF-8 as U+FFFD`, [
    'replace-invalid-utf8',
  ]);
}
