/**
 * Checks on the names that become paths in the HF cache. Etags name blobs, repo file paths
 * name snapshot entries, revisions name refs and commits name snapshots; some come from the
 * endpoint (HF_ENDPOINT may be anyone's server), so each is checked before it touches the
 * disk: an etag like `../../../.bashrc` or a tree entry `../../x` must not write outside the
 * cache.
 */
import { AppError } from '#shared/reply.ts';

/** A 40-hex git commit id. */
export const COMMIT_HASH = /^[0-9a-f]{40}$/;

/** An etag the cache can name a blob by: a git blob sha1 (40 hex) or an LFS sha256 (64 hex). */
export const BLOB_ETAG = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;

/** Characters a revision may use (branch and tag names as the hub has them, `refs/pr/1`). */
const REF_CHARS = /^[A-Za-z0-9._+@=,-]+$/;

/** Why a repo file path is unsafe as a path below a snapshot, or null when it is fine. */
export function repoPathProblem(p: string): string | null {
  if (p === '') return 'it is empty';
  if (p.includes('\\')) return 'it contains a backslash';
  if (p.startsWith('/') || /^[A-Za-z]:/.test(p)) return 'it is absolute';
  if (p.includes('\0')) return 'it contains a NUL character';
  const parts = p.split('/');
  if (parts.some((s) => s === '..')) return 'it has a ".." part';
  if (parts.some((s) => s === '' || s === '.')) return 'it has an empty or "." part';
  return null;
}

/** Why a revision is not a safe ref name (or commit), or null when it is fine. */
export function revisionProblem(rev: string): string | null {
  if (rev === '' || rev.length > 200) return 'it is empty or too long';
  const parts = rev.split('/');
  for (const s of parts) {
    if (!REF_CHARS.test(s)) return s === '' ? 'it has an empty part' : `"${s}" is not a valid ref name part`;
    if (s.startsWith('.') || s.endsWith('.lock') || s.endsWith('.')) return `"${s}" is not a valid ref name part`;
  }
  if (rev.includes('..') || rev.includes('@{')) return 'it contains ".." or "@{"';
  return null;
}

/** Throws a `bad_request` naming the revision when it is not a safe ref name or commit (a revision the user typed). */
export function checkRevision(rev: string, repo: string): void {
  const why = revisionProblem(rev);
  if (why) throw new AppError('bad_request', `revision "${rev}" of "${repo}" is not a branch, tag or commit name: ${why}`);
}

/** Throws a `bad_request` naming the path when a path the user asked for is unsafe. */
export function checkRequestedPath(p: string, repo: string): void {
  const why = repoPathProblem(p);
  if (why) throw new AppError('bad_request', `"${p}" is not a path inside "${repo}": ${why}`);
}

/** Throws `unavailable` when the endpoint listed a file whose path cannot be stored in the cache. */
export function checkListedPath(p: string, repo: string, endpoint: string): void {
  const why = repoPathProblem(p);
  if (why) {
    throw new AppError(
      'unavailable',
      `${endpoint} listed a file "${p}" in "${repo}" that cannot be stored in the HF cache (${why}); refusing to use this listing`,
    );
  }
}

/** Throws `unavailable` when an etag from the endpoint is not a sha1 or sha256 (it would name a blob file). */
export function checkEtag(etag: string, file: string, repo: string, endpoint: string): void {
  if (!BLOB_ETAG.test(etag)) {
    throw new AppError(
      'unavailable',
      `${endpoint} sent the ETag "${etag.slice(0, 100)}" for "${file}" in "${repo}", which is not a git sha1 or SHA-256; ` +
        'refusing to store it in the HF cache',
    );
  }
}

/** Throws `unavailable` when a commit from the endpoint is not 40 hex digits (it would name a snapshot folder). */
export function checkCommit(commit: string, repo: string, endpoint: string, what: string): void {
  if (!COMMIT_HASH.test(commit)) {
    throw new AppError(
      'unavailable',
      `${endpoint} sent the commit "${commit.slice(0, 100)}" for ${what} in "${repo}", which is not a git commit id`,
    );
  }
}
