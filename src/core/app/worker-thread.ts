/**
 * Starting core's worker threads (indexing, evaluation) the same way from source and from
 * the built app.
 */
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { AppError } from '../../shared/reply.ts';

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
