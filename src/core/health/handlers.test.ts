import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { createCore, type Core } from '../host/core.ts';
import { Engine } from '../model/engine.ts';
import { referenceCases } from '#testing/fixtures.ts';
import { evaluateSae } from './evaluate.ts';
import { healthDbFile } from './store.ts';

/**
 * The health requests through core: an evaluation job on the workspace, its report stored
 * in <data>/health.sqlite (kept across restarts), listed and exported; comparisons paged
 * from a cache.
 */
const ref = referenceCases().find((c) => c.name === 'gpt2-topk-l1post')!;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sae-health-handlers-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));
const data = path.join(tmp, 'data');
const corpus = path.join(tmp, 'corpus.jsonl');
fs.writeFileSync(
  corpus,
  `${Array.from({ length: 60 }, (_, i) => JSON.stringify({ text: `Document ${i}: the cat sat on the mat, ${i * 7} times over.` })).join('\n')}\n`,
);

async function value<T>(reply: Promise<{ ok: true; value: T } | { ok: false; error: { code: string; message: string } }>): Promise<T> {
  const r = await reply;
  assert.ok(r.ok, r.ok ? '' : `${r.error.code}: ${r.error.message}`);
  return r.value;
}

describe('health requests', () => {
  test('evaluate the workspace, get, list, export; the report survives a restart', async () => {
    let core: Core = createCore({ host: 'cli', data: { flag: data } });
    try {
      assert.equal(await value(core.request('health.get', {})), null);
      // nothing open yet
      const none = await core.request('health.evaluate', {});
      assert.ok(!none.ok && none.error.code === 'unavailable');

      await value(core.request('workspace.open', { model: ref.modelDir, sae: ref.saeDir, corpus }));
      const progress: number[] = [];
      const off = core.bus.on('job.progress', (p) => p.phase === 'evaluate' && progress.push(p.done));
      const started = await value(core.request('health.evaluate', { maxTokens: 1500 }));
      assert.equal(started.running, false);
      // the same evaluation again while it runs: the same job
      const again = await value(core.request('health.evaluate', { maxTokens: 1500 }));
      assert.deepEqual(again, { job: started.job, running: true });
      const final = await core.jobs.wait(started.job);
      off();
      assert.equal(final.state, 'done', final.error);
      assert.equal(progress.at(-1), 1500);

      const report = await value(core.request('health.get', {}));
      assert.ok(report);
      assert.equal(report.tokens, 1500);
      assert.equal(report.max_tokens, 1500);
      assert.equal(report.hook, 'blocks.1.hook_resid_post');
      assert.equal(report.corpus, corpus);
      assert.equal(report.density_source, 'evaluation');
      assert.equal(report.l0, 8); // TopK k = 8
      // the stored figures are what the evaluation computes on the same windows
      const engine = await Engine.open({ model: ref.modelDir, sae: ref.saeDir, cacheDir: path.join(tmp, 'cache'), provider: 'cpu' });
      try {
        const direct = await evaluateSae(engine, { corpus, maxTokens: 1500, context: report.context });
        for (const k of ['fvu', 'ce_clean', 'ce_recon', 'ce_zero', 'kl_recon'] as const) {
          assert.ok(Math.abs(report[k]! - direct[k]!) < 1e-4, `${k}: ${report[k]} vs ${direct[k]}`);
        }
        assert.equal(report.dead, direct.dead);
      } finally {
        await engine.close();
      }

      const list = core.health.list();
      assert.deepEqual(
        list.map((r) => r.id),
        [report.id],
      );
      const exported = await value(core.request('health.export', {}));
      assert.match(exported.fileName, /^health-sae-corpus-1500\.json$/);
      assert.deepEqual(JSON.parse(exported.json), report);
      const missing = await core.request('health.export', { id: 999 });
      assert.ok(!missing.ok && missing.error.code === 'not_found');
      // another budget is another report; without a budget the newest is answered
      assert.equal(await value(core.request('health.get', { maxTokens: 7 })), null);
      assert.ok(fs.existsSync(healthDbFile(data)));
    } finally {
      await core.close();
    }

    core = createCore({ host: 'cli', data: { flag: data } });
    try {
      const again = await value(core.request('health.get', { model: ref.modelDir, sae: ref.saeDir, corpus, maxTokens: 1500 }));
      assert.equal(again?.tokens, 1500);
      const byId = await value(core.request('health.get', { id: again!.id }));
      assert.deepEqual(byId, again);
    } finally {
      await core.close();
    }
  });

  test('evaluations differing only in context or text field are separate jobs and reports; the workspace engine runs none of them', async () => {
    // a corpus with two text fields, so a text field other than the default has something to read
    const fields = path.join(tmp, 'fields.jsonl');
    fs.writeFileSync(
      fields,
      `${Array.from({ length: 40 }, (_, i) => JSON.stringify({ text: `Row ${i}: the dog ran to the park and back.`, title: `Title ${i}: a short heading, ${i * 3} words long` })).join('\n')}\n`,
    );
    const core = createCore({ host: 'cli', data: { flag: path.join(tmp, 'data-identity') } });
    try {
      await value(core.request('workspace.open', { model: ref.modelDir, sae: ref.saeDir, corpus: fields }));
      const at128 = await value(core.request('health.evaluate', { maxTokens: 400, context: 128 }));
      const at64 = await value(core.request('health.evaluate', { maxTokens: 400, context: 64 }));
      const title = await value(core.request('health.evaluate', { maxTokens: 400, context: 64, textField: 'title' }));
      // each while the others run: none is taken for another
      assert.deepEqual([at128.running, at64.running, title.running], [false, false, false]);
      assert.equal(new Set([at128.job, at64.job, title.job]).size, 3);
      // the same identity again is the running job
      assert.deepEqual(await value(core.request('health.evaluate', { maxTokens: 400, context: 64 })), { job: at64.job, running: true });
      for (const j of [at128.job, at64.job, title.job]) {
        const final = await core.jobs.wait(j);
        assert.equal(final.state, 'done', final.error);
      }
      const reports = core.health.list();
      assert.deepEqual(reports.map((r) => `${r.context}/${r.text_field}`).sort(), ['128/text', '64/text', '64/title']);
      const byContext = await value(core.request('health.get', { maxTokens: 400, context: 64, textField: 'text' }));
      assert.equal(byContext?.context, 64);
      assert.equal(byContext?.text_field, 'text');
      const byField = await value(core.request('health.get', { textField: 'title' }));
      assert.equal(byField?.text_field, 'title');
      // the titles are other tokens than the texts: a report of its own, not a copy
      assert.notEqual(byField?.ce_clean, byContext?.ce_clean);

      // the evaluations ran in workers with engines of their own: the workspace's engine never
      // loaded the variants only an evaluation uses
      const engine = await core.workspace.currentEngine();
      assert.deepEqual(engine.sessions, ['capture']);
    } finally {
      await core.close();
    }
  });

  test("switching the workspace to another SAE during an evaluation stores the evaluated SAE's figures under it", async () => {
    const other = referenceCases().find((c) => c.name === 'gpt2-relu-l2pre')!;
    const core = createCore({ host: 'cli', data: { flag: path.join(tmp, 'data-switch') } });
    try {
      await value(core.request('workspace.open', { model: ref.modelDir, sae: ref.saeDir, corpus }));
      const started = await value(core.request('health.evaluate', { maxTokens: 300 }));
      // the user opens SAE B while the evaluation of A runs
      await value(core.request('workspace.open', { model: other.modelDir, sae: other.saeDir, corpus }));
      const final = await core.jobs.wait(started.job);
      assert.equal(final.state, 'done', final.error);
      const a = await value(core.request('health.get', { model: ref.modelDir, sae: ref.saeDir, corpus, maxTokens: 300 }));
      assert.ok(a);
      assert.equal(a.sae, path.resolve(ref.saeDir));
      assert.equal(a.hook, 'blocks.1.hook_resid_post'); // A's hook, not B's
      assert.equal(a.architecture, 'topk');
      assert.equal(a.l0, 8); // A's TopK k
      assert.equal(await value(core.request('health.get', { model: other.modelDir, sae: other.saeDir, corpus })), null);
      assert.equal(core.health.list().length, 1);
    } finally {
      await core.close();
    }
  });

  test('compare the workspace SAE with itself: every latent matched at cosine 1, paged', async () => {
    const core = createCore({ host: 'cli', data: { flag: data } });
    try {
      const first = await value(core.request('health.compare', { b: ref.saeDir, limit: 10 }));
      assert.equal(first.a.current, true);
      assert.equal(first.b.current, true);
      assert.equal(first.pairs.total, 512);
      assert.equal(first.pairs.items.length, 10);
      assert.deepEqual(first.shares, { above_0_9: 1, above_0_8: 1, above_0_7: 1 });
      assert.ok(first.pairs.items.every((p) => p.a === p.b && Math.abs(p.cosine - 1) < 1e-5));
      const page = await value(core.request('health.compare', { b: ref.saeDir, offset: 500, limit: 50, order: 'latent' }));
      assert.deepEqual(
        page.pairs.items.map((p) => p.a),
        Array.from({ length: 12 }, (_, i) => 500 + i),
      );
      assert.equal(page.seconds, 0); // from the cache
      const other = referenceCases().find((c) => c.name === 'gpt2-relu-l2pre')!;
      const refused = await core.request('health.compare', { b: other.saeDir });
      assert.ok(!refused.ok && refused.error.code === 'bad_request' && /same hook/.test(refused.error.message));
      const gone = await core.request('health.compare', { b: path.join(tmp, 'no-such-sae') });
      assert.ok(!gone.ok && gone.error.code === 'not_found');
    } finally {
      await core.close();
    }
  });
});
