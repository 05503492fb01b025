/**
 * The HuggingFace hub cache, laid out exactly as Python's huggingface_hub lays it out so
 * each finds the other's files:
 *
 * ```
 * <cache>/models--org--name/
 *   blobs/<etag>                      file contents (etag = git blob sha1, or sha256 for LFS)
 *   blobs/<etag>.incomplete           a download in progress (resumed with a Range request)
 *   refs/<revision>                   the commit a branch or tag pointed at, as text
 *   snapshots/<commit>/<path>         relative symlink to ../../blobs/<etag> (a copy where
 *                                     symlinks cannot be made, as on Windows without rights)
 * ```
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { AppError } from '#shared/reply.ts';
import { BLOB_ETAG, COMMIT_HASH, repoPathProblem, revisionProblem } from './safe-names.ts';
import { filesUnder } from './walk.ts';

export { COMMIT_HASH };

/**
 * The last guard before a name becomes a path here (callers check what the endpoint sent,
 * with better messages, first): nothing may lead out of the repo's folder.
 */
function unsafe(what: string, value: string, why: string): AppError {
  return new AppError('bad_request', `${what} "${value.slice(0, 100)}" cannot name a file in the HF cache: ${why}`);
}

/** The folder name of a model repo in the cache: `models--org--name`. */
export function repoFolderName(repo: string, type: 'model' | 'dataset' | 'space' = 'model'): string {
  return [`${type}s`, ...repo.split('/')].join('--');
}

/** The repo id of a cache folder name, or null when it is not a model repo folder. */
export function repoFromFolderName(name: string): string | null {
  if (!name.startsWith('models--')) return null;
  return name.slice('models--'.length).split('--').join('/');
}

/** One repo's corner of the cache. */
export class RepoCache {
  readonly root: string;

  constructor(
    readonly cacheDir: string,
    readonly repo: string,
  ) {
    this.root = path.join(cacheDir, repoFolderName(repo));
  }

  /** The blob holding the file with this etag. */
  blob(etag: string): string {
    if (!BLOB_ETAG.test(etag)) throw unsafe('the etag', etag, 'it is not a git sha1 or SHA-256');
    return path.join(this.root, 'blobs', etag);
  }

  /** Where a download of that blob is written until it is complete. */
  incomplete(etag: string): string {
    return `${this.blob(etag)}.incomplete`;
  }

  /** `snapshots/<commit>`. */
  snapshot(commit: string): string {
    if (!COMMIT_HASH.test(commit)) throw unsafe('the commit', commit, 'it is not 40 hex digits');
    return path.join(this.root, 'snapshots', commit);
  }

  /** The snapshot entry of a repo file (`/`-separated path inside the repo). */
  pointer(commit: string, file: string): string {
    const why = repoPathProblem(file);
    if (why) throw unsafe('the repo file', file, why);
    return path.join(this.snapshot(commit), ...file.split('/'));
  }

  /**
   * The commit a revision points at, from `refs/<revision>`; a commit hash whose snapshot
   * exists answers itself. Null when the cache does not know the revision.
   */
  readRef(revision: string): string | null {
    if (COMMIT_HASH.test(revision) && fs.existsSync(this.snapshot(revision))) return revision;
    try {
      const commit = fs.readFileSync(this.#refFile(revision), 'utf8').trim();
      return COMMIT_HASH.test(commit) ? commit : null;
    } catch {
      return null;
    }
  }

  /**
   * Records that `revision` points at `commit` (nothing to do when the revision is that commit).
   * `snapshots/<commit>` is made first, as hf_hub_download makes it before the ref: Python's
   * scan_cache_dir reports a repo whose ref names a commit without a snapshot folder as
   * corrupted, which a pull failing before its first file would otherwise leave. The ref is
   * written whole (temp file, then rename), as huggingface_hub writes it, so no reader sees it empty.
   */
  writeRef(revision: string, commit: string): void {
    if (revision === commit) return;
    const file = this.#refFile(revision);
    if (!COMMIT_HASH.test(commit)) throw unsafe('the commit', commit, 'it is not 40 hex digits');
    fs.mkdirSync(this.snapshot(commit), { recursive: true });
    if (this.readRef(revision) === commit) return;
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const tmp = `${file}.${randomBytes(4).toString('hex')}.tmp`;
    fs.writeFileSync(tmp, commit);
    fs.renameSync(tmp, file);
  }

  /** `refs/<revision>`, for a revision that is a safe ref name. */
  #refFile(revision: string): string {
    const why = revisionProblem(revision);
    if (why) throw unsafe('the revision', revision, why);
    return path.join(this.root, 'refs', ...revision.split('/'));
  }

  /** Every ref (branch, tag) and the commit it points at. */
  refs(): Map<string, string> {
    const out = new Map<string, string>();
    for (const ref of filesUnder(path.join(this.root, 'refs'))) {
      const commit = fs.readFileSync(ref.file, 'utf8').trim();
      if (COMMIT_HASH.test(commit)) out.set(ref.path, commit);
    }
    return out;
  }

  /** The snapshot entry of a file when it exists and resolves to a file (a dangling link does not count). */
  cached(commit: string, file: string): string | null {
    const p = this.pointer(commit, file);
    try {
      return fs.statSync(p).isFile() ? p : null;
    } catch {
      return null;
    }
  }

  /**
   * Makes `snapshots/<commit>/<file>` point at the blob: a relative symlink, else (no
   * symlinks here) the blob moved there when it is new, or copied when other snapshots may
   * share it — what huggingface_hub's `_create_symlink` does.
   */
  link(commit: string, file: string, etag: string, newBlob: boolean): string {
    const dst = this.pointer(commit, file);
    const src = this.blob(etag);
    fs.mkdirSync(path.dirname(dst), { recursive: true });
    fs.rmSync(dst, { force: true });
    try {
      fs.symlinkSync(path.relative(path.dirname(dst), src), dst, 'file');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EEXIST' && fs.realpathSync(dst) === fs.realpathSync(src)) return dst;
      if (code !== 'EPERM' && code !== 'EACCES' && code !== 'ENOSYS' && code !== 'ENOTSUP' && code !== 'EINVAL') throw e;
      if (newBlob) fs.renameSync(src, dst);
      else fs.copyFileSync(src, dst);
    }
    return dst;
  }
}
