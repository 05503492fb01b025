/**
 * One blob from the hub into the cache: written to `blobs/<etag>.incomplete`, resumed with
 * a Range request after a dropped connection or an earlier interrupted run, checked against
 * its etag (sha256 for LFS files, the git blob sha1 otherwise), then renamed into place.
 */
import { createHash, type Hash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { AppError } from '#shared/reply.ts';
import type { HubClient } from './client.ts';
import { HubUnreachableError } from './errors.ts';
import { lock } from '../kernel/process-lock.ts';

/** What to fetch and where. */
export interface BlobRequest {
  /** Where the bytes are (CDN URL for LFS files). */
  readonly url: string;
  /** The final blob path; `<blob>.incomplete` holds the bytes meanwhile. */
  readonly blob: string;
  readonly size: number;
  readonly etag: string;
  /** Path inside the repo, for messages. */
  readonly file: string;
  readonly repo: string;
}

/** How the download reports and stops. */
export interface BlobCallbacks {
  readonly signal: AbortSignal;
  /** Bytes already on disk from an earlier run, before the first request. */
  onResume?(bytes: number): void;
  /** New bytes written (called per chunk). */
  onBytes?(bytes: number): void;
  /** The whole file is being hashed. */
  onVerify?(): void;
  /** Transient failures that are retried. */
  onRetry?(message: string): void;
}

/** How often a dropped connection is retried (each from where it stopped). */
export const MAX_ATTEMPTS = 6;

/**
 * The hash the etag is: sha256 (64 hex) or a git blob sha1 (40 hex). Any other etag is
 * refused, naming the file: it names the blob file, so it must be a plain hash.
 */
function hasherFor(etag: string, size: number, file: string): Hash {
  if (/^[0-9a-f]{64}$/.test(etag)) return createHash('sha256');
  if (/^[0-9a-f]{40}$/.test(etag)) return createHash('sha1').update(`blob ${size}\0`);
  throw new AppError(
    'unavailable',
    `the etag "${etag.slice(0, 100)}" of "${file}" is not a SHA-256 or git sha1; it cannot be checked or stored`,
  );
}

/** Hashes what an earlier run left in `file` (its first `bytes` bytes). */
async function hashExisting(hash: Hash, file: string, bytes: number): Promise<void> {
  if (bytes === 0) return;
  const stream = fs.createReadStream(file, { start: 0, end: bytes - 1 });
  for await (const chunk of stream) hash.update(chunk as Buffer);
}

/** Hashes a whole file and compares it with its etag; false when they differ. */
export async function blobMatches(file: string, etag: string, size: number): Promise<boolean> {
  const stat = fs.statSync(file);
  if (stat.size !== size) return false;
  const hash = hasherFor(etag, size, file);
  await hashExisting(hash, file, size);
  return hash.digest('hex') === etag;
}

const delay = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve, reject) => {
    const onAbort = (): void => {
      clearTimeout(t);
      reject(signal.reason instanceof Error ? signal.reason : new AppError('cancelled', 'cancelled'));
    };
    const t = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });

/**
 * Downloads a blob. On cancel the `.incomplete` file stays for the next run to resume; on a
 * checksum mismatch it is deleted (its bytes are wrong) and the error says so.
 *
 * One writer per blob: a pull of the same file in another thread or process holds
 * `.locks/<repo>/<etag>.sae-explorer.lock` (dropped by the OS if that process dies) and this
 * one waits for it; when the blob is then there, it was verified by that writer, and this
 * download has succeeded too.
 */
export async function downloadBlob(client: HubClient, req: BlobRequest, cb: BlobCallbacks): Promise<void> {
  if (path.basename(req.blob) !== req.etag) {
    throw new AppError('bad_request', `"${req.file}": the blob ${req.blob} is not named by its etag ${req.etag}`);
  }
  const repoDir = path.dirname(path.dirname(req.blob));
  const held = await lock(path.join(path.dirname(repoDir), '.locks', path.basename(repoDir), `${req.etag}.sae-explorer.lock`), cb.signal);
  try {
    if (fs.existsSync(req.blob) && fs.statSync(req.blob).size === req.size) return;
    await downloadBlobNow(client, req, cb);
  } finally {
    held.release();
  }
}
/** A download under way: the bytes in the `.incomplete` file, their running hash, and the last transient failure. */
interface Progress {
  have: number;
  hash: Hash;
  lastError: string;
}

async function downloadBlobNow(client: HubClient, req: BlobRequest, cb: BlobCallbacks): Promise<void> {
  // checked before anything touches the disk: the blob's name is the etag
  const hash = hasherFor(req.etag, req.size, req.file);
  if (path.basename(req.blob) !== req.etag) {
    throw new AppError('bad_request', `"${req.file}": the blob ${req.blob} is not named by its etag ${req.etag}`);
  }
  const partial = `${req.blob}.incomplete`;
  fs.mkdirSync(path.dirname(req.blob), { recursive: true });
  const p: Progress = { have: fs.existsSync(partial) ? fs.statSync(partial).size : 0, hash, lastError: '' };
  if (p.have > req.size) {
    fs.rmSync(partial, { force: true });
    p.have = 0;
  }
  await hashExisting(hash, partial, p.have);
  if (p.have > 0) cb.onResume?.(p.have);

  if (req.size === 0) fs.writeFileSync(partial, '');
  for (let attempt = 1; p.have < req.size; attempt++) {
    if (attempt > MAX_ATTEMPTS) {
      throw new HubUnreachableError(
        `downloading "${req.file}" from "${req.repo}" failed ${MAX_ATTEMPTS} times (${p.lastError}); pull again to resume from byte ${p.have}`,
      );
    }
    if (attempt > 1) await delay(Math.min(2000, 100 * 2 ** (attempt - 2)), cb.signal);
    // a connection that keeps delivering before it drops is worth retrying again and again
    if (await fetchOnce(client, req, cb, partial, p)) attempt = 0;
  }
  finishBlob(req, cb, partial, p);
}

