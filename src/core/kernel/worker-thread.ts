/**
 * Starting core's worker threads (indexing, evaluation) the same way from source and from
 * the built app.
 */
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { AppError, type ErrorCode } from '#shared/reply.ts';
import { InputFileError } from './input-file-error.ts';
import { errorMessage } from '#shared/error-message.ts';

/**
 * Where a worker's entry is: `source` beside `caller` (an `import.meta.url`) when running from
 * TypeScript sources (tsx), else `<bundle>.js`, the extra entry the electron-vite main build
 * emits beside the main bundle (electron.vite.config.ts).
 */
export function workerEntry(caller: string, source: string, bundle: string): URL {
  if (caller.endsWith('.ts')) return new URL(source, caller);
  for (const rel of [`./${bundle}.js`, `../${bundle}.js`, `./${bundle}.mjs`, `../${bundle}.mjs`]) {
    const u = new URL(rel, caller);
    if (fs.existsSync(fileURLToPath(u))) return u;
  }
  throw new AppError('internal', `the worker entry ${bundle}.js was not found beside ${fileURLToPath(caller)}`);
}

/** Starts a worker thread on `entry` with `workerData`. */
export function spawnWorker(entry: URL, workerData: unknown): Worker {
  if (!entry.pathname.endsWith('.ts')) return new Worker(entry, { workerData });
  // Loader hooks registered in this thread do not reach workers on Node 20: register tsx
  // inside the worker, then load the TypeScript entry.
  const tsx = import.meta.resolve('tsx/esm/api');
  const code = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(entry.href)}); })`;
  return new Worker(code, { eval: true, workerData });
}

/** How every worker of core ends: with its result, or with an error to pass on as an AppError. */
export type WorkerEnd<R> =
  | { readonly type: 'result'; readonly result: R }
  | {
      readonly type: 'error';
      readonly code: ErrorCode;
      readonly message: string;
      /** True for an InputFileError (a problem in an input file's content), rebuilt as one on this side. */
      readonly input?: boolean;
    };

/** A worker's end by error (also how an error crosses to a worker that asked this thread for work). */
export type WorkerFailure = Extract<WorkerEnd<never>, { readonly type: 'error' }>;

/** The end a worker posts when its run threw: the AppError's code, else 'internal'. */
export function workerError(e: unknown): WorkerFailure {
  return {
    type: 'error',
    code: e instanceof AppError ? e.code : 'internal',
    message: errorMessage(e),
    ...(e instanceof InputFileError ? { input: true } : {}),
  };
}

/** The error a `workerError` end stands for, rebuilt on this side (an InputFileError stays one). */
export function rebuiltError(e: WorkerFailure): Error {
  return e.input ? new InputFileError(e.message) : new AppError(e.code, e.message);
}

/**
 * The result a worker posts at its end; its other messages (progress, logs) go to `onMessage`.
 * Rejects with the worker's error, a thread error, or an exit before any end (`name` in the message).
 */
export function workerResult<R, M extends { readonly type: string }>(
  worker: Worker,
  name: string,
  onMessage: (m: Exclude<M, WorkerEnd<R>>) => void,
): Promise<R> {
  return new Promise<R>((resolve, reject) => {
    let settled = false;
    const settle = (fn: () => void): void => {
      if (settled) return;
      settled = true;
      fn();
    };
    worker.on('message', (m: M | WorkerEnd<R>) => {
      if (m.type === 'result') settle(() => resolve((m as WorkerEnd<R> & { type: 'result' }).result));
      else if (m.type === 'error') {
        settle(() => reject(rebuiltError(m as WorkerFailure)));
      } else onMessage(m as Exclude<M, WorkerEnd<R>>);
    });
    worker.on('error', (e) => settle(() => reject(e)));
    worker.on('exit', (code) => settle(() => reject(new AppError('internal', `the ${name} exited (code ${code}) before finishing`))));
  });
}
