import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { AppError } from '../../shared/reply.ts';
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

/**
 * Where the worker entry is: worker.ts beside this file when running from source (tsx),
 * else health-worker.js, the extra entry the electron-vite main build emits beside the
 * main bundle (electron.vite.config.ts).
 */
export function healthWorkerEntry(): URL {
  const here = import.meta.url;
  if (here.endsWith('.ts')) return new URL('./worker.ts', here);
  for (const rel of ['./health-worker.js', '../health-worker.js', './health-worker.mjs', '../health-worker.mjs']) {
    const u = new URL(rel, here);
    if (fs.existsSync(fileURLToPath(u))) return u;
  }
  throw new AppError('internal', `the health worker entry (health-worker.js) was not found beside ${fileURLToPath(here)}`);
}

function spawn(entry: URL, data: HealthWorkerData): Worker {
  if (!entry.pathname.endsWith('.ts')) return new Worker(entry, { workerData: data });
  // Loader hooks registered in this thread do not reach workers on Node 20: register tsx
  // inside the worker, then load the TypeScript entry (as src/core/index/worker-client.ts).
  const tsx = import.meta.resolve('tsx/esm/api');
  const code = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(entry.href)}); })`;
  return new Worker(code, { eval: true, workerData: data });
}

/** Starts an evaluation in a worker thread that opens its own engine from `data.engine`. */
export function startHealthWorker(data: HealthWorkerData, hooks: HealthWorkerHooks = {}): HealthWorkerHandle {
  const worker = spawn(healthWorkerEntry(), data);
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
