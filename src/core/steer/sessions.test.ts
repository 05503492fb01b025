import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { after, before, describe, test } from 'node:test';
import type { PayloadInput } from '#shared/contract.ts';
import type { SideOutput, SteerSession } from '#shared/steer-types.ts';
import { openDatabase } from '../kernel/sqlite.ts';
import { createCore, type Core } from '../host/core.ts';
import { writeStandInDemo } from '#testing/demo.ts';
import { repoRoot } from '#testing/fixtures.ts';

/**
 * Steering runs and sessions on the embedded demo (GPT-2 2.6M + TopK SAE 1536 latents):
 * streaming, the next-token table, stop sequences, seeds, cancel, errors, and sessions that
 * survive a restart, a crash, rename, delete, export and import.
 */
const demo = path.join(repoRoot, 'resources', 'demo');
const model = path.join(demo, 'model');
const sae = path.join(demo, 'sae');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sae-steer-sessions-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const clamp444 = [{ feature: 444, mode: 'clamp' as const, value: 12 }];

/** Starts a run and waits for its end; returns the saved session. */
async function runToEnd(core: Core, payload: PayloadInput<'steer.run'>): Promise<SteerSession> {
  const done = core.bus.next('steer.done');
  const started = await core.request('steer.run', payload);
  assert.ok(started.ok, started.ok ? '' : started.error.message);
  const end = await done;
  assert.equal(end.session, started.value.session.id);
  const got = await core.request('session.get', { id: end.session });
  assert.ok(got.ok, got.ok ? '' : got.error.message);
  return got.value;
}

async function openDemo(data: string): Promise<Core> {
  const core = createCore({ host: 'cli', data: { flag: data } });
  const opened = await core.request('workspace.open', { model, sae });
  assert.ok(opened.ok, opened.ok ? '' : opened.error.message);
  return core;
}

