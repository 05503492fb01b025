import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { isFree, tryLock } from './process-lock.ts';
import { spawnWorker } from './worker-thread.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sae-process-lock-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Whether a worker thread of this process gets the lock on `file`. */
function workerGets(file: string): Promise<boolean> {
  const w = spawnWorker(new URL('./testdata/lock-worker.ts', import.meta.url), file);
  return new Promise((resolve, reject) => {
    w.once('message', (m: boolean) => resolve(m));
    w.once('error', reject);
  });
}

test('one holder at a time, across connections and worker threads of one process', async () => {
  const file = path.join(tmp, 'nested', 'a.lock');
  assert.equal(isFree(file), true, 'a missing lock file is free');
  const held = tryLock(file);
  assert.ok(held);
  assert.equal(held.holder.pid, process.pid);
  assert.equal(tryLock(file), undefined, 'a second connection is refused');
  assert.equal(await workerGets(file), false, 'a worker thread is refused');
  assert.equal(isFree(file), false);
  held.release();
  held.release(); // idempotent
  assert.equal(await workerGets(file), true, 'free again once released');
  assert.equal(isFree(file), true);
  assert.ok(fs.existsSync(file), 'the lock file stays (a waiter may hold it open)');
});
