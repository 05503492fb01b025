/**
 * Entry of the index worker thread: runs one indexing job (src/core/index/indexer.ts) with
 * pause/resume/cancel from the parent, and reports progress, log lines and the result.
 * With `engine` facts in its data, captures are asked of the parent, whose engine holds
 * the only copy of the model; everything else (reading, tokenizing, SQLite) stays here.
 * The parent is src/core/index/worker-client.ts.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { useSqliteNativeBinding } from '../kernel/sqlite.ts';
import { rebuiltError, workerError } from '../kernel/worker-thread.ts';
import { TextTokenizer } from '../model/tokenizer.ts';
import { runIndex, type CaptureFn, type IndexModel, type IndexProgress } from './indexer.ts';
import type { FromIndexWorker, IndexWorkerData, SharedEngineFacts, ToIndexWorker } from './worker-protocol.ts';

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
const captures = new Map<number, { resolve: (r: Awaited<ReturnType<CaptureFn>>) => void; reject: (e: Error) => void }>();
let nextCapture = 0;

port.on('message', (m: ToIndexWorker) => {
  if (m.type === 'captured' || m.type === 'capture-failed') {
    const c = captures.get(m.id);
    captures.delete(m.id);
    if (m.type === 'captured') c?.resolve({ k: m.k, values: m.values, indices: m.indices });
    else c?.reject(rebuiltError(m.error));
    return;
  }
  if (m.type === 'cancel') cancelled = true;
  else if (m.type === 'pause') paused = true;
  else paused = false;
  if (!paused || cancelled) {
    wake?.();
    wake = undefined;
  }
});

/** The parent's engine, as indexing sees it: its facts here, its captures there. */
function sharedEngine(facts: SharedEngineFacts): IndexModel {
  return {
    ...facts,
    tokenizer: new TextTokenizer(facts.folder.tokenizerJson, facts.folder.tokenizerConfig, facts.folder.config),
    capture: (rows, k) =>
      new Promise((resolve, reject) => {
        const id = nextCapture++;
        captures.set(id, { resolve, reject });
        post({ type: 'capture', id, rows, k });
      }),
  };
}

try {
  const result = await runIndex(
    data.options,
    {
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
    },
    data.engine ? { engine: sharedEngine(data.engine) } : {},
  );
  post({ type: 'result', result });
} catch (e) {
  post(workerError(e));
} finally {
  port.close();
}
