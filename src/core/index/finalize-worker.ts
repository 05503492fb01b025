/**
 * Entry of the finalize phase's helper thread: says when it is ready, then computes the blocks
 * of features it is sent (finalize-blocks.ts) from its own read-only connection to the index,
 * counting co-occurrence rows from the phase's shared table (sent before the first block), and
 * posts their rows back in the order asked. The phase's thread writes them (one writer). The
 * parent is src/core/index/finalize-helper.ts.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { openDatabase, useSqliteNativeBinding } from '../kernel/sqlite.ts';
import { workerError } from '../kernel/worker-thread.ts';
import { CooccurrenceCounter } from './cooccurrence.ts';
import { blockComputer } from './finalize-blocks.ts';
import type { FinalizeWorkerData, FromFinalizeWorker, ToFinalizeWorker } from './finalize-helper.ts';

const port = parentPort;
if (!port) throw new Error('src/core/index/finalize-worker.ts runs as a worker thread only');
// The parent hands over exactly this shape (finalize-helper.ts).
const data = workerData as FinalizeWorkerData;
useSqliteNativeBinding(data.sqliteBinding);

const post = (m: FromFinalizeWorker): void => port.postMessage(m);
try {
  const db = openDatabase(data.file, { readonly: true, fileMustExist: true });
  let compute = blockComputer(db, data.seed, undefined);
  port.on('message', (m: ToFinalizeWorker) => {
    try {
      if (m.type === 'table') compute = blockComputer(db, data.seed, new CooccurrenceCounter(m.table));
      // (the blobs are small slices of Node's shared Buffer pool: copied, never transferred)
      else post({ type: 'rows', start: m.start, rows: compute(m.start, m.end) });
    } catch (e) {
      post(workerError(e));
    }
  });
  post({ type: 'ready' });
} catch (e) {
  post(workerError(e));
}
