/** Worker thread for process-lock.test.ts: tries the lock on `workerData`, releases it, and posts whether it got it. */
import { parentPort, workerData } from 'node:worker_threads';
import { tryLock } from '../process-lock.ts';

const held = tryLock(String(workerData));
held?.release();
parentPort?.postMessage(held !== undefined);
