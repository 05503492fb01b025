import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { AppError } from '../../shared/reply.ts';
import { sqliteNativeBinding } from '../app/sqlite.ts';
import type { IndexJobOptions, IndexProgress, IndexResult } from './indexer.ts';
import type { FromIndexWorker, IndexWorkerData, ToIndexWorker } from './worker-protocol.ts';

/** A running index worker. */
export interface IndexWorkerHandle {
  /** Resolves with the result (complete: false after cancel); rejects with the job's error. */
  readonly result: Promise<IndexResult>;
  /** Holds the job after its current commit (the engine stays loaded). */
  pause(): void;
  resume(): void;
  /** Stops after the current commit; what is committed stays and a later run resumes it. */
  cancel(): void;
  readonly paused: boolean;
}

/** What the parent hears from the worker. */
export interface IndexWorkerHooks {
  progress?(p: IndexProgress): void;
  log?(level: 'info' | 'warn', message: string): void;
}

/**
 * Where the worker entry is: worker.ts beside this file when running from source (tsx),
 * else index-worker.js, the extra entry the electron-vite main build emits beside the
 * main bundle (electron.vite.config.ts).
 */
export function indexWorkerEntry(): URL {
  const here = import.meta.url;
  if (here.endsWith('.ts')) return new URL('./worker.ts', here);
  for (const rel of ['./index-worker.js', '../index-worker.js', './index-worker.mjs', '../index-worker.mjs']) {
    const u = new URL(rel, here);
    if (fs.existsSync(fileURLToPath(u))) return u;
  }
  throw new AppError('internal', `the index worker entry (index-worker.js) was not found beside ${fileURLToPath(here)}`);
}

function spawn(entry: URL, data: IndexWorkerData): Worker {
  if (!entry.pathname.endsWith('.ts')) return new Worker(entry, { workerData: data });
  // Loader hooks registered in this thread do not reach workers on Node 20: register tsx
  // inside the worker, then load the TypeScript entry.
  const tsx = import.meta.resolve('tsx/esm/api');
  const code = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(entry.href)}); })`;
  return new Worker(code, { eval: true, workerData: data });
}

/** Starts an indexing job in a worker thread. */
export function startIndexWorker(options: IndexJobOptions, hooks: IndexWorkerHooks = {}): IndexWorkerHandle {
  const binding = sqliteNativeBinding();
  const worker = spawn(indexWorkerEntry(), { options, ...(binding ? { sqliteBinding: binding } : {}) });
  let paused = false;
  const send = (m: ToIndexWorker): void => worker.postMessage(m);
  const result = new Promise<IndexResult>((resolve, reject) => {
    let settled = false;
    worker.on('message', (m: FromIndexWorker) => {
      if (m.type === 'progress') hooks.progress?.(m.progress);
      else if (m.type === 'log') hooks.log?.(m.level, m.message);
      else if (m.type === 'result') {
        settled = true;
        resolve(m.result);
      } else {
        settled = true;
        reject(new AppError(m.code, m.message));
      }
    });
    worker.on('error', (e) => {
      if (settled) return;
      settled = true;
      reject(e);
    });
    worker.on('exit', (code) => {
      if (settled) return;
      settled = true;
      reject(new AppError('internal', `the index worker exited (code ${code}) before finishing`));
    });
  });
  return {
    result,
    pause: () => {
      paused = true;
      send({ type: 'pause' });
    },
    resume: () => {
      paused = false;
      send({ type: 'resume' });
    },
    cancel: () => {
      paused = false;
      send({ type: 'cancel' });
    },
    get paused() {
      return paused;
    },
  };
}
