/**
 * Worker thread for variant-cache.concurrency.test.ts: waits on a shared flag (so every
 * worker starts at the same moment), then builds (or finds) graph variants of one model +
 * SAE into a shared cache folder and posts what it got.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { loadSae } from '../../sae/load.ts';
import { openModelFolder } from '../model-folder.ts';
import { variantFile } from '../variant-cache.ts';

const data = workerData as { model: string; sae: string; cacheDir: string; go: SharedArrayBuffer };
const folder = openModelFolder(data.model);
const sae = loadSae(data.sae);
const hook = sae.config.hookName!;
const flag = new Int32Array(data.go);
parentPort?.postMessage({ type: 'ready' });
Atomics.wait(flag, 0, 0);
try {
  const files = (['capture', 'steer', 'replace'] as const).map((kind) => variantFile(folder.onnxFile, sae, { kind, hook }, data.cacheDir));
  parentPort?.postMessage({ type: 'done', files });
} catch (e) {
  parentPort?.postMessage({ type: 'error', message: e instanceof Error ? e.message : String(e) });
}