/** Drops the partial file: the next request starts from byte 0. */
function restart(req: BlobRequest, partial: string, p: Progress): void {
  fs.rmSync(partial, { force: true });
  p.have = 0;
  p.hash = hasherFor(req.etag, req.size, req.file);
}

/**
 * One request for the bytes from `p.have` on, appended to the partial file. Failures worth
 * retrying are recorded in `p.lastError` (and reported); others are thrown. True when the
 * connection delivered some bytes and dropped before the end (the attempts count anew).
 */
async function fetchOnce(client: HubClient, req: BlobRequest, cb: BlobCallbacks, partial: string, p: Progress): Promise<boolean> {
  const headers: Record<string, string> = { 'accept-encoding': 'identity' };
  if (p.have > 0) headers['range'] = `bytes=${p.have}-`;
  let res: Response;
  try {
    res = await client.fetch(req.url, { headers, signal: cb.signal });
  } catch (e) {
    if (cb.signal.aborted || !(e instanceof HubUnreachableError)) throw e;
    p.lastError = e.message;
    cb.onRetry?.(`${req.file}: ${e.message}; retrying`);
    return false;
  }
  if (res.status === 416 && p.have > 0) {
    // the server has nothing past `have`: either we already hold everything, or the partial file is bad
    await res.body?.cancel();
    restart(req, partial, p);
    return false;
  }
  if (!res.ok) {
    await res.body?.cancel();
    const err = new AppError(
      res.status === 401 || res.status === 403 ? 'forbidden' : res.status === 404 ? 'not_found' : 'unavailable',
      `downloading "${req.file}" from "${req.repo}": the server answered ${res.status}`,
    );
    if (res.status >= 500 || res.status === 429) {
      p.lastError = err.message;
      cb.onRetry?.(`${err.message}; retrying`);
      return false;
    }
    throw err;
  }
  if (p.have > 0 && res.status !== 206) {
    // the server ignored the Range: start over
    restart(req, partial, p);
  }
  if (!res.body) throw new AppError('internal', `no body downloading "${req.file}"`);
  const startedAt = p.have;
  const dropped = await appendBody(res.body, req, cb, partial, p);
  if (cb.signal.aborted) throw cb.signal.reason instanceof Error ? cb.signal.reason : new AppError('cancelled', 'cancelled');
  if (p.have < req.size) {
    if (!dropped) p.lastError = 'the connection closed early';
    cb.onRetry?.(`${req.file}: connection lost at byte ${p.have} (${p.lastError}); resuming`);
    return p.have > startedAt;
  }
  return false;
}

/** Appends a response body to the partial file, hashing it, up to the expected size. True when the connection dropped. */
async function appendBody(
  body: ReadableStream<Uint8Array>,
  req: BlobRequest,
  cb: BlobCallbacks,
  partial: string,
  p: Progress,
): Promise<boolean> {
  const reader = body.getReader();
  // a pending read does not always end when the fetch is aborted: cancel the reader too
  const onAbort = (): void => void reader.cancel().catch(() => {});
  cb.signal.addEventListener('abort', onAbort, { once: true });
  const out = await fs.promises.open(partial, p.have > 0 ? 'a' : 'w');
  let dropped = false;
  try {
    // stop at the expected size: all bytes are here, whatever the connection does next
    while (p.have < req.size) {
      const { done, value } = await reader.read();
      if (done) break;
      await out.write(value);
      p.hash.update(value);
      p.have += value.byteLength;
      cb.onBytes?.(value.byteLength);
    }
  } catch (e) {
    // a dropped connection: keep what arrived and ask for the rest
    p.lastError = (e as { cause?: { code?: string } }).cause?.code ?? (e as Error).message;
    dropped = true;
  } finally {
    cb.signal.removeEventListener('abort', onAbort);
    void reader.cancel().catch(() => {});
    await out.close();
  }
  return dropped;
}

/** Checks the complete partial file's size and hash, then renames it into place as the blob. */
function finishBlob(req: BlobRequest, cb: BlobCallbacks, partial: string, p: Progress): void {
  const { have } = p;
  if (have !== req.size) {
    fs.rmSync(partial, { force: true });
    throw new AppError(
      'conflict',
      `"${req.file}" from "${req.repo}": got ${have} bytes, the hub said ${req.size}; the partial file was deleted, pull again`,
    );
  }
  cb.onVerify?.();
  const got = p.hash.digest('hex');
  if (got !== req.etag) {
    fs.rmSync(partial, { force: true });
    const kind = req.etag.length === 64 ? 'SHA-256' : 'git sha1';
    throw new AppError(
      'conflict',
      `"${req.file}" from "${req.repo}" is corrupted: its ${kind} is ${got}, the hub says ${req.etag}; the download was deleted, pull again`,
    );
  }
  // readable by all, like huggingface_hub's blobs, then into place
  fs.chmodSync(partial, 0o644);
  fs.renameSync(partial, req.blob);
}
