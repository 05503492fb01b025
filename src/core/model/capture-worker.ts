/**
 * Entry of an engine's capture thread (capture-thread.ts): holds the capture graphs' sessions
 * and runs them, so that the thread that owns the engine (the app's, which answers requests)
 * is free while a capture runs. onnxruntime-node runs a session call synchronously on the
 * calling thread.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { workerError } from '../kernel/worker-thread.ts';
import { runCapture } from './capture-run.ts';
import type { CaptureThreadData, FromCaptureThread, ToCaptureThread } from './capture-thread.ts';
import { ModelRunner } from './runner.ts';

const port = parentPort;
if (!port) throw new Error('src/core/model/capture-worker.ts runs as a worker thread only');
// The parent hands over exactly this shape (capture-thread.ts).
const data = workerData as CaptureThreadData;
const runners = new Map<string, Promise<ModelRunner>>();

/** The session of a capture graph, created on first use and kept (sessions are long-lived). */
function runner(file: string): Promise<ModelRunner> {
  let r = runners.get(file);
  if (!r) {
    r = ModelRunner.create(file, data.providers, { config: data.config });
    runners.set(file, r);
    r.catch(() => runners.delete(file));
  }
  return r;
}

const post = (m: FromCaptureThread, transfer: ArrayBuffer[] = []): void => port.postMessage(m, transfer);

// one call at a time, in the order asked (the engine's callers await each call anyway)
let queue: Promise<void> = Promise.resolve();
port.on('message', (m: ToCaptureThread) => {
  queue = queue.then(async () => {
    if (m.type === 'close') {
      const all = [...runners.values()];
      runners.clear();
      await Promise.allSettled(all.map(async (r) => (await r).release()));
      post({ type: 'closed' });
      return;
    }
    try {
      const r = await runner(m.file);
      if (m.type === 'open') return post({ type: 'opened', id: m.id });
      const c = await runCapture(r, m.rows, m.K, m.reconstruction);
      // copies this thread owns (ONNX Runtime's output buffers are not transferable)
      const values = c.values.slice();
      const indices = c.indices.slice();
      const hookInput = c.hookInput?.slice();
      const reconstruction = c.reconstruction?.slice();
      post(
        {
          type: 'captured',
          id: m.id,
          result: { ...c, values, indices, ...(hookInput && reconstruction ? { hookInput, reconstruction } : {}) },
        },
        [values.buffer, indices.buffer, ...(hookInput && reconstruction ? [hookInput.buffer, reconstruction.buffer] : [])],
      );
    } catch (e) {
      post({ type: 'failed', id: m.id, error: workerError(e) });
    }
  });
});
