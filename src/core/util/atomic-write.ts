/**
 * Writing files that other threads and processes may read or write at the same moment:
 * every writer gets its own temporary name (pid + thread + random), the file appears under
 * its final name only whole (rename), and for content-addressed files a writer that finds
 * the entry made by someone else meanwhile has succeeded too.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { threadId } from 'node:worker_threads';

/** A temporary name beside `file`, unique to this writer (process, thread and a random part). */
export function tempPath(file: string): string {
  return `${file}.${process.pid}-${threadId}-${randomBytes(6).toString('hex')}.tmp`;
}

/** How `writeFileAtomic` writes. */
export interface AtomicWriteOptions {
  /** File mode, applied before the file gets its name (e.g. 0o600 for a file holding a token). */
  readonly mode?: number;
}

/**
 * Writes `data` to `file` whole: into a temporary file of its own, then renamed over `file`.
 * A reader sees the old content or the new, never a part; a crash leaves at most a stray
 * temporary file, never a half-written `file`.
 */
export function writeFileAtomic(file: string, data: string | NodeJS.ArrayBufferView, options: AtomicWriteOptions = {}): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = tempPath(file);
  try {
    fs.writeFileSync(tmp, data, options.mode === undefined ? {} : { mode: options.mode });
    // the mode given to writeFileSync is masked by the umask
    if (options.mode !== undefined) fs.chmodSync(tmp, options.mode);
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
}

/**
 * Makes the content-addressed `file` (its name is a hash of its content) when it is missing:
 * `write` fills a temporary path, which is then renamed into place. Another writer making the
 * same entry meanwhile is no failure: its file is the same, and whichever rename lands last
 * leaves a whole file. True when this call made the file.
 */
export function publishContentAddressed(file: string, write: (tmp: string) => void): boolean {
  if (fs.existsSync(file)) return false;
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = tempPath(file);
  try {
    write(tmp);
    fs.renameSync(tmp, file);
    return true;
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    // lost the race to another writer of the same content (Windows refuses to rename over it)
    if (fs.existsSync(file)) return false;
    throw e;
  }
}

/**
 * Links `dst` to `src` (a hard link, else a symbolic one) unless `dst` exists; another writer
 * linking it meanwhile counts as done.
 */
export function linkIfMissing(src: string, dst: string): void {
  fs.mkdirSync(path.dirname(dst), { recursive: true });
  if (fs.existsSync(dst)) return;
  try {
    fs.linkSync(src, dst);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return;
    try {
      fs.symlinkSync(src, dst);
    } catch (e2) {
      if ((e2 as NodeJS.ErrnoException).code !== 'EEXIST') throw e2;
    }
  }
}
