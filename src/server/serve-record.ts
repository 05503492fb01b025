/**
 * The running serve host's address and token, kept in the data folder (`serve.json`, mode
 * 0600, like Jupyter's runtime files) so the user's own tools can reach it: `serve` started
 * again on a busy port finds the running one and prints its URL (what `npm start`'s browser
 * fallback shows), and scripts can read the token instead of copying it from a terminal.
 */
import fs from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../core/util/atomic-write.ts';

/** The file's name inside the data folder. */
export const SERVE_RECORD_FILE = 'serve.json';

/** What the file holds. */
export interface ServeRecord {
  /** The address clients use, e.g. http://127.0.0.1:4517/. */
  readonly url: string;
  /** `url` with `?token=`: opens the app in a browser. */
  readonly openUrl: string;
  /** The token every request must carry. */
  readonly token: string;
  /** The serve process. */
  readonly pid: number;
  /** Epoch milliseconds. */
  readonly startedAt: number;
}

/** Where a data folder keeps its serve record. */
export function serveRecordFile(dataDir: string): string {
  return path.join(dataDir, SERVE_RECORD_FILE);
}

/** Writes the record atomically, readable by its owner only (mode 0600). */
export function writeServeRecord(dataDir: string, record: ServeRecord): void {
  const file = serveRecordFile(dataDir);
  writeFileAtomic(file, `${JSON.stringify(record, null, 2)}\n`, { mode: 0o600 });
}

/** The record in a data folder, or null when there is none (or it is not one). */
export function readServeRecord(dataDir: string): ServeRecord | null {
  try {
    const raw: unknown = JSON.parse(fs.readFileSync(serveRecordFile(dataDir), 'utf8'));
    return isServeRecord(raw) ? raw : null;
  } catch {
    return null;
  }
}

/** Removes the record when it is still the one with `token` (another host may have replaced it). */
export function removeServeRecord(dataDir: string, token: string): void {
  if (readServeRecord(dataDir)?.token !== token) return;
  fs.rmSync(serveRecordFile(dataDir), { force: true });
}

/**
 * The serve host of a data folder's record when it runs on `port` and answers an
 * authenticated request; null otherwise (a stale record, another program on the port).
 */
export async function runningServeHost(dataDir: string, port: number): Promise<ServeRecord | null> {
  const record = readServeRecord(dataDir);
  if (!record || new URL(record.url).port !== String(port)) return null;
  try {
    const r = await fetch(new URL('api/jobs.list', record.url), {
      method: 'POST',
      headers: { Authorization: `Bearer ${record.token}`, 'Content-Type': 'application/json' },
      body: '{}',
      signal: AbortSignal.timeout(3000),
    });
    await r.body?.cancel();
    return r.ok ? record : null;
  } catch {
    return null;
  }
}

function isServeRecord(v: unknown): v is ServeRecord {
  return (
    !!v &&
    typeof v === 'object' &&
    'url' in v &&
    typeof v.url === 'string' &&
    'openUrl' in v &&
    typeof v.openUrl === 'string' &&
    'token' in v &&
    typeof v.token === 'string' &&
    'pid' in v &&
    typeof v.pid === 'number' &&
    'startedAt' in v &&
    typeof v.startedAt === 'number'
  );
}
