/** The sessions database on a real SQLite file: damaged rows are left out of the list, and say what is wrong when opened; older files and exports still read. */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { AppError } from '#shared/reply.ts';
import { defaultGenerationSettings, type SteerSession } from '#shared/steer-types.ts';
import { openStore } from '../kernel/open-store.ts';
import { STORE_KINDS } from '../kernel/store-kinds.ts';
import { exportSession, importSession } from './exchange.ts';
import { migrations } from './migrations/index.ts';
import { SessionStore } from './session-store.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sae-session-store-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const side = (ids: number[]) => ({
  ids,
  tokens: ids.map((i) => `t${i}`),
  logprobs: ids.map(() => -1),
  text: 'x',
  finish: 'length' as const,
});

/** A finished session as a run would save it. */
function session(id: string, updatedAt: number, tokens: number): SteerSession {
  return {
    id,
    name: `session ${id}`,
    createdAt: updatedAt - 10,
    updatedAt,
    finishedAt: updatedAt,
    forkedFrom: null,
    state: 'done',
    error: null,
    prompt: 'The meeting was held on',
    promptIds: [1, 2, 3],
    promptTokens: ['The', ' meeting', ' was'],
    identity: { model: '/m', sae: '/s', hook: 'blocks.0.hook_resid_pre', architecture: 'topk', dIn: 4, dSae: 16, demo: false },
    interventions: [{ feature: 3, mode: 'clamp', value: 2, positions: 'all' }],
    settings: { ...defaultGenerationSettings, stopSequences: [] },
    outputs: { default: side(Array.from({ length: tokens }, (_, i) => i)), steered: side([7]) },
    next: null,
    chat: null,
    segments: [],
    sweep: null,
    samples: 1,
    runs: [],
  };
}

test('a damaged session is left out of the list (reported once), and opening it says what is wrong', () => {
  const file = path.join(tmp, 'sessions.sqlite');
  const warnings: [string, string][] = [];
  const store = SessionStore.open(file, { onDamaged: (id, message) => warnings.push([id, message]) });
  try {
    for (const [i, id] of ['good-old', 'bad-json', 'bad-state', 'bad-outputs', 'bad-settings', 'good-new'].entries()) {
      store.insert(session(id, 1000 + i, i + 1));
    }
    // damage four of them as a crash, a disk error or an older build might
    const set = (id: string, sql: string): void => void store.db.prepare(`update sessions set ${sql} where id = ?`).run(id);
    set('bad-json', 'interventions = \'[{"feature": 3,\'');
    set('bad-state', "state = 'exploded'");
    set('bad-outputs', "outputs = '{not json'");
    set('bad-settings', 'settings = \'{"maxNewTokens": -1}\'');

    const list = store.list();
    assert.deepEqual(
      list.map((s) => s.id),
      ['good-new', 'bad-settings', 'good-old'],
      'the readable ones, newest first (the list does not read settings)',
    );
    assert.deepEqual(list[0]!.tokens, { default: 6, steered: 1 });
    assert.deepEqual(
      warnings.map(([id]) => id),
      ['bad-outputs', 'bad-state', 'bad-json'],
    );
    for (const [id, message] of warnings) assert.ok(message.includes(`session "${id}"`) && message.includes(file), message);
    assert.match(warnings.find(([id]) => id === 'bad-json')![1], /interventions column is not valid JSON/);
    assert.match(warnings.find(([id]) => id === 'bad-state')![1], /state: /);
    assert.match(warnings.find(([id]) => id === 'bad-outputs')![1], /outputs column/);
    store.list();
    assert.equal(warnings.length, 3, 'each damaged session is reported once');

    const opened = (id: string): AppError => {
      try {
        store.get(id);
      } catch (e) {
        assert.ok(e instanceof AppError);
        return e;
      }
      assert.fail(`${id} opened`);
    };
    for (const [id, why] of [
      ['bad-json', /interventions column is not valid JSON/],
      ['bad-state', /state: /],
      ['bad-outputs', /outputs column is not valid JSON/],
      ['bad-settings', /settings\.maxNewTokens: /],
    ] as const) {
      const e = opened(id);
      assert.equal(e.code, 'internal');
      assert.ok(e.message.startsWith(`session "${id}" in ${file} is damaged: `), e.message);
      assert.match(e.message, why);
    }
    assert.equal(store.get('good-old').outputs.default.ids.length, 1);
    // a damaged session can still be deleted
    store.delete('bad-json');
    assert.equal(opened('bad-json').code, 'not_found');
  } finally {
    store.close();
  }
});

test('a sessions file from before chats, sweeps and samples opens migrated; a version 1 export imports', () => {
  const file = path.join(tmp, 'v1.sqlite');
  const v1 = openStore(file, { kind: STORE_KINDS.sessions, migrations: migrations.slice(0, 1), synchronous: 'NORMAL' });
  const old = session('old', 2000, 2);
  v1.prepare(
    `insert into sessions (id, name, created_at, updated_at, finished_at, forked_from, state, error, pid, prompt, prompt_ids,
       prompt_tokens, identity, interventions, settings, outputs, next)
     values (?, ?, ?, ?, ?, null, 'done', null, null, ?, ?, ?, ?, ?, ?, ?, null)`,
  ).run(
    old.id,
    old.name,
    old.createdAt,
    old.updatedAt,
    old.finishedAt,
    old.prompt,
    JSON.stringify(old.promptIds),
    JSON.stringify(old.promptTokens),
    JSON.stringify(old.identity),
    JSON.stringify(old.interventions),
    JSON.stringify(old.settings),
    JSON.stringify(old.outputs),
  );
  v1.close();
  const store = SessionStore.open(file);
  try {
    assert.deepEqual(store.get('old'), old, 'read with no chat, segments, sweep or runs, and one sample');
    const [row] = store.list();
    assert.deepEqual([row!.sweep, row!.samples, row!.chat], [null, 1, false]);
    // what a version 1 export holds: the session without the new fields
    const { chat: _c, segments: _s, sweep: _w, samples: _n, runs: _r, ...before } = old;
    const imported = importSession({ format: 'sae-explorer.steer-session', version: 1, exportedAt: 1, session: before });
    assert.deepEqual({ ...imported, id: old.id, updatedAt: old.updatedAt }, old);
    assert.equal(exportSession(imported).version, 2);
  } finally {
    store.close();
  }
});
