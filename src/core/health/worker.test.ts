import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { AppError } from '#shared/reply.ts';
import { createCore } from '../host/core.ts';
import { Engine } from '../model/engine.ts';
import { evaluateSae, type EvaluationOutcome } from './evaluate.ts';
import { startHealthWorker } from './worker-client.ts';

/**
 * Evaluation in a worker thread: the main thread stays responsive while the demo is
 * evaluated over many batches, the figures equal an in-process evaluation's, and cancel
 * stops the worker.
 */
const demo = path.resolve(import.meta.dirname, '../../../resources/demo');
const model = path.join(demo, 'model');
const sae = path.join(demo, 'sae');
const corpus = path.join(demo, 'corpus.jsonl');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sae-health-worker-'));
const cacheDir = path.join(tmp, 'data', 'graph-cache');
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Everything but the wall time. */
const figures = ({ seconds: _seconds, ...rest }: EvaluationOutcome): Omit<EvaluationOutcome, 'seconds'> => rest;

describe('health worker', () => {
  test('health.evaluate runs in a worker: the main thread keeps ticking; figures equal in-process ones', async (t) => {
    const maxTokens = 9000; // the demo runs ~4,000 tokens a batch: three batches
    const core = createCore({ host: 'cli', data: { flag: path.join(tmp, 'data') } });
    let report;
    try {
      const opened = await core.request('workspace.open', { model, sae });
      assert.ok(opened.ok);
      const started = await core.request('health.evaluate', { maxTokens, corpus });
      assert.ok(started.ok, started.ok ? '' : started.error.message);
      const batches: number[] = [];
      const off = core.bus.on('job.progress', (p) => p.phase === 'evaluate' && p.done > 0 && batches.push(p.done));
      let gap = 0;
      let last = performance.now();
      const t0 = last;
      const timer = setInterval(() => {
        const now = performance.now();
        gap = Math.max(gap, now - last);
        last = now;
      }, 5);
      const final = await core.jobs.wait(started.value.job);
      clearInterval(timer);
      off();
      const elapsed = performance.now() - t0;
      assert.equal(final.state, 'done', final.error);
      t.diagnostic(`evaluation ${elapsed.toFixed(0)} ms, longest main-thread gap ${gap.toFixed(1)} ms`);
      // On this thread each of the evaluation's (at least three) batches would stall it for about a
      // third of the run; relative to the run's length, so a busy machine slows both sides alike.
      assert.ok(gap < elapsed / 5, `the main thread stalled ${gap.toFixed(0)} ms during a ${elapsed.toFixed(0)} ms evaluation`);
      assert.ok(batches.length >= 3, `expected several batches, saw progress at ${batches.join(', ')}`);
      const got = await core.request('health.get', { maxTokens, corpus });
      assert.ok(got.ok && got.value);
      report = got.value;
    } finally {
      await core.close();
    }

    const engine = await Engine.open({ model, sae, cacheDir });
    try {
      const direct = figures(await evaluateSae(engine, { corpus, maxTokens, context: report.context }));
      for (const [k, v] of Object.entries(direct)) assert.deepEqual(report[k as keyof typeof report], v, k);
      assert.equal(report.hook, engine.hook);
      assert.equal(report.provider, engine.activeProvider);
    } finally {
      await engine.close();
    }
  });

  test('cancel stops the evaluation after its current batch and the worker exits', async () => {
    let cancelledAt = 0;
    let lastDone = 0;
    const handle = startHealthWorker(
      { engine: { model, sae, cacheDir }, options: { corpus, maxTokens: 20_000 } },
      {
        progress: (done) => {
          lastDone = done;
          if (done > 0 && cancelledAt === 0) {
            cancelledAt = done;
            handle.cancel();
          }
        },
      },
    );
    await assert.rejects(handle.result, (e: unknown) => e instanceof AppError && e.code === 'cancelled');
    assert.equal(await handle.exited, 0);
    assert.ok(cancelledAt > 0);
    assert.ok(lastDone < 20_000, `it ran on to ${lastDone} tokens`);
  });

  test('errors arrive with their messages: a missing SAE, a corpus without tokens', async () => {
    const missing = startHealthWorker({ engine: { model, sae: path.join(tmp, 'no-such-sae'), cacheDir }, options: { corpus } });
    await assert.rejects(missing.result, (e: unknown) => e instanceof AppError && e.message.includes('no-such-sae'));
    const empty = path.join(tmp, 'empty.jsonl');
    fs.writeFileSync(empty, '');
    const none = startHealthWorker({ engine: { model, sae, cacheDir }, options: { corpus: empty } });
    await assert.rejects(none.result, (e: unknown) => e instanceof AppError && e.code === 'bad_request' && /no tokens/.test(e.message));
    assert.equal(await none.exited, 0);
  });
});
