import { spawnWorker, workerEntry, workerResult } from '../kernel/worker-thread.ts';
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
  const result = workerResult<HealthWorkerResult, FromHealthWorker>(worker, 'health worker', (m) => {
    if (m.type === 'progress') hooks.progress?.(m.done, m.total);
    else hooks.log?.(m.level, m.message);
  });
  return { result, exited, cancel: () => send({ type: 'cancel' }) };
}
