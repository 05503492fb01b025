/**
 * An exclusive lock between processes and threads that the operating system drops when its
 * holder dies (SIGKILL, power loss of a worker, a crash): SQLite's own file lock on a small
 * lock file, held as an open `BEGIN EXCLUSIVE` transaction. A lock left by a killed process is
 * therefore free again at once, with no pid guessing. The lock file is never deleted (a
 * waiter may hold it open), only reused.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { threadId } from 'node:worker_threads';
import type Database from 'better-sqlite3';
import { openDatabase } from './sqlite.ts';
import { sqliteFileError } from './store-kinds.ts';

/** Who holds a lock, as its holder records it. */
export interface LockHolder {
  readonly pid: number;
  readonly host: string;
  readonly thread: number;
  /** Epoch milliseconds. */
  readonly since: number;
}

/** A lock this thread holds. */
export interface HeldLock {
  readonly file: string;
  readonly holder: LockHolder;
  /** Releases it (idempotent). */
  release(): void;
}

/** This thread as a lock holder, now. */
export function currentHolder(): LockHolder {
  return { pid: process.pid, host: os.hostname(), thread: threadId, since: Date.now() };
}

/**
 * Takes the lock on `file` (created with its folder when missing) without waiting; undefined
 * when another process or thread holds it.
 */
export function tryLock(file: string): HeldLock | undefined {
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true });
  } catch (e) {
    throw sqliteFileError(e, path.dirname(file)) ?? e;
  }
  let db: Database.Database;
  try {
    db = openDatabase(file);
  } catch (e) {
    throw sqliteFileError(e, file) ?? e;
  }
  try {
    db.pragma('busy_timeout = 0');
    db.exec('BEGIN EXCLUSIVE');
  } catch (e) {
    db.close();
    if (isBusy(e)) return undefined;
    throw sqliteFileError(e, file) ?? e;
  }
  const holder = currentHolder();
  return {
    file,
    holder,
    release: () => {
      if (!db.open) return;
      try {
        db.exec('ROLLBACK');
      } finally {
        db.close();
      }
    },
  };
}

/**
 * Takes the lock on `file`, waiting (polling every `pollMs`) while someone else holds it,
 * until `signal` aborts.
 */
export async function lock(file: string, signal?: AbortSignal, pollMs = 100): Promise<HeldLock> {
  for (;;) {
    signal?.throwIfAborted();
    const held = tryLock(file);
    if (held) return held;
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}

/** True when nobody holds the lock on `file` right now (a missing file is free). */
export function isFree(file: string): boolean {
  if (!fs.existsSync(file)) return true;
  const held = tryLock(file);
  held?.release();
  return held !== undefined;
}

function isBusy(e: unknown): boolean {
  const code = e instanceof Error && 'code' in e ? String(e.code) : '';
  return code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED');
}
