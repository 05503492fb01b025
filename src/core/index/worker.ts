/**
 * Entry of the index worker thread: runs one indexing job (src/core/index/indexer.ts) with
 * pause/resume/cancel from the parent, and reports progress, log lines and the result.
 * The parent is src/core/index/worker-client.ts.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { useSqliteNativeBinding } from '../app/sqlite.ts';
import { workerError } from '../app/worker-thread.ts';
import { runIndex, type IndexProgress } from './indexer.ts';
import type { FromIndexWorker, IndexWorkerData, ToIndexWorker } from './worker-protocol.ts';

const port = parentPort;
if (!port) throw new Error('src/core/index/worker.ts runs as a worker thread only');
// The parent hands over exactly this shape (worker-client.ts).
const data = workerData as IndexWorkerData;
useSqliteNativeBinding(data.sqliteBinding);

const post = (m: FromIndexWorker): void => port.postMessage(m);
let cancelled = false;
let paused = false;
let wake: (() => void) | undefined;
let last: IndexProgress | undefined;

port.on('message', (m: ToIndexWorker) => {
  if (m.type === 'cancel') cancelled = true;
  else if (m.type === 'pause') paused = true;
  else paused = false;
  if (!paused || cancelled) {
    wake?.();
    wake = undefined;
  }
});

try {
  const result = await runIndex(data.options, {
    progress: (progress) => {
      last = progress;
      post({ type: 'progress', progress });
    },
    log: (level, message) => post({ type: 'log', level, message }),
    shouldStop: () => cancelled,
    pausePoint: async () => {
      if (!paused || cancelled) return;
      post({ type: 'progress', progress: { ...(last ?? { done: 0, total: null, runDone: 0, batches: 0 }), phase: 'paused' } });
      await new Promise<void>((resolve) => (wake = resolve));
    },
  });
  post({ type: 'result', result });
} catch (e) {
  post(workerError(e));
} finally {
  port.close();
}