describe('steering sessions', () => {
  const data = path.join(tmp, 'data');
  let core: Core;
  before(async () => {
    core = await openDemo(data);
  });
  after(() => core?.close());

  test('a run streams both sides, saves them, and gives the next-token table', async () => {
    const streamed: { side: string; index: number; text: string; logprob: number }[] = [];
    const off = core.bus.on('steer.token', (t) => streamed.push(t));
    const tables: number[] = [];
    const offNext = core.bus.on('steer.next', (n) => tables.push(n.next.default.length + n.next.steered.length));
    const s = await runToEnd(core, { prompt: 'The meeting was held on May', interventions: clamp444, settings: { maxNewTokens: 12 } });
    off();
    offNext();
    assert.equal(s.state, 'done');
    assert.equal(s.prompt, 'The meeting was held on May');
    assert.equal(s.identity.dSae, 1536);
    assert.equal(s.identity.hook, 'blocks.2.hook_resid_pre');
    assert.equal(s.promptTokens[0], '<|endoftext|>', 'the demo SAE wants a BOS');
    assert.deepEqual(s.interventions, [{ ...clamp444[0], positions: 'all' }]);
    assert.equal(s.settings.greedy, true);
    assert.notDeepEqual(s.outputs.default.ids, s.outputs.steered.ids, 'clamping 444 to 12 changes the continuation');
    for (const side of ['default', 'steered'] as const) {
      const o = s.outputs[side];
      assert.ok(o.ids.length > 0 && o.ids.length <= 12);
      assert.equal(o.tokens.join(''), o.text);
      assert.deepEqual(
        streamed.filter((t) => t.side === side).map((t) => t.text),
        o.tokens,
      );
      assert.ok(o.logprobs.every((v) => v <= 0 && Number.isFinite(v)));
    }
    // the table: 10 rows per side, each with both probabilities, most likely first
    assert.ok(s.next);
    assert.equal(s.next.default.length, 10);
    assert.equal(s.next.steered.length, 10);
    for (const row of [...s.next.default, ...s.next.steered]) {
      assert.equal(typeof row.defaultLogprob, 'number');
      assert.equal(typeof row.steeredLogprob, 'number');
    }
    const d = s.next.default.map((r) => r.defaultLogprob!);
    assert.deepEqual(
      d,
      [...d].sort((a, b) => b - a),
    );
    assert.equal(s.next.default[0]!.id, s.outputs.default.ids[0], 'greedy picks the top token');
    assert.equal(s.next.steered[0]!.id, s.outputs.steered.ids[0]);
    assert.equal(s.next.default[0]!.defaultLogprob, s.outputs.default.logprobs[0]);
    assert.deepEqual(tables, [10, 20], 'one table after each side’s first step');
  });

  test('the same seed gives the same sampled text; without interventions both sides agree', async () => {
    const settings = { maxNewTokens: 16, greedy: false, temperature: 1, topK: 50, topP: 0.9, seed: 7, stopAtEos: false };
    const a = await runToEnd(core, { prompt: 'He was a well', interventions: [], settings });
    const b = await runToEnd(core, { prompt: 'He was a well', interventions: [], settings });
    assert.deepEqual(a.outputs.default.ids, b.outputs.default.ids);
    assert.deepEqual(a.outputs.default.ids, a.outputs.steered.ids);
    const c = await runToEnd(core, { prompt: 'He was a well', interventions: [], settings: { ...settings, seed: 8 } });
    assert.notDeepEqual(c.outputs.default.ids, a.outputs.default.ids, 'another seed, another sample');
  });

  test('a stop sequence ends a side once its text appears', async () => {
    const free = await runToEnd(core, { prompt: 'The meeting was held on May', interventions: clamp444, settings: { maxNewTokens: 12 } });
    // a piece of the default text from its third token on
    const stop = free.outputs.default.tokens.slice(2, 4).join('');
    assert.ok(stop.trim().length > 0);
    const s = await runToEnd(core, {
      prompt: 'The meeting was held on May',
      interventions: clamp444,
      settings: { maxNewTokens: 12, stopSequences: [stop] },
    });
    assert.equal(s.outputs.default.finish, 'stop');
    assert.ok(s.outputs.default.text.includes(stop));
    assert.ok(s.outputs.default.ids.length <= 4);
    assert.deepEqual(s.outputs.default.ids, free.outputs.default.ids.slice(0, s.outputs.default.ids.length));
  });

  test('cancel stops a run at once and keeps what it produced', async () => {
    const first = core.bus.next('steer.token', (t) => t.index >= 3);
    const done = core.bus.next('steer.done');
    const started = await core.request('steer.run', {
      prompt: 'The house was built two hundred years',
      interventions: [{ feature: 320, mode: 'add', value: 5, positions: 'generated' }],
      settings: { maxNewTokens: 200, stopAtEos: false },
    });
    assert.ok(started.ok);
    // a second run while one goes is refused
    const second = await core.request('steer.run', { prompt: 'x', interventions: [] });
    assert.ok(!second.ok);
    assert.equal(second.error.code, 'conflict');
    await first;
    const cancelled = await core.request('steer.cancel', { run: started.value.run });
    assert.ok(cancelled.ok, cancelled.ok ? '' : cancelled.error.message);
    assert.equal(cancelled.value.state, 'cancelled');
    assert.equal((await done).state, 'cancelled');
    for (const side of ['default', 'steered'] as const) {
      const o: SideOutput = cancelled.value.outputs[side];
      assert.ok(o.ids.length >= 1 && o.ids.length < 200, `${side}: ${o.ids.length} tokens`);
      assert.equal(o.finish, 'cancelled');
    }
    // cancelling again answers with the saved session
    const again = await core.request('steer.cancel', { run: started.value.run });
    assert.ok(again.ok);
    assert.deepEqual(again.value.outputs, cancelled.value.outputs);
  });

  test('a failed run is saved as failed, with the tokens it produced and why', async () => {
    // the engine fails mid-run (as a GPU running out of memory would): after 4 default tokens
    const engine = await core.workspace.currentEngine();
    const generate = engine.generate.bind(engine);
    engine.generate = (ids, opts) =>
      generate(ids, {
        ...opts,
        onToken: (t) => {
          opts.onToken?.(t);
          if (!opts.interventions?.length && t.index === 3) throw new Error('simulated device failure');
        },
      });
    const done = core.bus.next('steer.done');
    try {
      const started = await core.request('steer.run', {
        prompt: 'The house was built',
        interventions: [{ feature: 320, mode: 'clamp', value: 5 }],
        settings: { maxNewTokens: 240, stopAtEos: false },
      });
      assert.ok(started.ok);
      const end = await done;
      assert.equal(end.state, 'failed');
      assert.match(end.error ?? '', /simulated device failure/);
      const s = await core.request('session.get', { id: started.value.session.id });
      assert.ok(s.ok);
      assert.equal(s.value.state, 'failed');
      assert.equal(s.value.error, end.error);
      assert.equal(s.value.outputs.default.ids.length, 4);
      assert.ok(s.value.outputs.steered.ids.length < 240);
      assert.equal(s.value.outputs.default.text.length > 0, true);
    } finally {
      engine.generate = generate;
    }
  });

  test('errors say what to do: feature out of range, too many tokens, unknown sessions', async () => {
    const bad = await core.request('steer.run', { prompt: 'x', interventions: [{ feature: 1536, mode: 'clamp', value: 1 }] });
    assert.ok(!bad.ok);
    assert.equal(bad.error.code, 'bad_request');
    assert.match(bad.error.message, /feature 1536 is out of range: this SAE has features 0–1535/);
    const info = await core.request('steer.feature', { id: 99_999 });
    assert.ok(!info.ok);
    assert.match(info.error.message, /feature 99999 is out of range/);
    const long = await core.request('steer.run', { prompt: 'x', interventions: [], settings: { maxNewTokens: 1000 } });
    assert.ok(!long.ok);
    assert.match(long.error.message, /lower max new tokens to 254/);
    const range = await core.request('steer.run', {
      prompt: 'x',
      interventions: [{ feature: 1, mode: 'clamp', value: 1, positions: { from: 3, to: 2 } }],
    });
    assert.ok(!range.ok);
    assert.match(range.error.message, /to > from/);
    const missing = await core.request('session.get', { id: 'nope' });
    assert.ok(!missing.ok);
    assert.equal(missing.error.code, 'not_found');
  });

  test('a feature without an index says so; tokenize shows the BOS and the model’s positions', async () => {
    const f = await core.request('steer.feature', { id: 444 });
    assert.ok(f.ok);
    assert.equal(f.value.index, 'none');
    assert.equal(f.value.max, null);
    const t = await core.request('steer.tokenize', { prompt: 'The year 1961' });
    assert.ok(t.ok);
    assert.equal(t.value.bos, true);
    assert.equal(t.value.maxPositions, 256);
    assert.equal(t.value.tokens.slice(1).join(''), 'The year 1961');
  });

  test('rename, export, import (a new id, the same content), delete', async () => {
    const s = await runToEnd(core, {
      prompt: 'The growth of the',
      interventions: [{ feature: 66, mode: 'scale', value: 3, positions: { from: 1, to: 4 } }],
      settings: { maxNewTokens: 8, stopSequences: ['zzz'] },
      name: 'growth',
    });
    assert.equal(s.name, 'growth');
    const renamed = await core.request('session.rename', { id: s.id, name: 'growth, scaled' });
    assert.ok(renamed.ok);
    assert.equal(renamed.value.name, 'growth, scaled');
    const exported = await core.request('session.export', { id: s.id });
    assert.ok(exported.ok);
    assert.equal(exported.value.format, 'sae-explorer.steer-session');
    assert.equal(exported.value.session.identity.model, model);
    // through JSON text, as a file would carry it
    const imported = await core.request('session.import', { data: JSON.stringify(exported.value) });
    assert.ok(imported.ok, imported.ok ? '' : imported.error.message);
    assert.notEqual(imported.value.id, s.id);
    const strip = ({ id: _id, updatedAt: _u, ...rest }: SteerSession) => rest;
    assert.deepEqual(strip(imported.value), strip(renamed.value));

    const damaged = await core.request('session.import', {
      data: { ...exported.value, session: { ...exported.value.session, prompt: 5 } },
    });
    assert.ok(!damaged.ok);
    assert.match(damaged.error.message, /damaged: session\.prompt/);
    const foreign = await core.request('session.import', { data: { hello: 1 } });
    assert.ok(!foreign.ok);
    assert.match(foreign.error.message, /not a steering session export/);
    const notJson = await core.request('session.import', { data: '{oops' });
    assert.ok(!notJson.ok);
    assert.match(notJson.error.message, /not JSON/);

    const del = await core.request('session.delete', { id: imported.value.id });
    assert.ok(del.ok);
    const list = await core.request('session.list');
    assert.ok(list.ok);
    assert.ok(!list.value.some((x) => x.id === imported.value.id));
    assert.ok(list.value.some((x) => x.id === s.id && x.name === 'growth, scaled'));
  });

  test('fork: a new session remembers where it came from', async () => {
    const list = await core.request('session.list');
    assert.ok(list.ok);
    const from = list.value[0]!;
    const s = await runToEnd(core, { prompt: 'The growth of the', interventions: [], settings: { maxNewTokens: 4 }, forkedFrom: from.id });
    assert.equal(s.forkedFrom, from.id);
    const gone = await core.request('steer.run', { prompt: 'x', interventions: [], forkedFrom: 'no-such-session' });
    assert.ok(!gone.ok);
    assert.equal(gone.error.code, 'not_found');
  });

  test('sessions survive a restart, newest first', async () => {
    const before = await core.request('session.list');
    assert.ok(before.ok);
    await core.close();
    core = createCore({ host: 'cli', data: { flag: data } });
    const afterRestart = await core.request('session.list');
    assert.ok(afterRestart.ok);
    assert.deepEqual(afterRestart.value, before.value);
    assert.ok(afterRestart.value.length >= 8);
    const times = afterRestart.value.map((s) => s.updatedAt);
    assert.deepEqual(
      times,
      [...times].sort((a, b) => b - a),
    );
  });
});

