import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { dumpIndex, referenceCase, writeJsonlCorpus } from '#testing/index/test-support.ts';
import { runIndex, type IndexJobOptions } from '../index/indexer.ts';
import { startIndexWorker } from '../index/worker-client.ts';
import type { CaptureResult } from './capture-split.ts';
import { Engine } from './engine.ts';

const ref = referenceCase('gpt2-topk-l1post');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'capture-thread-'));
const cacheDir = path.join(tmp, 'cache');
let plain: Engine;
let threaded: Engine;
before(async () => {
  plain = await Engine.open({ model: ref.modelDir, sae: ref.saeDir, cacheDir });
  threaded = await Engine.open({ model: ref.modelDir, sae: ref.saeDir, cacheDir, captureThread: true });
});
after(async () => {
  await plain.close();
  await threaded.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

const rows = (n: number, length: number): number[][] =>
  Array.from({ length: n }, (_, r) => Array.from({ length }, (_, t) => (r * 31 + t * 7 + 3) % 256));

/** The arrays of a capture, for an exact comparison. */
const arrays = (c: CaptureResult): unknown => ({
  shape: [c.batch, c.length, c.k],
  values: [...c.values],
  indices: [...c.indices],
  hookInput: c.hookInput ? [...c.hookInput] : null,
  reconstruction: c.reconstruction ? [...c.reconstruction] : null,
});

describe("an engine's capture thread", () => {
  test('captures exactly what the engine captures on its own thread, with and without the reconstruction', async () => {
    assert.equal(threaded.capturesOffThread, true);
    assert.equal(plain.capturesOffThread, false);
    // more rows than one session call takes: split, run in order and joined on both sides
    for (const [n, length] of [
      [1, 5],
      [40, 16],
    ] as const) {
      const ids = rows(n, length);
      assert.deepEqual(arrays(await threaded.capture(ids, 8)), arrays(await plain.capture(ids, 8)));
      const withRecon = await threaded.capture(ids, 8, { reconstruction: true });
      assert.ok(withRecon.reconstruction && withRecon.reconstruction.length === n * length * threaded.sae.config.dIn);
      assert.deepEqual(arrays(withRecon), arrays(await plain.capture(ids, 8, { reconstruction: true })));
    }
    assert.deepEqual(await threaded.encode([72, 105, 33], 4), await plain.encode([72, 105, 33], 4));
    assert.ok(threaded.sessions.includes('capture') && threaded.sessions.includes('capture+recon'));
  });

  test('a failed capture rejects with its reason and the thread goes on', async () => {
    await assert.rejects(threaded.capture([[1, 2, 100_000]], 8), /100000|out of (data )?bounds|indices/i);
    const ok = await threaded.capture([[1, 2, 3]], 8);
    assert.equal(ok.batch, 1);
  });

  test("an index job on an engine with a capture thread builds the index the job's own engine builds", async () => {
    const corpus = path.join(tmp, 'corpus.jsonl');
    writeJsonlCorpus(corpus, 40, 5);
    const options = (db: string): IndexJobOptions => ({ model: ref.modelDir, sae: ref.saeDir, cacheDir, corpus, db, context: 16, batch: 4 });
    const own = await runIndex(options(path.join(tmp, 'own.sqlite')));
    const lent = await startIndexWorker(options(path.join(tmp, 'lent.sqlite')), {}, threaded).result;
    assert.equal(lent.complete, true);
    assert.equal(lent.tokens, own.tokens);
    assert.deepEqual(dumpIndex(path.join(tmp, 'lent.sqlite')), dumpIndex(path.join(tmp, 'own.sqlite')));
  });

  test('a thread that dies fails the calls it had; the next call starts a fresh thread that captures the same', async () => {
    const e = await Engine.open({ model: ref.modelDir, sae: ref.saeDir, cacheDir, captureThread: true });
    try {
      const ids = rows(4, 16);
      const expected = arrays(await plain.capture(ids, 8));
      assert.deepEqual(arrays(await e.capture(ids, 8)), expected);
      const thread = e['captureThread']!;
      // a call asked as the thread dies fails with the reason (or was answered just before)
      const inFlight = e.capture(ids, 8).then(arrays, (err: unknown) => err);
      await thread.kill();
      const answer = await inFlight;
      if (answer instanceof Error) assert.match(answer.message, /capture thread exited/);
      else assert.deepEqual(answer, expected);
      assert.deepEqual(arrays(await e.capture(ids, 8)), expected);
      assert.deepEqual(arrays(await e.capture(ids, 8, { reconstruction: true })), arrays(await plain.capture(ids, 8, { reconstruction: true })));
      assert.equal(thread.restarts, 1);
    } finally {
      await e.close();
    }
  });

  test('closing the engine ends its thread; a capture after that fails plainly', async () => {
    const e = await Engine.open({ model: ref.modelDir, sae: ref.saeDir, cacheDir, captureThread: true });
    const inFlight = e.capture(rows(4, 16), 8);
    await e.close();
    assert.equal((await inFlight).batch, 4, 'a capture asked before the close finishes');
    await assert.rejects(e.capture([[1, 2, 3]], 8), /this engine was closed/);
  });

  test('a hook the model does not have fails the open, and the thread it started ends', async () => {
    await assert.rejects(
      Engine.open({ model: ref.modelDir, sae: ref.saeDir, cacheDir, hook: 'blocks.99.hook_resid_post', captureThread: true }),
      /blocks\.99\.hook_resid_post/,
    );
  });
});
