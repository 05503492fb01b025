import type { Worker } from 'node:worker_threads';
import { sqliteNativeBinding } from '../kernel/sqlite.ts';
import { spawnWorker, workerEntry, workerError, workerResult } from '../kernel/worker-thread.ts';
import type { Engine } from '../model/engine.ts';
import type { IndexJobOptions, IndexProgress, IndexResult } from './indexer.ts';
import type { FromIndexWorker, IndexWorkerData, SharedEngineFacts, ToIndexWorker } from './worker-protocol.ts';

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
 * Runs the worker's captures on `engine`, answering each with its latents (copied: the worker
 * owns them). An engine with a capture thread (the app's) runs them there, as many windows a
 * session call as capture likes; one without runs them on this thread, one window a call, so
 * that requests to this thread are answered between calls.
 */
function serveCaptures(worker: Worker, engine: Engine): (m: FromIndexWorker & { type: 'capture' }) => void {
  const perCall = engine.capturesOffThread ? {} : { maxRowsPerCall: 1 };
  return (m) => {
    engine.capture(m.rows, m.k, perCall).then(
      (r) => {
        const values = r.values.slice();
        const indices = r.indices.slice();
        const reply: ToIndexWorker = { type: 'captured', id: m.id, k: r.k, values, indices };
        worker.postMessage(reply, [values.buffer, indices.buffer]);
      },
      (e: unknown) => {
        const reply: ToIndexWorker = { type: 'capture-failed', id: m.id, error: workerError(e) };
        worker.postMessage(reply);
      },
    );
  };
}

/**
 * Starts an indexing job in a worker thread. With `engine` (the app's, when it is the job's
 * model and SAE) the worker asks this thread for each capture instead of loading a second
 * copy of the model; reading, tokenizing and the database work stay in the worker.
 */
export function startIndexWorker(options: IndexJobOptions, hooks: IndexWorkerHooks = {}, engine?: Engine): IndexWorkerHandle {
  const binding = sqliteNativeBinding();
  const data: IndexWorkerData = {
    options,
    ...(binding ? { sqliteBinding: binding } : {}),
    ...(engine ? { engine: { sae: { config: engine.sae.config }, hook: engine.hook, folder: shareableFolder(engine) } } : {}),
  };
  const worker = spawnWorker(workerEntry(import.meta.url, './worker.ts', 'index-worker'), data);
  const capture = engine && serveCaptures(worker, engine);
  let paused = false;
  const send = (m: ToIndexWorker): void => worker.postMessage(m);
  const result = workerResult<IndexResult, FromIndexWorker>(worker, 'index worker', (m) => {
    if (m.type === 'progress') hooks.progress?.(m.progress);
    else if (m.type === 'log') hooks.log?.(m.level, m.message);
    else capture?.(m);
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

/** The model folder's facts indexing reads (plain data, cloned into the worker). */
function shareableFolder(engine: Engine): SharedEngineFacts['folder'] {
  const { config, tokenizerJson, tokenizerConfig } = engine.folder;
  return { config, tokenizerJson, tokenizerConfig };
}
