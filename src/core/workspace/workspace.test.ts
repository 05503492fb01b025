import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { createCore } from '../host/core.ts';
import { Engine } from '../model/engine.ts';
import { writeStandInDemo } from '#testing/demo.ts';
import { referenceCases } from '#testing/fixtures.ts';

/**
 * First run opens the embedded demo and indexes its corpus in the background; the choice
 * and the finished index survive a restart; a bad model is refused without losing the
 * current one. A reference fixture stands in for the demo (same layout: demo/model, demo/sae,
 * demo/corpus.jsonl).
 */
const ref = referenceCases().find((c) => c.name === 'gpt2-topk-l1post')!;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sae-workspace-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const resources = path.join(tmp, 'resources');
writeStandInDemo(
  resources,
  ref.name,
  Array.from({ length: 30 }, (_, i) => ({ text: `Document ${i}: the cat sat on the mat, ${i * 7} times.` })),
);
const data = path.join(tmp, 'data');

describe('workspace', () => {
  test('first run: the demo opens and its corpus is indexed in the background', async () => {
    const core = createCore({ host: 'serve', data: { flag: data }, resourcesDir: resources });
    try {
      const done = core.bus.next('job.state', (s) => s.kind === 'index' && ['done', 'failed', 'cancelled'].includes(s.state));
      core.boot();
      const final = await done;
      assert.equal(final.state, 'done', final.error);
      const info = await core.request('workspace.get');
      assert.ok(info.ok);
      assert.equal(info.value.selection?.demo, true);
      assert.equal(info.value.index?.state, 'complete');
      assert.equal(info.value.index?.documents, 30);
      assert.equal(info.value.indexJob, null);

      // prompt.rank's tokens: each with its strongest latents (the capture graph on text)
      const enc = await core.request('prompt.rank', { text: 'the cat', top: 4 });
      assert.ok(enc.ok, enc.ok ? '' : enc.error.message);
      const loaded = await core.request('workspace.get');
      assert.ok(loaded.ok);
      assert.equal(loaded.value.engine?.hook, 'blocks.1.hook_resid_post');
      assert.equal(enc.value.tokens.length, 7);
      assert.ok(enc.value.tokens.every((t) => t.latents.length === 4));

      const feature = enc.value.tokens[0]!.latents[0]![0];
      const dash = await core.request('feature.get', { db: info.value.db!, id: feature });
      assert.ok(dash.ok, dash.ok ? '' : dash.error.message);
      assert.ok(dash.value.count > 0);

      // the reference case's own prompt and clamp, known to change its continuation
      const steered = core.bus.next('steer.done', () => true);
      const run = await core.request('steer.run', {
        prompt: ref.expected.prompt_text,
        settings: { maxNewTokens: 8, stopAtEos: false },
        interventions: ref.expected.clamps.map(([feature, value]) => ({ feature, mode: 'clamp' as const, value })),
      });
      assert.ok(run.ok, run.ok ? '' : run.error.message);
      assert.equal((await steered).state, 'done');
      const cmp = await core.request('session.get', { id: run.value.session.id });
      assert.ok(cmp.ok, cmp.ok ? '' : cmp.error.message);
      assert.deepEqual(cmp.value.outputs.default.ids, ref.expected.baseline_ids.slice(0, 8));
      assert.deepEqual(cmp.value.outputs.steered.ids, ref.expected.steered_ids.slice(0, 8));
      assert.equal(cmp.value.outputs.default.tokens.length, 8);

      const bad = await core.request('steer.run', { prompt: 'x', interventions: [{ feature: 9999, mode: 'clamp', value: 1 }] });
      assert.ok(!bad.ok);
      assert.match(bad.error.message, /feature 9999 is out of range/);
    } finally {
      await core.close();
    }
  });

  test('restart: the selection is remembered and a complete index is not rebuilt', async () => {
    const core = createCore({ host: 'serve', data: { flag: data }, resourcesDir: resources });
    try {
      const started: string[] = [];
      core.bus.on('job.state', (s) => started.push(s.kind));
      core.boot();
      const info = await core.request('workspace.get');
      assert.ok(info.ok);
      assert.equal(info.value.selection?.demo, true);
      assert.equal(info.value.index?.state, 'complete');
      assert.deepEqual(started, []);
    } finally {
      await core.close();
    }
  });

  test('opening a model that does not load keeps the current one and says why', async () => {
    const core = createCore({ host: 'serve', data: { flag: data }, resourcesDir: resources });
    try {
      // inside the data folder and the demo, so the file-access policy lets them through to the engine
      const reply = await core.request('workspace.open', { model: path.join(data, 'nope'), sae: path.join(resources, 'demo', 'sae') });
      assert.ok(!reply.ok);
      assert.match(reply.error.message, /nope.*no such file or folder/);
      const info = await core.request('workspace.get');
      assert.ok(info.ok);
      assert.equal(info.value.selection?.demo, true);
    } finally {
      await core.close();
    }
  });

  test('the index job captures on the workspace engine; an engine replaced under a running job closes when the job ends', async () => {
    // a bigger corpus than the demo's, so the job has batches to pause between
    const res = path.join(tmp, 'resources-big');
    writeStandInDemo(
      res,
      ref.name,
      Array.from({ length: 400 }, (_, i) => ({ text: `Line ${i}: the dog ran past the cat ${i} times.` })),
    );
    const other = path.join(tmp, 'other-corpus.jsonl');
    fs.writeFileSync(other, '{"text": "a small other corpus"}\n');
    const opened: Engine[] = [];
    const closed = new Set<Engine>();
    const open = Engine.open;
    const close = Engine.prototype.close;
    Engine.open = async (o) => {
      const e = await open.call(Engine, o);
      opened.push(e);
      return e;
    };
    Engine.prototype.close = async function (this: Engine) {
      closed.add(this);
      return close.call(this);
    };
    const core = createCore({ host: 'serve', data: { flag: path.join(tmp, 'data-lease') }, resourcesDir: res, files: { grants: [tmp] } });
    try {
      const running = core.bus.next('job.progress', (p) => p.phase === 'load');
      core.boot();
      const job = (await running).job;
      core.index.pause(job);
      await core.bus.next('job.progress', (p) => p.job === job && p.phase === 'paused');
      assert.equal(opened.length, 1, 'one engine: the workspace opened it and the job captures on it');
      assert.ok(opened[0]!.capturesOffThread, "the workspace's engine captures in a thread of its own, not on the app's");
      const first = opened[0]!;

      // another corpus: a new engine for the workspace, while the paused job still holds the first
      const demo = path.join(res, 'demo');
      const reopened = await core.request('workspace.open', { model: path.join(demo, 'model'), sae: path.join(demo, 'sae'), corpus: other });
      assert.ok(reopened.ok, reopened.ok ? '' : reopened.error.message);
      assert.equal(opened.length, 2);
      assert.ok(!closed.has(first), 'the engine of a running job stays open');

      const done = core.jobs.wait(job);
      core.index.resume(job);
      assert.equal((await done).state, 'done');
      for (let i = 0; i < 100 && !closed.has(first); i++) await new Promise((r) => setTimeout(r, 20));
      assert.ok(closed.has(first), 'closed once its job ended');
      assert.ok(!closed.has(opened[1]!), "the workspace's engine stays open");
      assert.equal(opened.length, 2, 'neither index job opened an engine of its own');
    } finally {
      await core.close();
      Engine.open = open;
      Engine.prototype.close = close;
    }
  });

  test('without a demo and nothing chosen, the engine requests say what to do', async () => {
    const core = createCore({ host: 'serve', data: { flag: path.join(tmp, 'empty') }, resourcesDir: path.join(tmp, 'none') });
    try {
      const reply = await core.request('prompt.rank', { text: 'hi' });
      assert.ok(!reply.ok);
      assert.match(reply.error.message, /no model is open: choose a model and an SAE in Models first/);
    } finally {
      await core.close();
    }
  });
});
