import { spawnWorker, workerEntry, workerResult } from '../app/worker-thread.ts';
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

/** Starts an indexing job in a worker thread. */
export function startIndexWorker(options: IndexJobOptions, hooks: IndexWorkerHooks = {}): IndexWorkerHandle {
  const binding = sqliteNativeBinding();
  const data: IndexWorkerData = { options, ...(binding ? { sqliteBinding: binding } : {}) };
  const worker = spawnWorker(workerEntry(import.meta.url, './worker.ts', 'index-worker'), data);
  let paused = false;
  const send = (m: ToIndexWorker): void => worker.postMessage(m);
  const result = workerResult<IndexResult, FromIndexWorker>(worker, 'index worker', (m) => {
    if (m.type === 'progress') hooks.progress?.(m.progress);
    else hooks.log?.(m.level, m.message);
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
