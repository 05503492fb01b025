/**
 * Which files the API may reach. Every path a request names (model, SAE, corpus, index,
 * folder to list) resolves with realpath, so symlinks cannot lead out, and must land inside
 * an allowed root: the data folder, the HF cache, the embedded demo, or a folder (or file)
 * the user granted (`serve --allow-dir DIR`, or picked in the desktop app's native dialog).
 * Index databases are created only under the data folder's `indexes/`. One policy, held by
 * the core kernel and used by every handler; the CLI's own core is `open` (its paths come
 * from the user's command line).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { FileRootKind } from '#shared/file-types.ts';
import { AppError } from '#shared/reply.ts';
import { indexesDir, resolveIndexPath } from './index-path.ts';

/** A folder (or a single granted file) the API may reach. */
export interface AccessRoot {
  /** As given (absolute), for display. */
  readonly path: string;
  readonly kind: FileRootKind;
}

/** What builds a FileAccess. */
export interface FileAccessOptions {
  /** The data folder (indexes, settings, caches). */
  readonly dataDir: string;
  /** The HF cache folder, asked on every check (it follows the environment and may appear later). */
  readonly hfCacheDir: () => string;
  /** The embedded demo's folder, when this build has one. */
  readonly demoDir?: string | undefined;
  /** Every path allowed (the CLI's own core). */
  readonly open?: boolean;
}

/** What a checked path is for, as error messages name it (e.g. `corpus`, `model`, `folder`). */
export type PathUse = 'corpus' | 'model' | 'SAE' | 'index' | 'folder';

/** How a user grants a path, for error messages. */
export const GRANT_HINT =
  'grant its folder: restart `serve` with `--allow-dir DIR` (repeatable), or in the desktop app pick it with Models → Local folder → Choose';

const caseInsensitive = process.platform === 'win32' || process.platform === 'darwin';

/** True when `inner` is `outer` or lies below it (both resolved, absolute). */
function within(outer: string, inner: string): boolean {
  const rel = path.relative(caseInsensitive ? outer.toLowerCase() : outer, caseInsensitive ? inner.toLowerCase() : inner);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel));
}

/**
 * The real path of `abs`, symlinks resolved. A path that does not exist yet resolves through
 * its nearest existing ancestor (so a file to be created is judged by the folder it lands
 * in). Null when an entry exists but cannot be resolved (a dangling or looping link): such a
 * path could point anywhere.
 */
export function realPathOf(abs: string): string | null {
  const rest: string[] = [];
  let cur = abs;
  for (;;) {
    try {
      return path.join(fs.realpathSync.native(cur), ...rest);
    } catch {
      if (exists(cur)) return null;
      const parent = path.dirname(cur);
      if (parent === cur) return null;
      rest.unshift(path.basename(cur));
      cur = parent;
    }
  }
}

function exists(p: string): boolean {
  try {
    fs.lstatSync(p);
    return true;
  } catch {
    return false;
  }
}

/** The policy itself: allowed roots, grants, and the checks handlers call. */
export class FileAccess {
  private readonly grants = new Map<string, string>();

  constructor(private readonly options: FileAccessOptions) {}

  /** True when every path is allowed (the CLI's own core). */
  get open(): boolean {
    return this.options.open === true;
  }

  /**
   * Allows a folder (everything below it) or a single file from now on, for this process.
   * Answers its real path; a path that does not exist cannot be granted.
   */
  grant(p: string): string {
    const abs = path.resolve(p);
    let real: string;
    try {
      real = fs.realpathSync.native(abs);
    } catch {
      throw new AppError('not_found', `cannot grant access to ${abs}: no such file or folder`);
    }
    if (!this.grants.has(real)) this.grants.set(real, abs);
    return real;
  }

  /** The allowed roots as given (data folder, HF cache, demo, grants), whether they exist or not. */
  roots(): AccessRoot[] {
    const out: AccessRoot[] = [
      { path: this.options.dataDir, kind: 'data' },
      { path: this.options.hfCacheDir(), kind: 'hf-cache' },
    ];
    if (this.options.demoDir) out.push({ path: this.options.demoDir, kind: 'demo' });
    for (const given of this.grants.values()) out.push({ path: given, kind: 'granted' });
    return out;
  }

  /** True when `p` (absolute or relative to the working folder) resolves inside an allowed root. */
  allows(p: string): boolean {
    return this.checker()(p);
  }

  /** `allows` with the roots resolved once, for checking many paths (a folder's entries). */
  checker(): (p: string) => boolean {
    if (this.open) return () => true;
    const roots = this.roots()
      .map((r) => realPathOf(r.path))
      .filter((r): r is string => r !== null);
    return (p) => {
      const real = realPathOf(path.resolve(p));
      return real !== null && roots.some((root) => within(root, real));
    };
  }

  /**
   * Checks a path a request reads (a model, SAE or corpus, file or folder) and answers it
   * absolute, as given (not the real path: file names such as `model.onnx` matter to the
   * loaders, and the HF cache links its snapshot files to blobs). Throws `forbidden` naming
   * the path and how to grant it.
   */
  resolveRead(p: string, what: PathUse): string {
    const abs = path.resolve(p);
    if (!this.allows(abs)) throw this.refusal(abs, what);
    return abs;
  }

  /**
   * An index database a request names (a name inside the data folder's `indexes/`, or an
   * absolute path). `read`: anywhere the API may read. `create` (index.start, which writes
   * it): only inside `indexes/`.
   */
  resolveIndex(db: string, mode: 'read' | 'create'): string {
    const file = resolveIndexPath(this.options.dataDir, db);
    if (this.open) return file;
    if (mode === 'read') return this.resolveRead(file, 'index');
    const dir = indexesDir(this.options.dataDir);
    const real = realPathOf(file);
    const realDir = realPathOf(dir);
    if (real === null || realDir === null || !within(realDir, real) || real === realDir) {
      const name = path.basename(file, path.extname(file)) || 'my-index';
      throw new AppError(
        'forbidden',
        `index ${file} is outside ${dir}: the app creates index databases only there; name one instead (e.g. "${name}") or give a path inside that folder`,
      );
    }
    return file;
  }

  private refusal(abs: string, what: PathUse): AppError {
    const dir = what === 'folder' ? abs : path.dirname(abs);
    return new AppError(
      'forbidden',
      `${what} ${abs} is outside the folders the app may reach (the data folder, the HF cache, the embedded demo and granted folders): ` +
        GRANT_HINT.replace('DIR', dir),
    );
  }
}
