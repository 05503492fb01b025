/**
 * Entry of the health worker thread: opens its own engine from the recorded selection and
 * runs one evaluation (src/core/health/evaluate.ts) off the main thread — onnxruntime-node
 * runs each inference synchronously, so in-process it would block Electron's main process.
 * Reports progress and log lines, stops on a cancel message, posts the figures and exits.
 * The parent is src/core/health/worker-client.ts.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { AppError } from '#shared/reply.ts';
import { workerError } from '../kernel/worker-thread.ts';
import { Engine } from '../model/engine.ts';
import { ModelFileError } from '../model/onnx/proto.ts';
import { SaeFileError } from '../sae/errors.ts';
import { evaluateSae } from './evaluate.ts';
import type { FromHealthWorker, HealthWorkerData, ToHealthWorker } from './worker-protocol.ts';

const port = parentPort;
if (!port) throw new Error('src/core/health/worker.ts runs as a worker thread only');
// The parent hands over exactly this shape (worker-client.ts).
const data = workerData as HealthWorkerData;

const post = (m: FromHealthWorker): void => port.postMessage(m);
const controller = new AbortController();
port.on('message', (m: ToHealthWorker) => {
  if (m.type === 'cancel') controller.abort();
});

let engine: Engine | undefined;
try {
  try {
    engine = await Engine.open(data.engine);
  } catch (e) {
    // unreadable model or SAE files: the message names the file and the problem
    if (e instanceof ModelFileError || e instanceof SaeFileError) throw new AppError('bad_request', e.message);
    throw e;
  }
  if (controller.signal.aborted) throw new AppError('cancelled', 'evaluation cancelled');
  const outcome = await evaluateSae(engine, data.options, {
    progress: (_phase, done, total) => post({ type: 'progress', done, total }),
    log: (level, message) => post({ type: 'log', level, message }),
    signal: controller.signal,
  });
  post({
    type: 'result',
    result: { outcome, hook: engine.hook, architecture: engine.sae.config.architecture, provider: engine.activeProvider },
  });
} catch (e) {
  post(workerError(e));
} finally {
  await engine?.close();
  port.close();
}
