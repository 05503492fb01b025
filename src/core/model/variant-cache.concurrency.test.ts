/**
 * Two builders of the same graph variant at once (two evaluations in worker threads of one
 * process, the failure seen in CI): every writer has its own temporary file, a lost race on
 * the content-addressed entry counts as success, and the entry is whole when it appears.
 */
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Worker } from 'node:worker_threads';
import ort from 'onnxruntime-node';
import { spawnWorker } from '../kernel/worker-thread.ts';

const demo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../resources/demo');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sae-variant-race-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

type Outcome = { type: 'done'; files: { file: string; built: boolean }[] } | { type: 'error'; message: string };

/** Starts `n` workers on one cache folder, releases them together, and collects what each got. */
async function race(n: number, cacheDir: string): Promise<Outcome[]> {
  const go = new SharedArrayBuffer(4);
  const workers: Worker[] = [];
  const ready: Promise<void>[] = [];
  const outcomes: Promise<Outcome>[] = [];
  for (let i = 0; i < n; i++) {
    const w = spawnWorker(new URL('./testdata/variant-worker.ts', import.meta.url), {
      model: path.join(demo, 'model'),
      sae: path.join(demo, 'sae'),
      cacheDir,
      go,
    });
    workers.push(w);
    ready.push(new Promise((resolve) => w.once('message', () => resolve())));
    outcomes.push(
      new Promise((resolve, reject) => {
        w.on('message', (m: Outcome | { type: 'ready' }) => {
          if (m.type !== 'ready') resolve(m);
        });
        w.once('error', reject);
      }),
    );
  }
  await Promise.all(ready);
  const flag = new Int32Array(go);
  Atomics.store(flag, 0, 1);
  Atomics.notify(flag, 0);
  try {
    return await Promise.all(outcomes);
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

test('variant builds started together in worker threads all succeed with one whole file each', async () => {
  for (let round = 0; round < 3; round++) {
    const cacheDir = path.join(tmp, `round-${round}`);
    const got = await race(3, cacheDir);
    for (const g of got) assert.equal(g.type, 'done', g.type === 'error' ? g.message : '');
    const files = got.map((g) => (g.type === 'done' ? g.files.map((f) => f.file) : []));
    assert.deepEqual(files[1], files[0], 'every builder names the same entries');
    assert.deepEqual(files[2], files[0]);
    for (const file of files[0]!) {
      const hashes = new Set([crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex')]);
      assert.equal(hashes.size, 1);
      // whole: ONNX Runtime loads it
      const session = await ort.InferenceSession.create(file);
      await session.release();
    }
    const leftovers = fs.readdirSync(path.join(cacheDir, 'variants'), { recursive: true }).filter((f) => String(f).endsWith('.tmp'));
    assert.deepEqual(leftovers, [], 'no temporary file is left behind');
  }
});
