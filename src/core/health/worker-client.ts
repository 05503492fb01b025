import { AppError } from '../../shared/reply.ts';
import { spawnWorker, workerEntry } from '../app/worker-thread.ts';
import type { FromHealthWorker, HealthWorkerData, HealthWorkerResult, ToHealthWorker } from './worker-protocol.ts';

/** A running evaluation in a worker thread. */
export interface HealthWorkerHandle {
  /** Resolves with the figures; rejects with the evaluation's error (code 'cancelled' after cancel). */
  readonly result: Promise<HealthWorkerResult>;
  /** Stops the evaluation after its current batch; the worker then exits. */
  cancel(): void;
  /** Resolves with the exit code once the worker thread has exited. */
  readonly exited: Promise<number>;
}

/** What the parent hears from the worker. */
export interface HealthWorkerHooks {
  progress?(done: number, total: number | null): void;
  log?(level: 'info' | 'warn', message: string): void;
}

/** Starts an evaluation in a worker thread that opens its own engine from `data.engine`. */
export function startHealthWorker(data: HealthWorkerData, hooks: HealthWorkerHooks = {}): HealthWorkerHandle {
  const worker = spawnWorker(workerEntry(import.meta.url, './worker.ts', 'health-worker'), data);
  const send = (m: ToHealthWorker): void => worker.postMessage(m);
  const exited = new Promise<number>((resolve) => worker.once('exit', resolve));
  const result = new Promise<HealthWorkerResult>((resolve, reject) => {
    let settled = false;
    worker.on('message', (m: FromHealthWorker) => {
      if (m.type === 'progress') hooks.progress?.(m.done, m.total);
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
      reject(new AppError('internal', `the health worker exited (code ${code}) before finishing`));
    });
  });
  return { result, exited, cancel: () => send({ type: 'cancel' }) };
}