describe('without a model', () => {
  test('a run says to open one', async () => {
    const core = createCore({ host: 'cli', data: { flag: path.join(tmp, 'empty') } });
    try {
      const r = await core.request('steer.run', { prompt: 'hello', interventions: [] });
      assert.ok(!r.ok);
      assert.equal(r.error.code, 'unavailable');
      assert.match(r.error.message, /no model is open: choose a model and an SAE in Models/);
      const list = await core.request('session.list');
      assert.ok(list.ok);
      assert.deepEqual(list.value, []);
    } finally {
      await core.close();
    }
  });
});

describe('a crash mid-run', () => {
  test('keeps the prompt, settings and the tokens produced; the session is interrupted after restart', async () => {
    const data = path.join(tmp, 'crash');
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', path.join(repoRoot, 'src', 'testing', 'steer', 'crash-child.ts'), data, model, sae],
      {
        cwd: repoRoot,
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const id = await new Promise<string>((resolve, reject) => {
      readline.createInterface({ input: child.stdout }).once('line', resolve);
      child.once('exit', (code) => reject(new Error(`the child exited (${code}) before starting its run`)));
    });
    // wait until a periodic save holds some tokens, then kill the process outright
    const db = openDatabase(path.join(data, 'sessions.sqlite'), { readonly: true });
    const read = db.prepare('select state, outputs from sessions where id = ?');
    let saved = 0;
    for (let i = 0; i < 400 && saved < 10; i++) {
      const row = read.get(id) as { state: string; outputs: string };
      assert.equal(row.state, 'running', 'the run must still be going when the process is killed');
      saved = (JSON.parse(row.outputs) as SteerSession['outputs']).default.ids.length;
      if (saved < 10) await new Promise((r) => setTimeout(r, 25));
    }
    child.kill('SIGKILL');
    await exited;
    db.close();
    assert.ok(saved >= 10, `saved ${saved} tokens`);

    const core = createCore({ host: 'cli', data: { flag: data } });
    try {
      const got = await core.request('session.get', { id });
      assert.ok(got.ok, got.ok ? '' : got.error.message);
      assert.equal(got.value.state, 'interrupted');
      assert.match(got.value.error ?? '', /app stopped while this run was going/);
      assert.equal(got.value.prompt, 'The house was built two hundred years');
      assert.equal(got.value.settings.maxNewTokens, 240);
      assert.ok(got.value.outputs.default.ids.length >= saved);
      assert.ok(got.value.finishedAt !== null);
    } finally {
      await core.close();
    }
  });
});

describe('feature figures from the index', () => {
  test('max activation and top tokens come from the workspace’s complete index', async () => {
    // a reference fixture as the "demo", with a small corpus, indexed by boot()
    const resources = path.join(tmp, 'resources');
    const corpus = Array.from({ length: 30 }, (_, i) => ({ text: `Document ${i}: the cat sat on the mat, ${i * 7} times.` }));
    writeStandInDemo(resources, 'gpt2-topk-l1post', corpus);
    const core = createCore({ host: 'serve', data: { flag: path.join(tmp, 'indexed') }, resourcesDir: resources });
    try {
      const indexed = core.bus.next('job.state', (s) => s.kind === 'index' && ['done', 'failed', 'cancelled'].includes(s.state));
      core.boot();
      assert.equal((await indexed).state, 'done');
      const ws = await core.request('workspace.get');
      assert.ok(ws.ok && ws.value.db);
      const enc = await core.request('prompt.rank', { text: 'the cat sat', top: 1 });
      assert.ok(enc.ok);
      const id = enc.value.tokens[1]!.latents[0]![0];
      const f = await core.request('steer.feature', { id });
      assert.ok(f.ok, f.ok ? '' : f.error.message);
      const dash = await core.request('feature.get', { db: ws.value.db, id });
      assert.ok(dash.ok);
      assert.equal(f.value.index, 'complete');
      assert.equal(f.value.max, dash.value.max);
      assert.ok(f.value.max! > 0);
      assert.ok(f.value.topTokens.length >= 1);
      const top = dash.value.top[0]!;
      assert.equal(f.value.topTokens[0], top.tokens[top.position - top.start]);
    } finally {
      await core.close();
    }
  });
});
